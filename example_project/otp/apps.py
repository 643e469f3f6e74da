from __future__ import annotations

from django.apps import AppConfig


class OtpConfig(AppConfig):
    """A stand-in for "another app" of a project: it sends through ``SMS_BACKEND`` only."""

    name = "otp"
    verbose_name = "One-time codes"
