"""The status poller: ask the gateway about accepted messages on the provider's schedule.

LetsAds asks clients to check a status 10 minutes and 3 hours after sending, not in a loop, and a
status request carries one id. So every accepted message has a ``next_poll_at``; a round claims the
due ones (moving ``next_poll_at`` a lease ahead so other pollers skip them), asks on a thread pool,
and writes the answers in bulk from the calling thread.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import connections, router, transaction
from django.db.models import Field
from django.utils import timezone

from django_letsads.accounts import DEFAULT_ALIAS, get_account
from django_letsads.campaigns import finish_done_campaigns
from django_letsads.client import LetsAdsClient
from django_letsads.conf import letsads_settings
from django_letsads.exceptions import AccountError, LetsAdsError
from django_letsads.models import Message, StatusEvent
from django_letsads.settings_rules import require_valid_settings
from django_letsads.status import POLLABLE_STATUSES
from django_letsads.transitions import notify
from django_letsads.worker import pgsql
from django_letsads.worker.base import BaseWorker
from django_letsads.worker.dbretry import retry_on_db_error
from django_letsads.worker.per_account import run_per_account
from django_letsads.worker.poll_answers import FIELDS, Answer, Change, Due, Row, decide
from django_letsads.worker.ratelimit import RateLimiter
from django_letsads.worker.report import RoundReport

logger = logging.getLogger(__name__)


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


def apply_answers(answers: list[Answer], *, now: datetime | None = None) -> RoundReport:
    """Write poll answers: status, raw code, counters, next poll, history; one transaction."""
    now = now or timezone.now()
    report = RoundReport()
    rows: list[Row] = []
    changes: list[Change] = []
    retry_delay = letsads_settings.POLL_RETRY_DELAY
    for answer in answers:
        row, change = decide(answer, now, retry_delay, report)
        rows.append(row)
        if change is not None:
            changes.append(change)
    with transaction.atomic():
        if pgsql.applies():
            pgsql.write_polled(rows, changes, now)
        else:
            for start in range(0, len(rows), 500):
                _write_polled(rows[start : start + 500])
            StatusEvent.objects.bulk_create(
                [
                    StatusEvent(
                        message_id=pk, old_status=old, new_status=new, code=code, created_at=now
                    )
                    for pk, old, new, code in changes
                ],
                batch_size=1000,
            )
        for message_id, old, new, code in changes:
            notify([message_id], old, new, code)
        campaign_ids = {a.due.campaign_id for a in answers if a.due.campaign_id is not None}
        if campaign_ids:
            finish_done_campaigns(campaign_ids)
    return report


def _write_polled(rows: list[Row]) -> None:
    """Write the ``FIELDS`` of ``rows`` (id first) in one UPDATE (SQLite and other databases;
    PostgreSQL: :func:`pgsql.write_polled`).

    What ``bulk_update`` does, written as SQL: the ORM resolves and copies one ``When`` per row
    and field, about 4 ms of CPU per polled message, which made the poller's only thread, not
    the network, its bound (see ``docs/benchmarks.rst``).
    """
    connection = connections[router.db_for_write(Message)]
    quote = connection.ops.quote_name
    casted = connection.features.requires_casted_case_in_updates
    sets: list[str] = []
    params: list[Any] = []
    for index, name in enumerate(FIELDS, start=1):
        field = cast("Field[Any, Any]", Message._meta.get_field(name))
        case = f"CASE {quote('id')} {' '.join(['WHEN %s THEN %s'] * len(rows))} END"
        if casted:
            case = f"CAST({case} AS {field.cast_db_type(connection)})"
        sets.append(f"{quote(str(field.column))} = {case}")
        for row in rows:
            params += [row[0], field.get_db_prep_save(row[index], connection)]
    marks = ", ".join(["%s"] * len(rows))
    params += [row[0] for row in rows]
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
        concurrency = self.concurrency_for(alias)
        with (
            self.round_client(alias) as client,
            ThreadPoolExecutor(concurrency, thread_name_prefix="letsads-poll") as pool,
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
        #: Pool tasks per chunk, each asking for the chunk's next poll until none is left.
        self.concurrency = worker.concurrency_for(account or DEFAULT_ALIAS)

    def run(self) -> None:
        current = self._claim_and_ask()
        while current is not None:
            following = self._claim_and_ask()
            self._write(current.answers())
            current = following

    def _claim_and_ask(self) -> _Asking | None:
        if self.worker.stop_event.is_set() or self.report.stop_error is not None:
            return None
        size = self.worker.chunk
        if self.worker.limit is not None:
            size = min(size, self.worker.limit - self.claimed)
        if size <= 0:
            return None
        batch = retry_on_db_error(
            claim_due, size, self.lease, due_by=self.started, account=self.account
        )
        self.claimed += len(batch)
        if not batch:
            return None
        # A few tasks per chunk, not one per poll: a future per message was CPU per poll.
        asking = _Asking(batch)
        tasks = min(self.concurrency, len(batch))
        asking.tasks = [self.pool.submit(asking.ask_all, self._ask) for _ in range(tasks)]
        return asking

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


class _Asking:
    """One chunk of claimed polls, asked by a few pool tasks that each take the next one."""

    def __init__(self, dues: list[Due]) -> None:
        self._todo = deque(enumerate(dues))
        self._answers: list[Answer | None] = [None] * len(dues)
        self.tasks: list[Future[None]] = []

    def ask_all(self, ask: Callable[[Due], Answer]) -> None:
        while True:
            try:
                index, due = self._todo.popleft()  # thread-safe
            except IndexError:
                return
            self._answers[index] = ask(due)

    def answers(self) -> list[Answer]:
        """Every answer, in the order of the claim, once all tasks are done."""
        for task in self.tasks:
            task.result()
        return [answer for answer in self._answers if answer is not None]
