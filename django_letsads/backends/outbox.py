"""Store messages for the worker instead of sending them now.

One ``Message`` row per distinct valid recipient, ``pending``, in the caller's database transaction:
if the caller's transaction rolls back, nothing is sent; once it commits, ``letsads_send`` (or the
optional task) sends them through the same :func:`~django_letsads.dispatch.send_batch` as the
letsads backend. Results are ``pending`` with no ``sms_id``; the worker records the rest, and
``status_changed`` reports it.
"""

from __future__ import annotations

from django.db import transaction

from django_letsads.backends.base import BaseSmsBackend, PreparedMessage
from django_letsads.dispatch import BatchResult, Outcome
from django_letsads.signals import announce_work
from django_letsads.status import Status


class SmsBackend(BaseSmsBackend):
    #: The worker needs the account, so the system check asks for it here too.
    needs_credentials = True

    def deliver(self, prepared: PreparedMessage) -> BatchResult:
        from django_letsads.models import Message, StatusEvent

        rows = [
            Message(
                recipient=number,
                sender=prepared.sender,
                text=prepared.text,
                status=Status.PENDING,
                account=self.using,
            )
            for number in prepared.recipients
        ]
        with transaction.atomic():
            created = Message.objects.bulk_create(rows, batch_size=1000)
            StatusEvent.objects.bulk_create(
                [
                    StatusEvent(
                        message=row, old_status="", new_status=Status.PENDING, note="send_sms"
                    )
                    for row in created
                ],
                batch_size=1000,
            )
            announce_work(Message, "send")
        return BatchResult(outcomes={row.recipient: Outcome(Status.PENDING) for row in created})
