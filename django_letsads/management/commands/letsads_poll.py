"""``manage.py letsads_poll``: poll due statuses (see ``django_letsads.worker.PollWorker``)."""

from __future__ import annotations

from typing import Any

from django_letsads.management.base import WorkerCommand
from django_letsads.worker import PollWorker


class Command(WorkerCommand):
    help = "Poll the LetsAds status of sent messages that are due on LETSADS['POLL_SCHEDULE']."
    progress_kind = "poll"

    def make_worker(self, options: dict[str, Any]) -> PollWorker:
        return PollWorker(limit=options["limit"], concurrency=options["concurrency"])
