"""The real backend: validates, then sends through the LetsAds gateway, at most 50 numbers a request.

All per-request logic (``INCORRECT_RECIPIENT_<n>`` resends, classifying faults as ``failed`` or
``unknown``) is :func:`django_letsads.dispatch.send_batch`, shared with the outbox worker; this
backend only cuts recipients into batches and decides when to stop. It stops at the first error
that would refuse every later batch the same way — an account error (auth, API disabled, not
moderated, sender, money) or a refusal of the request itself (e.g. ``MESSAGE_TOO_LONG``) — and
marks the rest ``failed`` with that code, since nothing of theirs was sent. A transport fault ends
only its own batch: ``unknown`` if the gateway may have acted, never resent.
"""

from __future__ import annotations

import logging
from typing import Any

from django_letsads.backends.base import BaseSmsBackend, PreparedMessage
from django_letsads.client import LetsAdsClient
from django_letsads.dispatch import BatchResult, Outcome, send_batch
from django_letsads.exceptions import AccountError, LetsAdsError, RequestRejectedError
from django_letsads.status import Status

logger = logging.getLogger(__name__)


class SmsBackend(BaseSmsBackend):
    """Sends through the LetsAds gateway.

    Options (each defaults to the ``using`` account of ``settings.LETSADS``): ``login``, ``password``, ``api_url``,
    ``timeout``, ``batch_size``; or a ready ``client`` (a :class:`LetsAdsClient`), which the
    backend then neither creates nor closes.
    """

    needs_credentials = True

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        login: str | None = None,
        password: str | None = None,
        api_url: str | None = None,
        timeout: float | None = None,
        batch_size: int | None = None,
        client: LetsAdsClient | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self._options = {"login": login, "password": password, "api_url": api_url}
        self._timeout = timeout
        self._batch_size = batch_size
        self.client = client
        self._owns_client = False

    def __repr__(self) -> str:
        return (
            f"<{type(self).__module__}.SmsBackend using={self.using!r} "
            f"open={self.client is not None}>"
        )

    def open(self) -> bool:
        if self.client is not None:
            return False
        self.client = self._new_client()
        self._owns_client = True
        return True

    def close(self) -> None:
        if self.client is not None and self._owns_client:
            self.client.close()
            self.client = None
            self._owns_client = False

    def _new_client(self) -> LetsAdsClient:
        from django_letsads.accounts import client_for

        account = self.account  # the ``using`` alias's settings (BaseSmsBackend)
        if not any(self._options.values()) and self._timeout is None:
            return client_for(self.using)
        return LetsAdsClient(
            self._options["login"] or account.LOGIN,
            self._options["password"] or account.PASSWORD,
            api_url=self._options["api_url"] or account.API_URL,
            timeout=self._timeout if self._timeout is not None else account.TIMEOUT,
            connect_retries=account.CONNECT_RETRIES,
        )

    @property
    def batch_size(self) -> int:
        from django_letsads.conf import letsads_settings

        size = self._batch_size or letsads_settings.BATCH_SIZE
        return max(1, min(50, size))

    def deliver(self, prepared: PreparedMessage) -> BatchResult:
        opened = self.open()
        try:
            assert self.client is not None
            return self._send_all(self.client, prepared)
        finally:
            if opened:
                self.close()

    def _send_all(self, client: LetsAdsClient, prepared: PreparedMessage) -> BatchResult:
        total = BatchResult()
        recipients = prepared.recipients
        size = self.batch_size
        for start in range(0, len(recipients), size):
            batch = recipients[start : start + size]
            if total.error is not None and _stops_run(total.error):
                skipped = Outcome(
                    Status.FAILED,
                    error_code=total.error.code,
                    reason=f"not sent: the gateway refused an earlier request ({total.error.code})",
                )
                total.outcomes.update(dict.fromkeys(batch, skipped))
                continue
            result = send_batch(client, prepared.sender, prepared.text, batch)
            total.outcomes.update(result.outcomes)
            total.requests += result.requests
            if result.error is not None:
                logger.warning("LetsAds batch of %d ended with %s", len(batch), result.error.code)
                if total.error is None or (
                    _stops_run(result.error) and not _stops_run(total.error)
                ):
                    total.error = result.error
        return total


def _stops_run(error: LetsAdsError) -> bool:
    """Errors that would refuse every later batch of the same message the same way."""
    return isinstance(error, AccountError | RequestRejectedError)
