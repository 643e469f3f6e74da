"""The worker banners above the campaign list: is anything sending and polling?

A system check would be the wrong place (checks run at deploy, workers stop later); the banner is
read from the heartbeats (:mod:`django_letsads.heartbeat`) on every page view, in two small
queries (three when no poller runs: are polls due?).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from django_letsads.heartbeat import POLL, SEND, WorkerHealth, worker_health
from django_letsads.models import Message


@dataclass(frozen=True)
class Banner:
    kind: str
    ok: bool
    text: str


def ago(seconds: float) -> str:
    """A short age: "3 s", "12 min", "5 h"."""
    if seconds < 120:
        return _("%(n)d s") % {"n": seconds}
    if seconds < 7200:
        return _("%(n)d min") % {"n": seconds // 60}
    return _("%(n)d h") % {"n": seconds // 3600}


def _running(health: WorkerHealth, label: str, now: datetime) -> str:
    since = health.seconds_since_round(now)
    if since is None:
        return _("%(worker)s: %(count)d running, no round finished yet") % {
            "worker": label,
            "count": health.running,
        }
    return _("%(worker)s: %(count)d running, last round %(ago)s ago") % {
        "worker": label,
        "count": health.running,
        "ago": ago(since),
    }


def worker_banners(now: datetime | None = None) -> list[Banner]:
    """The send worker's line always; the poller's when one runs or polls are due."""
    now = now or timezone.now()
    banners = []
    send = worker_health(SEND, now)
    if send.running:
        banners.append(Banner(SEND, True, _running(send, _("Send worker"), now)))
    elif send.last_seen is not None:
        minutes = int((now - send.last_seen).total_seconds() // 60)
        banners.append(
            Banner(
                SEND,
                False,
                _(
                    "No send worker has run for %(minutes)d minutes: campaigns in “sending” "
                    "will not progress. Start “manage.py letsads_send --loop”."
                )
                % {"minutes": minutes},
            )
        )
    else:
        banners.append(
            Banner(
                SEND,
                False,
                _(
                    "No send worker is running: campaigns in “sending” will not progress. "
                    "Start “manage.py letsads_send --loop”."
                ),
            )
        )
    poll = worker_health(POLL, now)
    if poll.running:
        banners.append(Banner(POLL, True, _running(poll, _("Status poller"), now)))
    elif Message.objects.due_for_poll(now).exists():
        if poll.last_seen is not None:
            minutes = int((now - poll.last_seen).total_seconds() // 60)
            text = _(
                "No status poller has run for %(minutes)d minutes: statuses that are due are "
                "not polled. Start “manage.py letsads_poll --loop”."
            ) % {"minutes": minutes}
        else:
            text = _(
                "No status poller is running: statuses that are due are not polled. "
                "Start “manage.py letsads_poll --loop”."
            )
        banners.append(Banner(POLL, False, text))
    return banners
