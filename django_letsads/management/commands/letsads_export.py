"""``manage.py letsads_export CAMPAIGN_ID [-o FILE]``: a campaign's messages as CSV."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_letsads.export import export_csv
from django_letsads.models import Campaign


class Command(BaseCommand):
    help = (
        "Write a campaign's messages as CSV (recipient, name, status, gateway id and status, "
        "error, sent and final times) to standard output or a file; streamed, constant memory."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("campaign_id", type=int, help="The campaign's id (see the admin).")
        parser.add_argument(
            "-o",
            "--output",
            default=None,
            help="Write to this file (UTF-8 with a BOM, for spreadsheets) instead of stdout.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        campaign_id = options["campaign_id"]
        if not Campaign.objects.filter(pk=campaign_id).exists():
            raise CommandError(f"Campaign {campaign_id} does not exist.")
        output = options["output"]
        if output is None:
            for piece in export_csv(campaign_id, bom=False):
                self.stdout.write(piece, ending="")
            return
        # Written beside the target and renamed at the end: a failed export never leaves half
        # a file in place of a good one.
        partial = f"{output}.part"
        try:
            with open(partial, "w", encoding="utf-8", newline="") as file:
                for piece in export_csv(campaign_id):
                    file.write(piece)
            os.replace(partial, output)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror or exc}") from None
        finally:
            if os.path.exists(partial):
                os.remove(partial)
        self.stderr.write(f"Campaign {campaign_id} exported to {output}.")
