"""Django app for the LetsAds SMS gateway.

The public API is re-exported lazily so that ``import django_letsads.client`` (usable without
Django settings) does not pull in the backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Messages "sent" through the locmem backend; emptied before each test (see pytest_plugin).
outbox: list[Any] = []

if TYPE_CHECKING:
    from django_letsads.message import SmsMessage, get_connection, send_sms

__all__ = ["SmsMessage", "__version__", "get_connection", "outbox", "send_sms"]

_LAZY = {"send_sms", "SmsMessage", "get_connection"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from django_letsads import message

        return getattr(message, name)
    raise AttributeError(f"module 'django_letsads' has no attribute {name!r}")
