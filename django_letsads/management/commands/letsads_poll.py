"""``manage.py letsads_poll``: poll due statuses (see ``django_letsads.worker.PollWorker``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from django_letsads.campaigns import poll_now
from django_letsads.management.base import WorkerCommand, accounts_option
from django_letsads.models import Message
from django_letsads.worker import PollWorker


class Command(WorkerCommand):
    help = "Poll the LetsAds status of sent messages that are due on LETSADS['POLL_SCHEDULE']."
    progress_kind = "poll"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--due-now",
            action="store_true",
            help="Development: poll every message still awaiting a status now, without waiting "
            "for POLL_SCHEDULE (counts as its next scheduled poll). Not with --loop "
            "(default: off).",
        )

    def make_worker(self, options: dict[str, Any]) -> PollWorker:
        if options["due_now"]:
            if options["loop"]:
                # Each round would poll every message again and use up its schedule in seconds.
                raise CommandError(
                    "--due-now polls once; for a loop in development shorten "
                    "LETSADS['POLL_SCHEDULE'] instead (see the README)."
                )
            count = poll_now(Message.objects.all())
            if options["verbosity"] >= 1:
                self.stdout.write(f"{count} message(s) due for a status poll now.")
        return PollWorker(
            limit=options["limit"],
            concurrency=options["concurrency"],
            accounts=accounts_option(options),
        )
