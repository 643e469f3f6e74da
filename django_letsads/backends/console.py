"""A development backend: writes each message, readably, to stdout (or ``stream=``)."""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from django_letsads.backends.base import BaseSmsBackend, PreparedMessage, accept_all
from django_letsads.dispatch import BatchResult
from django_letsads.status import Status


def render(prepared: PreparedMessage) -> str:
    """The message as a person reads it: headers, a blank line, the text, a rule."""
    info = prepared.info
    return (
        f"From: {prepared.sender}\n"
        f"To: {', '.join(prepared.recipients)}\n"
        f"Encoding: {info.encoding}, {info.length} characters, {info.segments} segment(s)\n"
        f"\n{prepared.text}\n"
        f"{'-' * 79}\n"
    )


class SmsBackend(BaseSmsBackend):
    def __init__(
        self, fail_silently: bool = False, *, stream: TextIO | None = None, **kwargs: Any
    ) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.stream = stream
        self._lock = threading.Lock()

    def deliver(self, prepared: PreparedMessage) -> BatchResult:
        stream = self.stream or sys.stdout
        with self._lock:
            stream.write(render(prepared))
            stream.flush()
        return accept_all(prepared, Status.QUEUED)
