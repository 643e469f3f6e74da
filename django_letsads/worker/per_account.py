"""One worker round over several LetsAds accounts: each account in turn, with its own client.

A round runs one sub-round per account the worker serves (all configured aliases, or those
given with ``--account``), one after the other, sharing the round's report, ``limit`` and stop
event. An account error (``NOT_ENOUGH_MONEY``, ``AUTH_DATA`` …) or an unreachable gateway ends
only that account's sub-round: the others still run. The round reports ``stop_error`` (which
makes the loop back off) only when no account did work without such trouble; with several
accounts, one in trouble is skipped for a while (:class:`AccountHolds`) instead, so its outbox
messages wait while the other accounts go on.

Work whose account alias is no longer configured is left alone (never claimed, never polled):
the round says so once, in the log and its report (``left_behind``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django_letsads.accounts import (
    aliases,
    get_account,
    require_credentials,
    unconfigured_accounts,
)
from django_letsads.worker.dbretry import retry_on_db_error

if TYPE_CHECKING:
    from django_letsads.worker.base import BaseWorker
    from django_letsads.worker.report import RoundReport

logger = logging.getLogger(__name__)

#: First and longest time an account in trouble is skipped, when the worker serves several.
HOLD_SECONDS = 30.0
MAX_HOLD_SECONDS = 300.0


class AccountHolds:
    """Accounts a worker skips for now after an account error, with a doubling hold."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._length: dict[str, float] = {}

    def held(self, alias: str) -> bool:
        return time.monotonic() < self._until.get(alias, 0.0)

    def hold(self, alias: str) -> float:
        length = min(self._length.get(alias, HOLD_SECONDS / 2) * 2, MAX_HOLD_SECONDS)
        self._length[alias] = length
        self._until[alias] = time.monotonic() + length
        return length

    def release(self, alias: str) -> None:
        self._until.pop(alias, None)
        self._length.pop(alias, None)


def served_accounts(worker: BaseWorker) -> list[str]:
    """The aliases this worker serves; an alias given but not configured raises
    ``LetsAdsConfigurationError`` naming the configured ones."""
    if worker.accounts is None:
        return aliases()
    return [get_account(alias).alias for alias in worker.accounts]


def run_per_account(
    worker: BaseWorker,
    report: RoundReport,
    kind: str,
    run_one: Callable[[str, int], int],
) -> None:
    """Run ``run_one(alias, claimed_so_far) -> claimed`` for each served account (see module)."""
    served = served_accounts(worker)
    if not worker.has_client:
        # Before any claim: an account without its password must not stop the round halfway,
        # after the accounts before it have sent.
        for alias in served:
            require_credentials(alias)
    left = retry_on_db_error(unconfigured_accounts, kind)
    if left:
        report.left_behind = left
        logger.warning(
            "letsads_%s leaves work of accounts not in settings.LETSADS: %s",
            kind,
            ", ".join(f"{alias!r} ({what})" for alias, what in sorted(left.items())),
        )
    several = len(served) > 1
    first_error = None
    any_backoff = False
    clean_work = False
    claimed = 0
    for alias in served:
        if worker.stop_event.is_set():
            break
        if several and worker.holds.held(alias):
            report.held.append(alias)
            continue
        report.stop_error, report.backoff = None, False
        done = run_one(alias, claimed)
        claimed += done
        error, backoff = report.stop_error, report.backoff
        if error is not None:
            report.account_errors[alias] = error
            first_error = first_error or error
        any_backoff = any_backoff or backoff
        if error is not None or backoff:
            if several:
                seconds = worker.holds.hold(alias)
                logger.warning(
                    "LetsAds account %r skipped for %.0fs: %s",
                    alias,
                    seconds,
                    error.code if error is not None else "gateway unreachable",
                )
        else:
            worker.holds.release(alias)
            clean_work = clean_work or done > 0
    quiet = several and clean_work
    report.stop_error = None if quiet else first_error
    report.backoff = any_backoff and not quiet
