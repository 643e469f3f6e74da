"""``manage.py letsads_send``: send pending messages (see ``django_letsads.worker.SendWorker``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from django_letsads import arguments
from django_letsads.campaigns import resend_unknown
from django_letsads.conf import letsads_settings
from django_letsads.management.base import WorkerCommand
from django_letsads.models import Message
from django_letsads.worker import SendWorker
from django_letsads.worker.sending import make_batches


class Command(WorkerCommand):
    help = "Send pending LetsAds messages (outbox backend and campaigns that are sending)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be sent; change nothing."
        )
        parser.add_argument(
            "--resend-unknown",
            action="store_true",
            help="Put messages in state 'unknown' back to pending (they may be delivered twice).",
        )
        parser.add_argument(
            "--campaign",
            type=arguments.OBJECT_ID,
            default=None,
            help="With --resend-unknown: only this campaign.",
        )
        parser.add_argument(
            "--i-accept-duplicates",
            action="store_true",
            help="Confirms --resend-unknown: the gateway may already have sent these messages.",
        )

    def make_worker(self, options: dict[str, Any]) -> SendWorker | None:
        if options["resend_unknown"]:
            self._resend_unknown(options)
        if options["dry_run"]:
            self._dry_run(options)
            return None
        return SendWorker(limit=options["limit"], concurrency=options["concurrency"])

    def _resend_unknown(self, options: dict[str, Any]) -> None:
        messages = Message.objects.filter(status=Message.Status.UNKNOWN)
        if options["campaign"] is not None:
            messages = messages.filter(campaign_id=options["campaign"])
        count = messages.count()
        if not options["i_accept_duplicates"]:
            raise CommandError(
                f"{count} message(s) are 'unknown': their first request may have reached the "
                "gateway, so resending can deliver and bill them twice. Add "
                "--i-accept-duplicates to resend them."
            )
        resent = resend_unknown(messages, note="resent with letsads_send --resend-unknown")
        self.stdout.write(f"{resent} unknown message(s) are pending again.")

    def _dry_run(self, options: dict[str, Any]) -> None:
        from django_letsads.worker.claims import Claimed

        limit = options["limit"] or 1000
        rows = (
            Message.objects.sendable()
            .select_related("campaign")
            .order_by("id")[:limit]
            .iterator(chunk_size=1000)
        )
        messages = [
            Claimed(m.id, m.recipient, m.campaign_id, m.effective_sender, m.effective_text)
            for m in rows
        ]
        batches = make_batches(messages, letsads_settings.BATCH_SIZE)
        self.stdout.write(
            f"Would send {len(messages)} message(s) in {len(batches)} request(s) (dry run)."
        )
        for sender, text, batch in batches:
            preview = text if len(text) <= 40 else text[:37] + "..."
            self.stdout.write(f"  from {sender!r}: {preview!r} to {len(batch)} recipient(s)")
