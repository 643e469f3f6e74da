"""The health of the sending machinery, for ``manage.py letsads_status`` and monitoring.

:func:`collect` gathers workers (their heartbeats), the backlog, the balance and the paused
campaigns with a handful of small queries and one balance request, and judges them against
:class:`Thresholds`: each problem is a warning or critical, and the worst sets the exit code
(0 ok, 1 warning, 2 critical, like a Nagios plugin). A database that cannot be reached raises
``DatabaseError``; the command turns that into a critical result itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Min
from django.utils import timezone

from django_letsads.accounts import DEFAULT_ALIAS, aliases
from django_letsads.exceptions import LetsAdsConfigurationError, LetsAdsError
from django_letsads.gateway import client_from_settings
from django_letsads.heartbeat import POLL, SEND, running_workers
from django_letsads.models import Campaign, Message
from django_letsads.status import Status

OK, WARNING, CRITICAL = 0, 1, 2
LEVELS = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL"}


@dataclass(frozen=True)
class Thresholds:
    """When something becomes a problem; the command's options, with these defaults."""

    #: Age in seconds of the oldest message waiting to be sent.
    pending_warning: float = 600
    pending_critical: float = 3600
    #: How late in seconds the most overdue status poll is.
    poll_warning: float = 900
    poll_critical: float = 3600
    #: Balance at or below which sending is about to stop (in the account's currency).
    balance_warning: Decimal = Decimal(50)
    balance_critical: Decimal = Decimal(0)


@dataclass(frozen=True)
class Problem:
    level: int
    text: str


@dataclass
class HealthReport:
    workers: list[dict[str, Any]] = field(default_factory=list)
    backlog: dict[str, Any] = field(default_factory=dict)
    balance: dict[str, str] = field(default_factory=dict)
    #: With several accounts: the balance of each account but ``"default"`` (in ``balance``).
    balances: dict[str, dict[str, str]] = field(default_factory=dict)
    paused_campaigns: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def level(self) -> int:
        return max((p.level for p in self.problems), default=OK)

    def add(self, level: int, text: str) -> None:
        self.problems.append(Problem(level, text))

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = LEVELS[self.level].lower()
        data["exit_code"] = self.level
        data["problems"] = [
            {"level": LEVELS[p.level].lower(), "text": p.text} for p in self.problems
        ]
        return data


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else max(0.0, (now - moment).total_seconds())


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def collect(
    thresholds: Thresholds | None = None, *, balance: bool = True, now: datetime | None = None
) -> HealthReport:
    """Everything ``letsads_status`` shows, judged against ``thresholds``."""
    limits = thresholds or Thresholds()
    now = now or timezone.now()
    report = HealthReport()
    for worker in running_workers(now):
        report.workers.append(
            {
                "kind": worker.kind,
                "host": worker.host,
                "pid": worker.pid,
                "started_at": _iso(worker.started_at),
                "last_seen_seconds": _age(worker.last_seen, now),
                "last_round_seconds": _age(worker.last_round_at, now),
                "last_round": worker.last_round,
            }
        )
    _backlog(report, limits, now)
    if balance:
        _balance(report, limits)
    for campaign in Campaign.objects.filter(state=Campaign.State.PAUSED).order_by("id"):
        reason = campaign.pause_reason or "no reason recorded"
        report.paused_campaigns.append({"id": campaign.pk, "name": campaign.name, "reason": reason})
        report.add(WARNING, f"campaign {campaign.pk} “{campaign.name}” is paused: {reason}")
    return report


def _backlog(report: HealthReport, limits: Thresholds, now: datetime) -> None:
    sendable = Message.objects.sendable()
    pending = sendable.count()
    oldest = _age(sendable.aggregate(oldest=Min("created_at"))["oldest"], now)
    due = Message.objects.due_for_poll(now)
    due_count = due.count()
    overdue = _age(due.aggregate(oldest=Min("next_poll_at"))["oldest"], now)
    unknown = Message.objects.filter(status=Status.UNKNOWN).count()
    report.backlog = {
        "pending": pending,
        "oldest_pending_seconds": oldest,
        "sending": Message.objects.filter(status=Status.SENDING).count(),
        "due_polls": due_count,
        "oldest_due_poll_seconds": overdue,
        "unknown": unknown,
    }
    kinds = {worker["kind"] for worker in report.workers}
    for kind, waiting, what, start in (
        (SEND, pending, "messages wait to be sent", "letsads_send --loop"),
        (POLL, due_count, "status polls are due", "letsads_poll --loop"),
    ):
        if kind not in kinds:
            level = CRITICAL if waiting else WARNING
            report.add(level, f"no {kind} worker is running ({waiting} {what}); start {start}")
    for age, warn, crit, what in (
        (oldest, limits.pending_warning, limits.pending_critical, "the oldest pending message"),
        (overdue, limits.poll_warning, limits.poll_critical, "the most overdue status poll"),
    ):
        if age is not None and age >= warn:
            report.add(CRITICAL if age >= crit else WARNING, f"{what} has waited {age:.0f} s")
    if unknown:
        report.add(WARNING, f"{unknown} message(s) are 'unknown' and wait for a person's decision")


def _balance(report: HealthReport, limits: Thresholds) -> None:
    """The balance of each account: ``"default"`` in ``report.balance``, others in
    ``report.balances``; problems about another account name it."""
    for alias in aliases():
        found: dict[str, str] = {}
        if alias == DEFAULT_ALIAS:
            report.balance = found
        else:
            report.balances[alias] = found
        whose = "" if alias == DEFAULT_ALIAS else f"account {alias}: "
        try:
            with client_from_settings(alias) as client:
                answer = client.balance()
        except LetsAdsConfigurationError as exc:
            found["error"] = str(exc)
            report.add(WARNING, f"{whose}balance unknown: {exc}")
            continue
        except LetsAdsError as exc:
            found["error"] = exc.code
            report.add(WARNING, f"{whose}balance unknown: the gateway answered {exc.code}")
            continue
        amount, currency = answer.amount, answer.currency
        found.update(amount=str(amount), currency=currency)
        if amount <= limits.balance_critical:
            report.add(CRITICAL, f"{whose}balance is {amount} {currency}")
        elif amount <= limits.balance_warning:
            report.add(WARNING, f"{whose}balance is low: {amount} {currency}")
