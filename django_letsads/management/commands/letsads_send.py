"""``manage.py letsads_send``: send pending messages (see ``django_letsads.worker.SendWorker``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from django_letsads.campaigns import resend_unknown
from django_letsads.conf import letsads_settings
from django_letsads.management.base import WorkerCommand, accounts_option
from django_letsads.models import Campaign, Message
from django_letsads.worker import SendWorker
from django_letsads.worker.batches import make_batches


class Command(WorkerCommand):
    help = "Send pending LetsAds messages (outbox backend and campaigns that are sending)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be sent (first 1000 messages, or --limit) and change nothing",
        )
        parser.add_argument(
            "--resend-unknown",
            action="store_true",
            help="put messages in state 'unknown' back to pending before sending; they may be "
            "delivered and billed twice (needs --i-accept-duplicates)",
        )
        parser.add_argument(
            "--campaign",
            default=None,
            metavar="ID_OR_NAME",
            help="with --resend-unknown: only this campaign, by id or exact name "
            "(default: every campaign and the outbox)",
        )
        parser.add_argument(
            "--i-accept-duplicates",
            action="store_true",
            help="confirms --resend-unknown: the gateway may already have sent these messages",
        )

    def make_worker(self, options: dict[str, Any]) -> SendWorker | None:
        if options["resend_unknown"]:
            self._resend_unknown(options)
        if options["dry_run"]:
            self._dry_run(options)
            return None
        return SendWorker(
            limit=options["limit"],
            concurrency=options["concurrency"],
            accounts=accounts_option(options),
        )

    def _resend_unknown(self, options: dict[str, Any]) -> None:
        messages = Message.objects.filter(status=Message.Status.UNKNOWN)
        if options["campaign"] is not None:
            messages = messages.filter(campaign_id=_campaign_id(str(options["campaign"])))
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


def _campaign_id(value: str) -> int:
    """A campaign given by id or by its exact name; an unknown or ambiguous one is an error."""
    if value.strip().isdigit():
        found = list(Campaign.objects.filter(pk=int(value)).values_list("pk", flat=True))
    else:
        found = list(Campaign.objects.filter(name=value.strip()).values_list("pk", flat=True)[:2])
    if not found:
        raise CommandError(f"--campaign: no campaign with the id or name {value!r}.")
    if len(found) > 1:
        raise CommandError(
            f"--campaign: several campaigns are named {value!r}; give the id instead."
        )
    return found[0]
