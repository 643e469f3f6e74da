"""The outbox worker: sends pending messages and polls their statuses.

``SendWorker`` and ``PollWorker`` are plain classes (the management commands are thin wrappers);
``run_loop`` keeps either running with signal handling and back-off.
"""

from __future__ import annotations

from django_letsads.worker.claims import recover_expired_claims
from django_letsads.worker.loop import run_loop
from django_letsads.worker.polling import PollWorker
from django_letsads.worker.report import RoundReport
from django_letsads.worker.sending import SendWorker

__all__ = ["PollWorker", "RoundReport", "SendWorker", "recover_expired_claims", "run_loop"]
