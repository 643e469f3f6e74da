"""What sending returns: one :class:`SmsResult` per input recipient, in input order."""

from __future__ import annotations

from dataclasses import dataclass

from django_letsads.status import Status

_ACCEPTED = frozenset(
    {Status.PENDING, Status.SENDING, Status.QUEUED, Status.SENT, Status.DELIVERED}
)


@dataclass(frozen=True, slots=True)
class SmsResult:
    """The outcome for one recipient as given to ``send_sms``.

    ``recipient`` is the number in international digits (``"380501234567"``); for an input that
    is not a phone number it is the input itself, stripped. ``status`` is a ``Message.Status``:
    ``queued`` (the gateway accepted it, ``sms_id`` is set), ``pending`` (stored for the worker),
    ``failed`` (refused by our checks or by the gateway; never sent, never billed), ``unknown``
    (the request's fate is unknown; do not resend blindly) or ``cancelled``. ``error_code`` is the
    gateway's code (``NOT_ENOUGH_MONEY``, ``INCORRECT_RECIPIENT_380…``), a transport code
    (``TIMEOUT``) or one of ours (``INVALID_NUMBER``, ``MESSAGE_TOO_LONG``, ``CANCELLED``);
    ``reason`` says it in words. A repeated input has ``duplicate=True`` and the outcome of its
    first occurrence: it was sent once.
    """

    recipient: str
    status: Status
    sms_id: int | None = None
    error_code: str | None = None
    input: str = ""
    duplicate: bool = False
    reason: str = ""

    @property
    def ok(self) -> bool:
        """True when the message was accepted (by the gateway, a queue or a test backend)."""
        return self.status in _ACCEPTED

    @property
    def failed(self) -> bool:
        return self.status == Status.FAILED
