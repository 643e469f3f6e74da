from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LetsAdsConfig(AppConfig):
    name = "django_letsads"
    verbose_name = _("LetsAds SMS")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the system checks (django_letsads.E00x / W00x).
        from django_letsads import cascade, checks, signals, tasks  # noqa: F401

        cascade.connect()
        signals.work_queued.connect(tasks.on_work_queued, dispatch_uid="letsads-tasks")
