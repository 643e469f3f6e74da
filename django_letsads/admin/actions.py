"""Admin actions on campaigns and messages. None of them talks to the gateway for messages: they
call :mod:`django_letsads.campaigns`, which changes states and enqueues work for the worker.

Every action that starts, stops or repeats sending needs ``django_letsads.send_campaign``. The
admin hides such actions from users without it, and each action checks again, so a hand-made
POST is refused with 403 as well.

This module holds those checks and the actions that cancel, resume, resend or poll; Send is
:mod:`~django_letsads.admin.send_action`, Schedule :mod:`~django_letsads.admin.schedule`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_letsads import campaigns
from django_letsads.admin.views import Confirmation, confirmation_page
from django_letsads.models import Campaign, Message
from django_letsads.status import Status

PERMISSION = "django_letsads.send_campaign"


def _require_permission(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _confirmed(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get("post") == "yes"


def _state_label(campaign: Campaign) -> str:
    return str(Campaign.State(campaign.state).label)


@admin.action(description=gettext_lazy("Cancel campaign"), permissions=["send_campaign"])
def cancel_campaigns(
    modeladmin: admin.ModelAdmin[Campaign], request: HttpRequest, queryset: QuerySet[Campaign]
) -> HttpResponse | None:
    """Confirm, then cancel: pending messages become ``cancelled``; sent ones are not touched."""
    _require_permission(request)
    finished = (Campaign.State.DONE, Campaign.State.CANCELLED)
    selected = [c for c in queryset.order_by("pk") if c.state not in finished]
    if not selected:
        modeladmin.message_user(
            request, _("None of the selected campaigns can be cancelled."), messages.WARNING
        )
        return None
    if _confirmed(request):
        cancelled = sum(campaigns.cancel_campaign(c.pk) for c in selected)
        modeladmin.message_user(
            request,
            ngettext(
                "Campaigns cancelled; %(count)d pending message will not be sent.",
                "Campaigns cancelled; %(count)d pending messages will not be sent.",
                cancelled,
            )
            % {"count": cancelled},
            messages.SUCCESS,
        )
        return None
    counts = campaigns.status_counts(c.pk for c in selected)
    return confirmation_page(
        modeladmin,
        request,
        selected,
        Confirmation(
            title=_("Cancel campaigns?"),
            action="cancel_campaigns",
            submit_label=_("Yes, cancel"),
            intro=[
                _(
                    "Messages that are still pending will not be sent. Messages already handed "
                    "to the gateway cannot be called back."
                )
            ],
            columns=[_("Campaign"), _("State"), _("Pending messages")],
            rows=[[c.name, _state_label(c), counts[c.pk][Status.PENDING]] for c in selected],
        ),
    )


@admin.action(
    description=gettext_lazy("Resend messages with unknown outcome"), permissions=["send_campaign"]
)
def resend_unknown_messages(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    """Confirm, then put ``unknown`` messages back to ``pending`` (campaigns or messages)."""
    _require_permission(request)
    if queryset.model is Campaign:
        selected: list[Any] = list(queryset.order_by("pk"))
        messages_qs = Message.objects.filter(campaign__in=[c.pk for c in selected])
    else:
        selected = list(queryset.filter(status=Status.UNKNOWN).order_by("pk"))
        messages_qs = Message.objects.filter(pk__in=[m.pk for m in selected])
    unknown = messages_qs.filter(status=Status.UNKNOWN).count()
    if not unknown:
        modeladmin.message_user(
            request, _("There are no messages with an unknown outcome to resend."), messages.INFO
        )
        return None
    if _confirmed(request):
        resent = campaigns.resend_unknown(messages_qs, note=f"resend by {request.user}")
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d message is queued to be sent again.",
                "%(count)d messages are queued to be sent again.",
                resent,
            )
            % {"count": resent},
            messages.SUCCESS,
        )
        return None
    return confirmation_page(
        modeladmin,
        request,
        selected,
        Confirmation(
            title=_("Resend messages with unknown outcome?"),
            action="resend_unknown_messages",
            submit_label=_("Yes, resend"),
            intro=[
                ngettext(
                    "%(count)d message has an unknown outcome: its request left for the gateway "
                    "but no answer came back.",
                    "%(count)d messages have an unknown outcome: their requests left for the "
                    "gateway but no answer came back.",
                    unknown,
                )
                % {"count": unknown},
            ],
            warning=_(
                "The gateway may have accepted some of them. Those will be sent and billed a "
                "second time, and their recipients will get the text twice."
            ),
        ),
    )


@admin.action(description=gettext_lazy("Poll statuses now"), permissions=["send_campaign"])
def poll_campaigns_now(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> None:
    """Make the accepted, not yet final messages due for a status poll right away."""
    _require_permission(request)
    if queryset.model is Campaign:
        messages_qs = Message.objects.filter(campaign__in=queryset.values("pk"))
    else:
        messages_qs = Message.objects.filter(pk__in=queryset.values("pk"))
    count = campaigns.poll_now(messages_qs)
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d message will have its status polled by the worker.",
            "%(count)d messages will have their status polled by the worker.",
            count,
        )
        % {"count": count},
        messages.SUCCESS if count else messages.INFO,
    )


@admin.action(description=gettext_lazy("Resume paused campaigns"), permissions=["send_campaign"])
def resume_campaigns(
    modeladmin: admin.ModelAdmin[Campaign], request: HttpRequest, queryset: QuerySet[Campaign]
) -> None:
    _require_permission(request)
    resumed = sum(
        campaigns.resume_campaign(c.pk) for c in queryset.filter(state=Campaign.State.PAUSED)
    )
    modeladmin.message_user(
        request,
        ngettext("%(count)d campaign resumed.", "%(count)d campaigns resumed.", resumed)
        % {"count": resumed},
        messages.SUCCESS if resumed else messages.INFO,
    )
