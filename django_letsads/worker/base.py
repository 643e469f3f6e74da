"""What the send worker and the poller share: their options and the round's client."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django_letsads.accounts import DEFAULT_ALIAS, client_for, get_account
from django_letsads.client import LetsAdsClient
from django_letsads.conf import letsads_settings
from django_letsads.heartbeat import process_heartbeat
from django_letsads.worker.per_account import AccountHolds
from django_letsads.worker.report import RoundReport


class BaseWorker:
    """Configuration of a worker; ``run_once()`` (in subclasses) is one round.

    ``client`` is for tests and embedding; by default each round builds one from settings (read
    then, so a changed password takes effect on the next round) and closes it afterwards.
    ``stop_event`` set from another thread or a signal handler ends the round gracefully.
    ``heartbeat`` tells the admin and ``letsads_status`` that this process is alive.
    ``accounts`` are the aliases of ``settings.LETSADS`` it serves (None: all, each in turn;
    see :mod:`~django_letsads.worker.per_account`); ``concurrency`` given here overrides each
    account's ``CONCURRENCY``.
    """

    #: The heartbeat's kind ("send" or "poll").
    kind = ""

    def __init__(
        self,
        *,
        limit: int | None = None,
        concurrency: int | None = None,
        client: LetsAdsClient | None = None,
        stop_event: threading.Event | None = None,
        on_progress: Callable[[RoundReport], None] | None = None,
        accounts: Sequence[str] | None = None,
    ) -> None:
        self.limit = limit
        self._concurrency = concurrency
        self.concurrency = concurrency or letsads_settings.CONCURRENCY
        self.accounts = list(accounts) if accounts else None
        self.holds = AccountHolds()
        self._client = client
        self.stop_event = stop_event or threading.Event()
        self.on_progress = on_progress
        self.heartbeat = process_heartbeat(self.kind)

    def run_once(self) -> RoundReport:
        raise NotImplementedError(f"{type(self).__name__} must implement run_once()")

    def progress(self, report: RoundReport) -> None:
        """Called by a round as results are written: the heartbeat (throttled), then
        ``on_progress``."""
        self.heartbeat.beat()
        if self.on_progress is not None:
            self.on_progress(report)

    @property
    def has_client(self) -> bool:
        """True when a client was given (tests, embedding): every account's rounds use it."""
        return self._client is not None

    def concurrency_for(self, alias: str) -> int:
        """Requests at once for the account ``alias``: the option, or its ``CONCURRENCY``."""
        return self._concurrency or get_account(alias).CONCURRENCY

    @contextmanager
    def round_client(self, alias: str = DEFAULT_ALIAS) -> Iterator[LetsAdsClient]:
        if self._client is not None:
            yield self._client
            return
        client = client_for(alias)
        try:
            yield client
        finally:
            client.close()
