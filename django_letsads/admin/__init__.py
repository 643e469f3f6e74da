"""The admin of django-letsads: campaigns (with sending actions) and the read-only messages."""

from __future__ import annotations

from django.contrib import admin

from django_letsads.admin.campaign import CampaignAdmin
from django_letsads.admin.message import MessageAdmin
from django_letsads.models import Campaign, Message

admin.site.register(Campaign, CampaignAdmin)
admin.site.register(Message, MessageAdmin)

__all__ = ["CampaignAdmin", "MessageAdmin"]
