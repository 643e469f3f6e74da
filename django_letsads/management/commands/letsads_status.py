"""``manage.py letsads_status``: workers, backlog, balance and paused campaigns, for monitoring.

Exits 0 (ok), 1 (warning) or 2 (critical), like a Nagios plugin; the first line of the output is
the verdict. ``--json`` prints the same as one JSON object.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from django_letsads.monitoring import CRITICAL, LEVELS, HealthReport, Thresholds, collect

DEFAULTS = Thresholds()


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{value:.0f} s"


class Command(BaseCommand):
    help = (
        "Print the health of the LetsAds workers, backlog, balance and paused campaigns; "
        "exit 0 ok, 1 warning, 2 critical."
    )
    requires_system_checks: list[str] = []  # a monitor must answer even when a check fails

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--no-balance", action="store_true", help="Do not ask the gateway for the balance."
        )
        for name, default, what in (
            ("pending-warning", DEFAULTS.pending_warning, "age of the oldest pending message"),
            ("pending-critical", DEFAULTS.pending_critical, "age of the oldest pending message"),
            ("poll-warning", DEFAULTS.poll_warning, "delay of the most overdue status poll"),
            ("poll-critical", DEFAULTS.poll_critical, "delay of the most overdue status poll"),
        ):
            parser.add_argument(
                f"--{name}",
                type=float,
                default=default,
                help=f"Seconds: {what} (default {default:.0f}).",
            )
        for option, amount in (
            ("balance-warning", DEFAULTS.balance_warning),
            ("balance-critical", DEFAULTS.balance_critical),
        ):
            parser.add_argument(
                f"--{option}",
                type=Decimal,
                default=amount,
                help=f"Balance at or below (default {amount}).",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        thresholds = Thresholds(
            pending_warning=options["pending_warning"],
            pending_critical=options["pending_critical"],
            poll_warning=options["poll_warning"],
            poll_critical=options["poll_critical"],
            balance_warning=options["balance_warning"],
            balance_critical=options["balance_critical"],
        )
        try:
            report = collect(thresholds, balance=not options["no_balance"])
        except DatabaseError as exc:
            first_line = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            text = f"the database cannot be read: {first_line}"
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "status": "critical",
                            "exit_code": CRITICAL,
                            "problems": [{"level": "critical", "text": text}],
                        }
                    )
                )
            else:
                self.stdout.write(f"LETSADS CRITICAL - {text}")
            raise SystemExit(CRITICAL) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self._print(report)
        if report.level:
            raise SystemExit(report.level)

    def _print(self, report: HealthReport) -> None:
        worst = [p.text for p in report.problems if p.level == report.level]
        self.stdout.write(f"LETSADS {LEVELS[report.level]}" + (f" - {worst[0]}" if worst else ""))
        self.stdout.write("Workers:" if report.workers else "Workers: none running")
        for w in report.workers:
            self.stdout.write(
                f"  {w['kind']:<4} {w['host']}:{w['pid']}  seen {_seconds(w['last_seen_seconds'])} "
                f"ago, last round {_seconds(w['last_round_seconds'])} ago: {w['last_round'] or '-'}"
            )
        b = report.backlog
        self.stdout.write(
            f"Backlog: {b['pending']} pending (oldest {_seconds(b['oldest_pending_seconds'])}), "
            f"{b['sending']} sending, {b['due_polls']} polls due (oldest "
            f"{_seconds(b['oldest_due_poll_seconds'])}), {b['unknown']} unknown"
        )
        if report.balance:
            balance = report.balance
            shown = balance.get("error") or f"{balance['amount']} {balance['currency']}".strip()
            self.stdout.write(f"Balance: {shown}")
        for alias, balance in report.balances.items():
            shown = balance.get("error") or f"{balance['amount']} {balance['currency']}".strip()
            self.stdout.write(f"Balance of {alias}: {shown}")
        self.stdout.write(
            "Paused campaigns:" if report.paused_campaigns else "Paused campaigns: none"
        )
        for c in report.paused_campaigns:
            self.stdout.write(f"  {c['id']} “{c['name']}”: {c['reason']}")
        for problem in report.problems:
            self.stdout.write(f"{LEVELS[problem.level]}: {problem.text}")
