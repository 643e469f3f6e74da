"""The send worker: claim pending messages, send them in batches on a thread pool, apply results.

One thread (the caller's, the coordinator) claims and decides; the pool threads only talk HTTP.
Results are written by a :mod:`~django_letsads.worker.writer`: on PostgreSQL a thread with a
connection of its own, so claiming and writing overlap; on SQLite (or inside a caller's
transaction) the coordinator itself, so one connection is all the worker needs. The coordinator
keeps at most ``2 * concurrency`` batches handed to the pool and claims more only as batches
finish, so few messages sit claimed without a request in flight. Answers are written a pool's
worth at a time (``concurrency`` batches), or after :data:`WRITE_DELAY`: each write is a
transaction, whose fixed cost in the server is then shared by hundreds of messages.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django_letsads import scheduling
from django_letsads.accounts import DEFAULT_ALIAS, get_account
from django_letsads.client import LetsAdsClient
from django_letsads.conf import letsads_settings
from django_letsads.dispatch import BatchResult, send_batch
from django_letsads.exceptions import AccountError, GatewayUnreachableError
from django_letsads.settings_rules import require_valid_settings
from django_letsads.worker import claims, pgsql
from django_letsads.worker.base import BaseWorker
from django_letsads.worker.batches import Batch, make_batches
from django_letsads.worker.claims import Applied, Claimed
from django_letsads.worker.dbretry import retry_on_db_error
from django_letsads.worker.isolation import write_answers
from django_letsads.worker.per_account import run_per_account
from django_letsads.worker.ratelimit import RateLimiter
from django_letsads.worker.report import RoundReport
from django_letsads.worker.writer import Writer, result_writer

logger = logging.getLogger(__name__)

Finished = tuple[list[Claimed], BatchResult, bool]  # messages, result, release the unsent

#: How long an answer may wait for others to share its write (seconds); the coordinator checks at
#: least this often, so an answer is written within about twice this, or once a busy writer is
#: free. Until then a crash leaves its messages ``sending`` (then ``unknown``), as in its request.
WRITE_DELAY = 0.25


class SendWorker(BaseWorker):
    """Sends pending messages. ``run_once()`` is one round: it sends until nothing is pending,
    ``limit`` messages were claimed, the gateway stops it, or ``stop_event`` is set."""

    kind = "send"

    def run_once(self) -> RoundReport:
        report = RoundReport()
        # Before any claim: a bad setting found only when an answer is written would leave
        # messages the gateway accepted without their ids (then ``unknown``).
        require_valid_settings()
        recovered = retry_on_db_error(claims.recover_expired_claims, letsads_settings.CLAIM_LEASE)
        retry_on_db_error(pgsql.refresh_stale_statistics)
        report.add(expired_claims=recovered)
        due = retry_on_db_error(scheduling.begin_round)
        report.add(
            campaigns_started=len(due.started),
            campaigns_expired=len(due.expired),
            campaign_messages_expired=due.expired_messages,
        )
        run_per_account(
            self, report, "send", lambda alias, so_far: self._run_account(report, alias, so_far)
        )
        # An idle round is routine (thousands a day): only DEBUG, so INFO logs show work.
        level = logging.DEBUG if report.idle and not report.backoff else logging.INFO
        logger.log(level, "letsads_send round: %s", report.summary())
        return report

    def _run_account(self, report: RoundReport, alias: str, claimed_so_far: int) -> int:
        """One account's part of the round; returns how many messages it claimed."""
        with self.round_client(alias) as client:
            account_round = _Round(self, client, report, alias, claimed_so_far)
            account_round.run()
        return account_round.claimed_total - claimed_so_far


class _Round:
    """The state of one round; kept apart so ``SendWorker`` holds only configuration."""

    def __init__(
        self,
        worker: SendWorker,
        client: LetsAdsClient,
        report: RoundReport,
        account: str | None = None,
        claimed_so_far: int = 0,
    ) -> None:
        self.worker = worker
        self.client = client
        self.report = report
        #: The account whose messages this round claims (None: every account's, one client).
        self.account = account
        self.concurrency = worker.concurrency_for(account or DEFAULT_ALIAS)
        self.token = uuid.uuid4().hex
        self.batch_size = letsads_settings.BATCH_SIZE
        self.claim_size = min(letsads_settings.CLAIM_SIZE, self.concurrency * self.batch_size * 2)
        self.rate = RateLimiter(get_account(account).RATE_LIMIT)
        self.ready: deque[Batch] = deque()
        self.in_flight: dict[Future[BatchResult], Batch] = {}
        #: Answers not yet handed to the writer: they go as one write when :meth:`_write_due`.
        self.unwritten: list[Finished] = []
        self.unwritten_since = 0.0  # when the oldest of them arrived (``time.monotonic``)
        self.writer: Writer[Applied] = result_writer("letsads-send-write")
        self.claimed_total = claimed_so_far  # the whole round's, for ``limit``
        #: Per source (campaign id, or None), the last id this round claimed: see ``claims.claim``.
        self.after: dict[int | None, int] = {}
        self.exhausted = False
        self.stopping = False

    def run(self) -> None:
        with ThreadPoolExecutor(
            max_workers=self.concurrency, thread_name_prefix="letsads-send"
        ) as pool:
            try:
                self._loop(pool)
            finally:
                try:
                    self._drain()
                finally:
                    self.writer.close(raise_errors=False)

    def _loop(self, pool: ThreadPoolExecutor) -> None:
        while True:
            if self.worker.stop_event.is_set() and not self.stopping:
                self.report.interrupted = True
                self._stop()
            while not self.stopping and len(self.in_flight) < 2 * self.concurrency:
                if not self.ready and not self._claim_more():
                    break
                sender, text, batch = self.ready.popleft()
                future = pool.submit(self._send, sender, text, [m.recipient for m in batch])
                self.in_flight[future] = (sender, text, batch)
            if not self.in_flight:
                return
            timeout = WRITE_DELAY if self.unwritten else 0.5
            done, _ = wait(list(self.in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
            self._apply([(future, self.in_flight.pop(future)) for future in done])
            self._write()

    def _send(self, sender: str, text: str, recipients: list[str]) -> BatchResult:
        self.rate.acquire()
        return send_batch(self.client, sender, text, recipients)

    def _claim_more(self) -> bool:
        if self.exhausted:
            return False
        size = self.claim_size
        if self.worker.limit is not None:
            size = min(size, self.worker.limit - self.claimed_total)
        if size <= 0:
            self.exhausted = True
            return False
        messages = retry_on_db_error(
            claims.claim, size, self.token, after=self.after, account=self.account
        )
        if not messages:
            self.exhausted = True
            return False
        after = self.after
        for pk, _, campaign_id, _, _ in messages:
            if pk > after.get(campaign_id, 0):
                after[campaign_id] = pk
        self.claimed_total += len(messages)
        self.report.add(claimed=len(messages))
        self.ready.extend(make_batches(messages, self.batch_size))
        return True

    def _apply(self, finished: list[tuple[Future[BatchResult], Batch]]) -> None:
        """Take in the answers of finished batches: decide at once whether the round must stop,
        and queue their writing (see :meth:`_write`)."""
        for future, (_, _, messages) in finished:
            try:
                result = future.result()
            except Exception:
                # A bug, not a gateway answer: we cannot know whether the request left, so the
                # claims stay ``sending`` and the lease turns them ``unknown``; stop sending more.
                logger.exception("Sending a batch of %d failed unexpectedly", len(messages))
                self.report.add(crashed=len(messages))
                self._stop()
                continue
            self.report.add(requests=result.requests)
            error = result.error
            if isinstance(error, AccountError):
                if self.report.stop_error is None:
                    self.report.stop_error = error
                    logger.error("LetsAds refused the account (%s): %s", error.code, error.message)
                self._stop()
            elif isinstance(error, GatewayUnreachableError):
                self.report.backoff = True
                self._stop()
            release = isinstance(error, AccountError | GatewayUnreachableError)
            if not self.unwritten:
                self.unwritten_since = time.monotonic()
            self.unwritten.append((messages, result, release))

    def _write(self, *, wait: bool = False) -> None:
        """Hand the answers gathered so far to the writer as one write, when :meth:`_write_due`.

        They go in one transaction (``claims.apply_results``). With ``wait`` (the end of the
        round), wait for the writer and write everything.
        """
        if self.unwritten and (wait or self._write_due()):
            # Let the writer finish first, so that if its last write failed, the error is raised
            # here while these answers are still in ``unwritten`` (the drain writes them).
            self._collect(wait=True)
            items, self.unwritten = self.unwritten, []
            self.writer.submit(lambda: _write_results(self.token, items))
        self._collect(wait=wait)

    def _write_due(self) -> bool:
        """Whether to write now: at once when as many batches wait as may be in flight (the
        coordinator waits for the writer instead of claiming more, so answers never pile up);
        else when the writer is free and a pool's worth waits, or the oldest has waited
        :data:`WRITE_DELAY`."""
        waiting = len(self.unwritten)
        if waiting >= 2 * self.concurrency:
            return True
        if self.writer.busy:
            return False
        return waiting >= self.concurrency or time.monotonic() - self.unwritten_since >= WRITE_DELAY

    def _collect(self, *, wait: bool) -> None:
        """Count what the writer has written (``wait``: everything handed to it)."""
        applied_list = self.writer.collect(wait=wait)
        for applied in applied_list:
            self.report.add(
                queued=applied.queued,
                failed=applied.failed,
                unknown=applied.unknown,
                released=applied.released,
                stale=applied.stale,
            )
        if applied_list:
            self.worker.progress(self.report)

    def _stop(self) -> None:
        """Send nothing more: cancel batches not yet started and release their claims."""
        self.stopping = True
        for future, batch in list(self.in_flight.items()):
            if future.cancel():
                del self.in_flight[future]
                self.ready.append(batch)

    def _drain(self) -> None:
        """Wait for requests in flight and apply them; release every claim never sent.

        Batches not yet started are cancelled first: after an error nothing more goes out.
        """
        self._stop()
        for future in list(self.in_flight):
            future.exception()  # waits; the result is applied below
        self._apply([(f, batch) for f, batch in self.in_flight.items() if not f.cancelled()])
        self.in_flight.clear()
        self._write(wait=True)
        unsent = [m.id for _, _, batch in self.ready for m in batch]
        self.ready.clear()
        if unsent:
            code = self.report.stop_error.code if self.report.stop_error else ""
            released = retry_on_db_error(claims.release, self.token, unsent, code=code)
            self.report.add(released=released)


def _write_results(token: str, items: list[Finished]) -> Applied:
    """Write finished batches (on the writer's thread), then pause the campaigns of any whose
    request an account-level error refused, with the reason shown in the admin."""
    applied = write_answers(token, items)
    for messages, result, _ in items:
        if isinstance(result.error, AccountError):
            retry_on_db_error(
                claims.pause_for_account_error,
                [m.campaign_id for m in messages if m.campaign_id is not None],
                result.error.code,
                result.error.message,
            )
    return applied
