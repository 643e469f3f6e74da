"""What one poll answer does to a message: its status, counters, next poll. No database here.

:func:`decide` turns the gateway's answer to a status request (or the error it raised) into the
row :func:`~django_letsads.worker.polling.apply_answers` writes; the poller's schedule
(``POLL_SCHEDULE``, ``POLL_RETRY_DELAY``) and its rules (a status never moves back, a final one
ends the polling, an exhausted schedule expires the message) live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django_letsads.conf import letsads_settings
from django_letsads.exceptions import LetsAdsError, MessageNotExistError
from django_letsads.status import FINAL_STATUSES, GATEWAY_STATUS_MAP, Status
from django_letsads.worker.report import RoundReport

#: Polls in a row with no usable answer before one is counted as a poll of the schedule.
MAX_POLL_FAILURES = 5
#: Status of a message never moves back to one of these from a later one.
_ORDER = {Status.QUEUED: 0, Status.SENT: 1}


@dataclass
class Due:
    id: int
    sms_id: int
    status: str
    poll_count: int
    poll_failures: int
    sent_at: datetime | None
    campaign_id: int | None


@dataclass
class Answer:
    due: Due
    code: str = ""
    error: LetsAdsError | None = None


def next_poll(due: Due, poll_count: int, now: datetime) -> datetime | None:
    """When to poll next after ``poll_count`` polls, or None when the schedule is used up."""
    schedule = letsads_settings.POLL_SCHEDULE
    if poll_count >= len(schedule):
        return None
    base = due.sent_at or now
    return max(base + timedelta(seconds=schedule[poll_count]), now)


#: The columns a poll answer writes, in the order of the rows :func:`decide` builds.
FIELDS = (
    "status",
    "poll_count",
    "poll_failures",
    "next_poll_at",
    "final_at",
    "gateway_status",
    "error_code",
    "error_message",
)
#: A written row: the message id, then the values of ``FIELDS``.
Row = tuple[int, str, int, int, datetime | None, datetime | None, str, str, str]


#: ``(message id, old status, new status, code)`` of a row whose status changes.
Change = tuple[int, str, str, str]


def decide(
    answer: Answer, now: datetime, retry_delay: int, report: RoundReport
) -> tuple[Row, Change | None]:
    """The row ``answer`` writes, and its status change if any; counts it in ``report``."""
    due = answer.due
    error = answer.error
    new_status = Status(due.status)
    poll_count, poll_failures = due.poll_count, due.poll_failures
    gateway_status = error_code = error_message = ""
    if error is None or isinstance(error, MessageNotExistError):
        poll_count += 1
        poll_failures = 0
        if error is None:
            gateway_status = answer.code
            mapped = GATEWAY_STATUS_MAP[answer.code]
            if mapped in FINAL_STATUSES or _ORDER.get(mapped, 0) > _ORDER.get(new_status, 0):
                new_status = mapped
        else:
            gateway_status = error_code = error.code
            error_message = error.message[:255]
            report.add(not_found=1)
    else:
        poll_failures += 1
        error_code = error.code[:64]
        error_message = error.message[:255]
        report.add(poll_errors=1)
        if poll_failures >= MAX_POLL_FAILURES:
            poll_count += 1
            poll_failures = 0
    next_poll_at: datetime | None = None
    if new_status not in FINAL_STATUSES:
        if poll_failures:
            next_poll_at = now + timedelta(seconds=retry_delay * 2 ** (poll_failures - 1))
        else:
            next_poll_at = next_poll(due, poll_count, now)
            if next_poll_at is None:
                new_status = Status.EXPIRED
    final_at = now if new_status in FINAL_STATUSES else None
    change: Change | None = None
    if new_status != due.status:
        report.add(polled=1, **{new_status.value: 1})
        code = answer.code or (error.code if error else "")
        change = (due.id, due.status, new_status, code)
    else:
        report.add(polled=1)
    row: Row = (
        due.id,
        new_status.value,
        poll_count,
        poll_failures,
        next_poll_at,
        final_at,
        gateway_status,
        error_code,
        error_message,
    )
    return row, change
