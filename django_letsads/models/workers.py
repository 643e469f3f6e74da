"""The workers' own rows: task chains (rounds on a task queue) and process heartbeats."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TaskChain(models.Model):
    """Who runs the rounds of one kind when they run on a task queue (``LETSADS["USE_TASKS"]``).

    One row per kind (send, poll). ``chain`` names the one live chain of tasks and ``link`` the
    one task of it that may run next; a task whose link is no longer here does nothing, so a
    restart, a duplicate enqueue or a woken chain can never run two rounds of one chain. While a
    link waits, ``next_at`` is when it is due (work announced before then wakes the chain);
    while it runs, ``next_at`` is empty. ``lease_until`` is when the chain is taken for dead (its
    worker killed) and replaced. Rows change only through :mod:`django_letsads.chains`, always
    by conditional UPDATEs.
    """

    class Kind(models.TextChoices):
        SEND = "send", _("send")
        POLL = "poll", _("poll")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, primary_key=True)
    chain = models.CharField(_("chain"), max_length=32, blank=True)
    link = models.CharField(_("link"), max_length=32, blank=True)
    next_at = models.DateTimeField(_("next at"), null=True, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("task chain")
        verbose_name_plural = _("task chains")

    def __str__(self) -> str:
        return f"{self.kind}: {self.chain or '-'}"


class WorkerHeartbeat(models.Model):
    """One row per running worker process (``letsads_send``/``letsads_poll``, or a task round).

    Written by :mod:`django_letsads.heartbeat` at most every few seconds, deleted when the process
    ends; a row not seen for ``LETSADS["WORKER_STALE_AFTER"]`` seconds belongs to a process that
    died or a task worker that went quiet, and is ignored.
    """

    class Kind(models.TextChoices):
        SEND = "send", pgettext_lazy("worker kind", "send")
        POLL = "poll", pgettext_lazy("worker kind", "poll")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)
    #: When the last complete round ended, and what it did ("claimed=50 sent=50").
    last_round_at = models.DateTimeField(_("last round at"), null=True, blank=True)
    last_round = models.CharField(_("last round"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")
        constraints = [
            models.UniqueConstraint(fields=["kind", "host", "pid"], name="letsads_heartbeat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.host}:{self.pid}"
