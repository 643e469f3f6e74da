"""What ``letsads_send`` and ``letsads_poll`` share: options, the loop, progress and exit codes."""

from __future__ import annotations

import argparse
import sys
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_letsads import arguments
from django_letsads.management.progress import Kind, RoundProgress
from django_letsads.worker import RoundReport, run_loop
from django_letsads.worker.statelog import StateLog


class WorkerCommand(BaseCommand):
    """A thin wrapper around a worker class: the business logic lives in ``django_letsads.worker``."""

    #: What the progress bar counts.
    progress_kind: ClassVar[Kind] = "send"
    progress: RoundProgress | None = None

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop",
            action="store_true",
            help="keep running rounds until SIGTERM or Ctrl+C (default: one round, then exit)",
        )
        parser.add_argument(
            "--limit",
            type=arguments.LIMIT,
            default=None,
            help="handle at most N messages a round (default: all that are due)",
        )
        parser.add_argument(
            "--concurrency",
            type=arguments.CONCURRENCY,
            default=None,
            help="requests to the gateway at once, 1 to 256 (default: LETSADS['CONCURRENCY'])",
        )
        parser.add_argument(
            "--account",
            action="append",
            default=None,
            metavar="ALIAS",
            help="serve only this account of settings.LETSADS; repeat for several (default: "
            "every configured account, one after the other in each round)",
        )
        parser.add_argument(
            "--interval",
            type=arguments.INTERVAL,
            default=5.0,
            help="with --loop: seconds to wait after a round that found nothing to do "
            "(default: %(default)s; 0.1 to 86400)",
        )
        parser.add_argument(
            "--max-rounds",
            type=int,
            default=None,
            help="with --loop: stop after N rounds (default: run until SIGTERM)",
        )

    def make_worker(self, options: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement make_worker()")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["max_rounds"] is not None and options["max_rounds"] < 1:
            raise CommandError("--max-rounds must be a positive number.")
        self.verbosity = int(options.get("verbosity", 1))
        # Again here: ``call_command(..., limit=0)`` passes values that argparse never saw.
        for name, parse in (
            ("limit", arguments.LIMIT),
            ("concurrency", arguments.CONCURRENCY),
            ("interval", arguments.INTERVAL),
        ):
            if options[name] is not None:
                try:
                    parse(str(options[name]))
                except argparse.ArgumentTypeError as exc:
                    raise CommandError(f"--{name}: {exc}.") from None
        worker = self.make_worker(options)
        if worker is None:
            return
        if self._show_progress(options):
            self.progress = RoundProgress(self.progress_kind, sys.stdout, limit=options["limit"])
            worker.on_progress = self.progress
        # Idle rounds are many: a loop prints state changes and a periodic line, not each round.
        state_log = StateLog(self.verbosity)

        def round_done(report: RoundReport) -> None:
            worker.heartbeat.beat(report)
            if self.progress is not None:
                self.progress.finish()  # each round's bar closes before its line is written
            if options["loop"]:
                self._write_lines(state_log.lines(report))
            elif self.verbosity >= 1:
                self._write_lines([report.summary()])

        # The heartbeat row lives as long as this command: the admin and letsads_status see it.
        with worker.heartbeat:
            if options["loop"]:
                run_loop(
                    worker,
                    interval=options["interval"],
                    max_rounds=options["max_rounds"],
                    on_round=round_done,
                )
                return
            report = worker.run_once()
            round_done(report)
        if report.stop_error is not None:
            raise CommandError(
                f"LetsAds refused the account: {report.stop_error.code} "
                f"({report.stop_error.message}). Unsent messages are pending again."
            )
        if report.backoff:
            raise CommandError(
                "The LetsAds gateway could not be reached; unsent messages are pending again."
            )

    def _show_progress(self, options: dict[str, Any]) -> bool:
        return options.get("verbosity", 1) >= 1 and self.stdout.isatty()

    def _write_lines(self, lines: list[str]) -> None:
        for line in lines:
            self.stdout.write(line)
        if lines:
            self.stdout.flush()  # a pipe to journald or supervisor would hold them back


def accounts_option(options: dict[str, Any]) -> list[str] | None:
    """The ``--account`` aliases, each checked against ``settings.LETSADS`` (a ``CommandError``
    naming the configured ones), or None for every account."""
    from django_letsads.accounts import get_account
    from django_letsads.exceptions import LetsAdsConfigurationError

    chosen = options.get("account")
    if not chosen:
        return None
    try:
        return [get_account(alias).alias for alias in chosen]
    except LetsAdsConfigurationError as exc:
        raise CommandError(f"--account: {exc}") from None
