"""``manage.py letsads_simulator``: run the fake LetsAds gateway for development and demos.

The account defaults to ``LETSADS["LOGIN"]``/``["PASSWORD"]``/``["SENDER"]``, so pointing
``LETSADS["API_URL"]`` at the printed URL is all a project needs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from django_letsads.conf import letsads_settings
from django_letsads.simulator import cli


class Command(BaseCommand):
    help = cli.DESCRIPTION

    def add_arguments(self, parser: CommandParser) -> None:
        cli.add_arguments(parser, login=letsads_settings.LOGIN, password=letsads_settings.PASSWORD)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["senders"] and letsads_settings.SENDER:
            options["senders"] = sorted({"Test", letsads_settings.SENDER})
        cli.serve(options, self._say)

    def _say(self, line: str) -> None:
        # Flushed at once: a supervisor or a test reads the URL from a pipe.
        self.stdout.write(line)
        self.stdout.flush()
