"""The one status scheme of a message, shared by results, models, worker and admin.

It lives outside ``models.py`` so that backends can return statuses without loading models.
``Message.Status`` is this class.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    UNDELIVERED = "undelivered", _("undelivered")
    FAILED = "failed", _("failed")
    UNKNOWN = "unknown", _("unknown")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


#: States nothing moves a message out of automatically.
FINAL_STATUSES = frozenset(
    {Status.DELIVERED, Status.UNDELIVERED, Status.FAILED, Status.EXPIRED, Status.CANCELLED}
)

#: States in which the gateway accepted the message and a poll may tell more.
POLLABLE_STATUSES = frozenset({Status.QUEUED, Status.SENT})

#: Gateway status codes (``<description>`` of a ``Status`` answer) and what they mean for us.
GATEWAY_STATUS_MAP: dict[str, Status] = {
    "MESSAGE_IN_QUEUE": Status.QUEUED,
    "MESSAGE_IS_SENT": Status.SENT,
    "MESSAGE_IS_DELIVERED": Status.DELIVERED,
    "MESSAGE_NOT_DELIVERED": Status.UNDELIVERED,
}
