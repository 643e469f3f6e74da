"""The status poller: ask the gateway about accepted messages on the provider's schedule.

LetsAds asks clients to check a status 10 minutes and 3 hours after sending, not in a loop, and a
status request carries one id. So every accepted message has a ``next_poll_at``; a round claims the
due ones (moving ``next_poll_at`` a lease ahead so other pollers skip them), asks on a thread pool,
and writes the answers in bulk from the calling thread.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import connections, router, transaction
from django.db.models import Field
from django.utils import timezone

from django_letsads.accounts import get_account
from django_letsads.campaigns import finish_done_campaigns
from django_letsads.client import LetsAdsClient
from django_letsads.conf import letsads_settings
from django_letsads.exceptions import AccountError, LetsAdsError, MessageNotExistError
from django_letsads.models import Message, StatusEvent
from django_letsads.settings_rules import require_valid_settings
from django_letsads.status import FINAL_STATUSES, GATEWAY_STATUS_MAP, POLLABLE_STATUSES, Status
from django_letsads.transitions import notify
from django_letsads.worker import pgsql
from django_letsads.worker.base import BaseWorker
from django_letsads.worker.dbretry import retry_on_db_error
from django_letsads.worker.per_account import run_per_account
from django_letsads.worker.ratelimit import RateLimiter
from django_letsads.worker.report import RoundReport

logger = logging.getLogger(__name__)

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


def claim_due(
    limit: int, lease: int, *, due_by: datetime | None = None, account: str | None = None
) -> list[Due]:
    """Take up to ``limit`` polls due by ``due_by`` (default now) and move them ``lease`` seconds
    ahead so other pollers skip them; ``account``: only messages sent with that account."""
    now = timezone.now()
    with transaction.atomic():
        qs = (
            Message.objects.filter(next_poll_at__lte=due_by or now, status__in=POLLABLE_STATUSES)
            .exclude(sms_id=None)
            .order_by("next_poll_at")
        )
        if account is not None:
            qs = qs.filter(account=account)
        db = router.db_for_write(Message)
        if connections[db].features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(
            qs.values_list(
                "id", "sms_id", "status", "poll_count", "poll_failures", "sent_at", "campaign_id"
            )[:limit]
        )
        if rows:
            Message.objects.filter(id__in=[r[0] for r in rows]).update(
                next_poll_at=now + timedelta(seconds=lease)
            )
    return [
        Due(pk, sms_id, status, polls, failures, sent_at, campaign_id)
        for pk, sms_id, status, polls, failures, sent_at, campaign_id in rows
        if sms_id is not None
    ]


def next_poll(due: Due, poll_count: int, now: datetime) -> datetime | None:
    """When to poll next after ``poll_count`` polls, or None when the schedule is used up."""
    schedule = letsads_settings.POLL_SCHEDULE
    if poll_count >= len(schedule):
        return None
    base = due.sent_at or now
    return max(base + timedelta(seconds=schedule[poll_count]), now)


def apply_answers(answers: list[Answer], *, now: datetime | None = None) -> RoundReport:
    """Write poll answers: status, raw code, counters, next poll, history; one transaction."""
    now = now or timezone.now()
    report = RoundReport()
    updates: list[Message] = []
    events: list[StatusEvent] = []
    changes: list[tuple[int, str, str, str]] = []
    for answer in answers:
        due = answer.due
        message = Message(
            id=due.id,
            status=due.status,
            poll_count=due.poll_count,
            poll_failures=due.poll_failures,
            next_poll_at=None,
            final_at=None,
            gateway_status="",
            error_code="",
            error_message="",
        )
        new_status = Status(due.status)
        if answer.error is None or isinstance(answer.error, MessageNotExistError):
            message.poll_count = due.poll_count + 1
            message.poll_failures = 0
            if answer.error is None:
                message.gateway_status = answer.code
                mapped = GATEWAY_STATUS_MAP[answer.code]
                if mapped in FINAL_STATUSES or _ORDER.get(mapped, 0) > _ORDER.get(new_status, 0):
                    new_status = mapped
            else:
                message.gateway_status = answer.error.code
                message.error_code = answer.error.code
                message.error_message = answer.error.message[:255]
                report.add(not_found=1)
        else:
            message.poll_failures = due.poll_failures + 1
            message.error_code = answer.error.code[:64]
            message.error_message = answer.error.message[:255]
            report.add(poll_errors=1)
            if message.poll_failures >= MAX_POLL_FAILURES:
                message.poll_count = due.poll_count + 1
                message.poll_failures = 0
        if new_status not in FINAL_STATUSES:
            if message.poll_failures:
                delay = letsads_settings.POLL_RETRY_DELAY * 2 ** (message.poll_failures - 1)
                message.next_poll_at = now + timedelta(seconds=delay)
            else:
                message.next_poll_at = next_poll(due, message.poll_count, now)
                if message.next_poll_at is None:
                    new_status = Status.EXPIRED
        if new_status in FINAL_STATUSES:
            message.final_at = now
        message.status = new_status
        report.add(polled=1, **{new_status.value: 1} if new_status != due.status else {})
        if new_status != due.status:
            code = answer.code or (answer.error.code if answer.error else "")
            events.append(
                StatusEvent(
                    message_id=due.id,
                    old_status=due.status,
                    new_status=new_status,
                    code=code,
                    created_at=now,
                )
            )
            changes.append((due.id, due.status, new_status, code))
        updates.append(message)
    with transaction.atomic():
        fields = [
            "status",
            "poll_count",
            "poll_failures",
            "next_poll_at",
            "final_at",
            "gateway_status",
            "error_code",
            "error_message",
        ]
        # Keep the error of a failed send if a poll has nothing new to say about it.
        for start in range(0, len(updates), 500):
            _write_polled(updates[start : start + 500], fields)
        StatusEvent.objects.bulk_create(events, batch_size=1000)
        for message_id, old, new, code in changes:
            notify([message_id], old, new, code)
        campaign_ids = {a.due.campaign_id for a in answers if a.due.campaign_id is not None}
        if campaign_ids:
            finish_done_campaigns(campaign_ids)
    return report


def _write_polled(messages: list[Message], fields: list[str]) -> None:
    """Write ``fields`` of ``messages`` (which carry their ``id``) in one UPDATE.

    What ``bulk_update`` does, written as SQL: the ORM resolves and copies one ``When`` per row
    and field, about 4 ms of CPU per polled message, which made the poller's only thread, not
    the network, its bound (see ``docs/benchmarks.rst``).
    """
    connection = connections[router.db_for_write(Message)]
    quote = connection.ops.quote_name
    casted = connection.features.requires_casted_case_in_updates
    sets: list[str] = []
    params: list[Any] = []
    for name in fields:
        field = cast("Field[Any, Any]", Message._meta.get_field(name))
        case = f"CASE {quote('id')} {' '.join(['WHEN %s THEN %s'] * len(messages))} END"
        if casted:
            case = f"CAST({case} AS {field.cast_db_type(connection)})"
        sets.append(f"{quote(str(field.column))} = {case}")
        for message in messages:
            value = getattr(message, str(field.attname))
            params += [message.pk, field.get_db_prep_save(value, connection)]
    marks = ", ".join(["%s"] * len(messages))
    params += [message.pk for message in messages]
    sql = (
        f"UPDATE {quote(Message._meta.db_table)} SET {', '.join(sets)} "  # noqa: S608 - names from _meta, values bound
        f"WHERE {quote('id')} IN ({marks})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def release_due(ids: list[int]) -> None:
    """Make claimed polls due again right away (the run stopped before asking)."""
    if ids:
        Message.objects.filter(id__in=ids).update(next_poll_at=timezone.now())


class PollWorker(BaseWorker):
    """Polls due statuses. ``run_once()`` polls until nothing is due or ``limit`` is reached.

    Pipelined: while the answers of one chunk are written, the next chunk's questions are already
    on the thread pool, so the gateway is never left waiting for the database.
    """

    kind = "poll"
    #: Polls claimed, and answers written, per transaction.
    chunk = 500

    def run_once(self) -> RoundReport:
        report = RoundReport()
        # Before any claim: a bad setting found only when an answer is written would leave
        # messages the gateway accepted without their ids (then ``unknown``).
        require_valid_settings()
        retry_on_db_error(pgsql.refresh_stale_statistics)
        run_per_account(
            self, report, "poll", lambda alias, so_far: self._run_account(report, alias, so_far)
        )
        report.interrupted = self.stop_event.is_set()
        # An idle round is routine (thousands a day): only DEBUG, so INFO logs show work.
        level = logging.DEBUG if report.idle and not report.backoff else logging.INFO
        logger.log(level, "letsads_poll round: %s", report.summary())
        return report

    def _run_account(self, report: RoundReport, alias: str, claimed_so_far: int) -> int:
        """Poll the messages the account ``alias`` sent, with its client; returns how many."""
        with (
            self.round_client(alias) as client,
            ThreadPoolExecutor(
                self.concurrency_for(alias), thread_name_prefix="letsads-poll"
            ) as pool,
        ):
            account_round = _PollRound(self, client, pool, report, alias, claimed_so_far)
            account_round.run()
        return account_round.claimed - claimed_so_far


class _PollRound:
    def __init__(
        self,
        worker: PollWorker,
        client: LetsAdsClient,
        pool: ThreadPoolExecutor,
        report: RoundReport,
        account: str | None = None,
        claimed_so_far: int = 0,
    ) -> None:
        self.worker = worker
        self.client = client
        self.pool = pool
        self.report = report
        self.account = account
        settings = get_account(account)
        self.rate = RateLimiter(settings.RATE_LIMIT)
        self.lease = int(settings.TIMEOUT * (settings.CONNECT_RETRIES + 2) + 60)
        # Only what was due when the round began: a message re-scheduled by this round waits
        # for the next one, however short the schedule.
        self.started = timezone.now()
        self.claimed = claimed_so_far  # the whole round's, for ``limit``

    def run(self) -> None:
        current = self._claim_and_ask()
        while current:
            following = self._claim_and_ask()
            self._write([future.result() for future in current])
            current = following

    def _claim_and_ask(self) -> list[Future[Answer]]:
        if self.worker.stop_event.is_set() or self.report.stop_error is not None:
            return []
        size = self.worker.chunk
        if self.worker.limit is not None:
            size = min(size, self.worker.limit - self.claimed)
        if size <= 0:
            return []
        batch = retry_on_db_error(
            claim_due, size, self.lease, due_by=self.started, account=self.account
        )
        self.claimed += len(batch)
        return [self.pool.submit(self._ask, due) for due in batch]

    def _ask(self, due: Due) -> Answer:
        if self.worker.stop_event.is_set() or self.report.stop_error is not None:
            return Answer(due)  # not asked: released below
        self.rate.acquire()
        try:
            return Answer(due, code=self.client.status(due.sms_id))
        except LetsAdsError as exc:
            if isinstance(exc, AccountError) and self.report.stop_error is None:
                self.report.stop_error = exc
            return Answer(due, error=exc)

    def _write(self, answers: list[Answer]) -> None:
        usable, skipped = [], []
        for answer in answers:
            unanswered = not answer.code and answer.error is None
            if unanswered or isinstance(answer.error, AccountError):
                skipped.append(answer.due.id)
            else:
                usable.append(answer)
        self.report.counts.update(retry_on_db_error(apply_answers, usable).counts)
        retry_on_db_error(release_due, skipped)
        self.worker.progress(self.report)
