"""What ``letsads_send`` and ``letsads_poll`` share: options, the loop, progress and exit codes."""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_letsads.management.progress import Kind, RoundProgress
from django_letsads.worker import RoundReport, run_loop


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
            type=int,
            default=None,
            help="handle at most N messages a round (default: all that are due)",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=None,
            help="requests to the gateway at once (default: LETSADS['CONCURRENCY'])",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=5.0,
            help="with --loop: seconds to wait after a round that found nothing to do "
            "(default: %(default)s)",
        )

    def make_worker(self, options: dict[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement make_worker()")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be a positive number.")
        if options["concurrency"] is not None and options["concurrency"] < 1:
            raise CommandError("--concurrency must be a positive number.")
        worker = self.make_worker(options)
        if worker is None:
            return
        if self._show_progress(options):
            self.progress = RoundProgress(self.progress_kind, sys.stdout, limit=options["limit"])
            worker.on_progress = self.progress

        def round_done(report: RoundReport) -> None:
            worker.heartbeat.beat(report)
            self._summary(report)

        # The heartbeat row lives as long as this command: the admin and letsads_status see it.
        with worker.heartbeat:
            if options["loop"]:
                run_loop(worker, interval=options["interval"], on_round=round_done)
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

    def _summary(self, report: RoundReport) -> None:
        if self.progress is not None:
            self.progress.finish()
        self.stdout.write(report.summary())
