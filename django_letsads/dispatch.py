"""Sending one text to one batch of recipients: the single place where money is spent.

Both the ``letsads`` backend and the outbox worker send through :func:`send_batch`, so the rules
below hold everywhere:

* ``INCORRECT_RECIPIENT_<n>``: the gateway sent nothing; ``<n>`` is marked ``failed`` and the rest
  of the batch is sent again, until a request succeeds or nothing is left.
* A transport fault or gateway answer that may have queued the messages (``maybe_sent``) marks the
  batch ``unknown``. It is never retried here; the client itself has already retried the faults
  that provably never left.
* Any other gateway error refuses the whole request: its recipients are ``failed`` with the code,
  and ``BatchResult.error`` holds the exception so callers can stop (account errors) or carry on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from django_letsads.exceptions import IncorrectRecipientError, LetsAdsError
from django_letsads.status import Status


class Sender(Protocol):
    """What :func:`send_batch` needs of a client (``LetsAdsClient`` or a test double)."""

    def send(self, sender: str, text: str, recipients: Sequence[str]) -> list[int]: ...


class Outcome(NamedTuple):
    """What happened to one recipient. A named tuple, immutable: one is made per message sent,
    and a frozen dataclass cost several times its CPU (``docs/benchmarks.rst``)."""

    status: Status
    sms_id: int | None = None
    error_code: str | None = None
    reason: str = ""


@dataclass
class BatchResult:
    """What happened to every recipient of a batch.

    ``error`` is the request-level error that ended the batch, if any: recipients not yet accepted
    then carry ``failed`` (nothing was sent) or ``unknown`` (``error.maybe_sent``).
    """

    outcomes: dict[str, Outcome] = field(default_factory=dict)
    error: LetsAdsError | None = None
    requests: int = 0

    @property
    def unsent(self) -> list[str]:
        """Recipients that the ending error refused as a whole (the gateway provably sent nothing)."""
        if self.error is None or self.error.maybe_sent:
            return []
        return [r for r, o in self.outcomes.items() if o.error_code == self.error.code]


def send_batch(client: Sender, sender: str, text: str, recipients: Sequence[str]) -> BatchResult:
    """Send ``text`` to ``recipients`` (distinct, normalised, at most 50) in as many requests as
    ``INCORRECT_RECIPIENT`` answers require; never more than ``len(recipients)`` requests."""
    result = BatchResult()
    remaining = list(dict.fromkeys(recipients))
    while remaining:
        result.requests += 1
        try:
            ids = client.send(sender, text, remaining)
        except IncorrectRecipientError as exc:
            if exc.recipient in remaining:
                result.outcomes[exc.recipient] = Outcome(
                    Status.FAILED, error_code=exc.code, reason=exc.message
                )
                remaining.remove(exc.recipient)
                continue
            # The gateway named a number that is not in the request: we cannot tell which one it
            # means, but it sent nothing, so the batch fails as a whole without any risk.
            _settle(result, remaining, exc, Status.FAILED)
            return result
        except LetsAdsError as exc:
            _settle(result, remaining, exc, Status.UNKNOWN if exc.maybe_sent else Status.FAILED)
            return result
        queued = Status.QUEUED
        result.outcomes.update(
            {r: Outcome(queued, sms_id) for r, sms_id in zip(remaining, ids, strict=True)}
        )
        return result
    return result


def _settle(result: BatchResult, recipients: list[str], exc: LetsAdsError, status: Status) -> None:
    result.error = exc
    for recipient in recipients:
        result.outcomes[recipient] = Outcome(status, error_code=exc.code, reason=exc.message)
