"""A backend that validates and then does nothing; every valid recipient is reported ``queued``."""

from __future__ import annotations

from django_letsads.backends.base import BaseSmsBackend, PreparedMessage, accept_all
from django_letsads.dispatch import BatchResult
from django_letsads.status import Status


class SmsBackend(BaseSmsBackend):
    def deliver(self, prepared: PreparedMessage) -> BatchResult:
        return accept_all(prepared, Status.QUEUED)
