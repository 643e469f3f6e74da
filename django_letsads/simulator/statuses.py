"""What the fake gateway says of a message it accepted: its status follows from the clock.

A message is not stored with a status: :func:`status_after` derives it from the time since it
was sent and a deterministic rule for which numbers are not delivered
(:func:`undelivered_by_share`), so a test picks its recipients to get the outcome it wants.
"""

from __future__ import annotations

from collections.abc import Callable

IN_QUEUE = "MESSAGE_IN_QUEUE"
IS_SENT = "MESSAGE_IS_SENT"
IS_DELIVERED = "MESSAGE_IS_DELIVERED"
NOT_DELIVERED = "MESSAGE_NOT_DELIVERED"
#: Every status the gateway answers for a message it knows.
STATUSES = (IN_QUEUE, IS_SENT, IS_DELIVERED, NOT_DELIVERED)


def undelivered_by_share(share: float) -> Callable[[str], bool]:
    """A rule that fails a fixed share of numbers, chosen by their last two digits.

    With ``share=0.1`` the numbers ending in ``00`` to ``09`` are not delivered, so a test can pick
    its recipients to get the outcome it wants.
    """
    cutoff = round(share * 100)

    def undelivered(recipient: str) -> bool:
        return int(recipient[-2:]) < cutoff

    return undelivered


def status_after(
    age: float,
    recipient: str,
    *,
    sent_after: float,
    final_after: float,
    undelivered: Callable[[str], bool],
) -> str:
    """The status of a message to ``recipient`` sent ``age`` seconds ago: in the queue, then
    sent after ``sent_after`` seconds, then final after ``final_after`` (not delivered when
    ``undelivered`` says so of the number)."""
    if age < sent_after:
        return IN_QUEUE
    if age < final_after:
        return IS_SENT
    return NOT_DELIVERED if undelivered(recipient) else IS_DELIVERED
