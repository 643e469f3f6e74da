"""The admin of django-letsads: campaigns (with sending actions), the read-only messages and the
stop list."""

from __future__ import annotations

from django.contrib import admin

from django_letsads.admin.campaign import CampaignAdmin
from django_letsads.admin.message import MessageAdmin
from django_letsads.admin.optout import OptOutAdmin
from django_letsads.models import Campaign, Message, OptOut

admin.site.register(Campaign, CampaignAdmin)
admin.site.register(Message, MessageAdmin)
admin.site.register(OptOut, OptOutAdmin)

__all__ = ["CampaignAdmin", "MessageAdmin", "OptOutAdmin"]
