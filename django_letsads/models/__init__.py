"""Campaigns, their per-recipient messages, and each message's status history.

Status changes never happen by a bare ``update(status=…)``: they go through
:mod:`django_letsads.transitions`, which changes the status, the timestamps and the history
together, in one transaction.

The models live in modules by job (:mod:`.campaigns`, :mod:`.messages` with the status
history, :mod:`.optout`, :mod:`.workers` for task chains and heartbeats); import them from
here.
"""

from __future__ import annotations

from django_letsads.models.campaigns import Campaign, CampaignLockedError
from django_letsads.models.messages import Message, MessageQuerySet, StatusEvent
from django_letsads.models.optout import OptOut
from django_letsads.models.workers import TaskChain, WorkerHeartbeat

__all__ = [
    "Campaign",
    "CampaignLockedError",
    "Message",
    "MessageQuerySet",
    "OptOut",
    "StatusEvent",
    "TaskChain",
    "WorkerHeartbeat",
]
