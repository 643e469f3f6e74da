from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LetsAdsConfig(AppConfig):
    name = "django_letsads"
    verbose_name = _("LetsAds SMS")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks (django_letsads.E00x / W00x).
        from django_letsads import account_checks, cascade, checks, signals  # noqa: F401

        cascade.connect()
        signals.work_queued.connect(_start_task_chain, dispatch_uid="django_letsads.tasks")


def _start_task_chain(sender: Any, kind: str, **kwargs: Any) -> None:
    """Task mode: work appeared, so make sure a chain of rounds of that kind is running."""
    from django_letsads.conf import letsads_settings

    if letsads_settings.USE_TASKS:
        from django_letsads import tasks

        tasks.ensure_chain(kind)
