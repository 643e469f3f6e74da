"""The contract every SMS backend follows, and the send loop they share.

Like Django's mail backends: ``__init__(fail_silently=False, **kwargs)``, :meth:`open` (True only
when it opened something), :meth:`close`, use as a context manager, and :meth:`send_messages`
returning an int. The base class owns everything that must be the same whatever the transport —
the ``pre_send``/``post_send`` signals, validation of text, sender and numbers, de-duplication and
the shape of the results — so a backend implements a single hook, :meth:`deliver`, which gets
only distinct, valid, normalised numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.core.exceptions import ImproperlyConfigured

from django_letsads.dispatch import BatchResult, Outcome
from django_letsads.exceptions import AccountError, LetsAdsError, SmsValidationError
from django_letsads.phones import NormalizedNumber, normalize_many
from django_letsads.results import SmsResult
from django_letsads.senders import validate_sender
from django_letsads.signals import CancelSend, post_send, pre_send
from django_letsads.status import Status
from django_letsads.text import TextInfo, validate_text

if TYPE_CHECKING:
    from django_letsads.message import SmsMessage

logger = logging.getLogger(__name__)

CANCELLED = "CANCELLED"
#: Results of recipients left out by ``respect_opt_out`` (as ``optout.OPTED_OUT``).
OPTED_OUT = "OPTED_OUT"
NO_OUTCOME = "NO_OUTCOME"


@dataclass(frozen=True)
class PreparedMessage:
    """A message that passed validation: what :meth:`BaseSmsBackend.deliver` sends.

    ``recipients`` are distinct international digits in input order; ``sender`` is the validated
    sender (the message's or ``LETSADS["SENDER"]``).
    """

    message: SmsMessage
    text: str
    sender: str
    info: TextInfo
    recipients: tuple[str, ...]


class BaseSmsBackend:
    """Base class of all SMS backends (``SMS_BACKEND`` names a subclass).

    ``fail_silently=True`` turns validation errors of a whole message (text, sender) and account
    errors of the gateway into ``failed`` results instead of exceptions. It never hides a
    configuration error (``ImproperlyConfigured``). Problems of single recipients never raise.

    ``using`` is the alias of the LetsAds account in ``settings.LETSADS`` (default
    ``"default"``): its ``SENDER`` is the default sender, the gateway backend sends with its
    login, the outbox stores it in ``Message.account``. An alias that is not configured raises
    ``LetsAdsConfigurationError`` naming the configured ones.
    """

    #: True when the backend talks to the gateway and needs ``LOGIN``/``PASSWORD`` (system check).
    needs_credentials: ClassVar[bool] = False

    def __init__(
        self, fail_silently: bool = False, *, using: str | None = None, **kwargs: Any
    ) -> None:
        from django_letsads.accounts import get_account

        self.fail_silently = fail_silently
        self.account = get_account(using)
        self.using = self.account.alias

    def open(self) -> bool:
        """Open a long-lived connection if the backend has one; True only if this call opened it."""
        return False

    def close(self) -> None:
        """Close what :meth:`open` opened. Safe to call more than once."""

    def __enter__(self) -> Self:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        """Send ``messages``; each gets its results in ``message.results``.

        Returns how many messages were accepted for at least one recipient. Opens the connection
        for the duration of the call unless it is already open.
        """
        if not messages:
            return 0
        opened = self.open()
        try:
            return sum(any(r.ok for r in self.send_message(m)) for m in messages)
        finally:
            if opened:
                self.close()

    def send_message(self, message: SmsMessage) -> list[SmsResult]:
        """Validate, send and report one message; one result per input recipient, in order."""
        try:
            pre_send.send(sender=type(self), message=message, backend=self)
        except CancelSend as cancel:
            results = [
                SmsResult(raw.strip(), Status.CANCELLED, None, CANCELLED, raw, reason=cancel.reason)
                for raw in message.recipients
            ]
            return self._finish(message, results, None)
        checked = normalize_many(message.recipients)
        try:
            prepared = self.prepare(message, checked)
        except SmsValidationError as exc:
            if not self.fail_silently:
                raise
            failure = Outcome(Status.FAILED, error_code=exc.code, reason=exc.message)
            delivery = BatchResult(dict.fromkeys((i.number for i in checked if i.valid), failure))
            return self._finish(message, _results(checked, delivery), exc)
        stopped = _opted_out(message, prepared)
        if stopped:
            prepared = replace(
                prepared, recipients=tuple(n for n in prepared.recipients if n not in stopped)
            )
        delivery = self.deliver(prepared) if prepared.recipients else BatchResult()
        for number in stopped:
            delivery.outcomes[number] = Outcome(
                Status.CANCELLED, error_code=OPTED_OUT, reason="the number is on the stop list"
            )
        return self._finish(message, _results(checked, delivery), delivery.error)

    def prepare(self, message: SmsMessage, checked: Sequence[NormalizedNumber]) -> PreparedMessage:
        """Validate text and sender (raising :class:`SmsValidationError`) and keep valid numbers."""
        info = validate_text(message.text)
        sender = validate_sender(message.sender or self.account.SENDER)
        recipients = tuple(item.number for item in checked if item.valid and not item.duplicate)
        return PreparedMessage(message, message.text, sender, info, recipients)

    def deliver(self, prepared: PreparedMessage) -> BatchResult:
        """Send ``prepared`` and report an :class:`Outcome` for each of its recipients.

        ``BatchResult.error`` is the request-level error that stopped sending, if any; an
        ``AccountError`` there is raised by :meth:`send_message` after the results are recorded,
        unless ``fail_silently``.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement deliver()")

    def _finish(
        self, message: SmsMessage, results: list[SmsResult], error: LetsAdsError | None
    ) -> list[SmsResult]:
        message.results = results
        post_send.send(sender=type(self), message=message, results=results, backend=self)
        # A configuration error met at run time (API_URL redirects) is never hidden.
        if isinstance(error, AccountError) and (
            not self.fail_silently or isinstance(error, ImproperlyConfigured)
        ):
            raise error
        return results


def _results(checked: Sequence[NormalizedNumber], delivery: BatchResult) -> list[SmsResult]:
    """One result per input: its own verdict if invalid, else the outcome of its number."""
    results = []
    for item in checked:
        if not item.valid:
            outcome = Outcome(Status.FAILED, error_code=item.error_code, reason=item.reason)
        else:
            outcome = delivery.outcomes.get(item.number) or Outcome(
                Status.UNKNOWN, error_code=NO_OUTCOME, reason="the backend reported nothing"
            )
        results.append(_result(item, outcome))
    return results


def _result(item: NormalizedNumber, outcome: Outcome) -> SmsResult:
    return SmsResult(
        recipient=item.number or item.input.strip(),
        status=outcome.status,
        sms_id=outcome.sms_id,
        error_code=outcome.error_code,
        input=item.input,
        duplicate=item.duplicate,
        reason=outcome.reason,
    )


def _opted_out(message: SmsMessage, prepared: PreparedMessage) -> set[str]:
    """The recipients on the stop list, when the message asks for it (a database query)."""
    if not getattr(message, "respect_opt_out", False) or not prepared.recipients:
        return set()
    from django_letsads.optout import opted_out_among

    return opted_out_among(prepared.recipients)


def accept_all(prepared: PreparedMessage, status: Status) -> BatchResult:
    """Every recipient with ``status`` and no id: what the test and development backends report."""
    return BatchResult(outcomes={number: Outcome(status) for number in prepared.recipients})
