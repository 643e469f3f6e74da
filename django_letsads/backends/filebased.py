"""A development backend: writes each message as a file in ``LETSADS["FILE_PATH"]`` (or
``file_path=``), in the console backend's format."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from django_letsads.backends.base import BaseSmsBackend, PreparedMessage, accept_all
from django_letsads.backends.console import render
from django_letsads.dispatch import BatchResult
from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.status import Status


class SmsBackend(BaseSmsBackend):
    def __init__(
        self, fail_silently: bool = False, *, file_path: str | Path | None = None, **kwargs: Any
    ) -> None:
        from django_letsads.conf import letsads_settings

        super().__init__(fail_silently=fail_silently, **kwargs)
        path = file_path or letsads_settings.FILE_PATH
        if not path:
            raise LetsAdsConfigurationError(
                "The filebased SMS backend needs LETSADS['FILE_PATH'] (or file_path=)."
            )
        self.file_path = Path(path)
        if self.file_path.exists() and not self.file_path.is_dir():
            raise LetsAdsConfigurationError(f"{self.file_path} exists and is not a directory.")
        self.file_path.mkdir(parents=True, exist_ok=True)

    def deliver(self, prepared: PreparedMessage) -> BatchResult:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.file_path / f"{stamp}-{uuid.uuid4().hex[:12]}.sms"
        target.write_text(render(prepared), encoding="utf-8")
        return accept_all(prepared, Status.QUEUED)
