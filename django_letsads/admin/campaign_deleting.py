"""Deleting campaigns from the admin: a confirmation page that counts, and a deletion that does
not load every message.

``CampaignDeletingMixin`` replaces Django's listing of every related row with one line per
campaign (and its number of messages), holds back the campaigns that
:func:`~django_letsads.campaigns.deletion_blocker` protects, and deletes through
:func:`~django_letsads.campaigns.delete_campaign`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from django_letsads.campaigns import delete_campaign, deletion_blocker
from django_letsads.models import Campaign, Message
from django_letsads.status import Status

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    _Base = ModelAdmin[Campaign]
else:  # the classes are generic only in the stubs
    _Base = object


class CampaignDeletingMixin(_Base):
    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        """The delete confirmation: each campaign with how many messages go with it.

        Django's default lists every related row (a million lines for a big campaign) and
        refuses, since messages cannot be deleted on their own. A campaign that
        :func:`~django_letsads.campaigns.deletion_blocker` holds back is listed as protected,
        which stops the deletion.
        """
        campaigns = list(objs)
        per_campaign = dict(
            Message.objects.filter(campaign__in=campaigns)
            .values("campaign")
            .annotate(count=Count("id"))
            .values_list("campaign", "count")
        )
        in_flight = set(
            Message.objects.filter(campaign__in=campaigns, status=Status.SENDING)
            .values_list("campaign", flat=True)
            .distinct()
        )
        to_delete: list[str] = []
        protected: list[str] = []
        for campaign in campaigns:
            blocker = deletion_blocker(campaign, in_flight=campaign.pk in in_flight)
            if blocker:
                protected.append(f"{campaign}: {blocker}")
                continue
            count = per_campaign.get(campaign.pk, 0)
            to_delete.append(
                ngettext(
                    "%(campaign)s, with %(count)d message and its history",
                    "%(campaign)s, with %(count)d messages and their history",
                    count,
                )
                % {"campaign": campaign, "count": count}
            )
        model_count = {
            str(Campaign._meta.verbose_name_plural): len(campaigns),
            str(Message._meta.verbose_name_plural): sum(per_campaign.values()),
        }
        perms_needed = set()
        if not self.has_delete_permission(request):
            perms_needed.add(str(Campaign._meta.verbose_name))
        return to_delete, model_count, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Campaign) -> None:
        self._delete(request, [obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        self._delete(request, list(queryset.values_list("pk", flat=True)))

    def _delete(self, request: HttpRequest, campaign_ids: list[int]) -> None:
        """Delete through :func:`~django_letsads.campaigns.delete_campaign`: a few statements
        per campaign, where Django's cascade would load every message."""
        for campaign_id in campaign_ids:
            result = delete_campaign(campaign_id)
            if not result.deleted:  # it started sending after the confirmation page
                self.message_user(
                    request,
                    _("Campaign %(id)s was not deleted: %(reason)s.")
                    % {"id": campaign_id, "reason": result.reason},
                    messages.WARNING,
                )
