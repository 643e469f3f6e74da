"""Admin actions on campaigns and messages. None of them talks to the gateway for messages: they
call :mod:`django_letsads.campaigns`, which changes states and enqueues work for the worker.

Every action that starts, stops or repeats sending needs ``django_letsads.send_campaign``. The
admin hides such actions from users without it, and each action checks again, so a hand-made
POST is refused with 403 as well.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_letsads import campaigns, field_stats, optout, pricing
from django_letsads.accounts import DEFAULT_ALIAS
from django_letsads.admin import confirming, display
from django_letsads.admin.balance import account_balance, forget_balance
from django_letsads.admin.estimate import (
    price_estimate,
    selection_accounts,
    send_anyway_missing,
)
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


@admin.action(description=gettext_lazy("Send campaign"), permissions=["send_campaign"])
def send_campaigns(
    modeladmin: admin.ModelAdmin[Campaign], request: HttpRequest, queryset: QuerySet[Campaign]
) -> HttpResponse | None:
    """Confirm, then move the selected draft/scheduled campaigns to ``sending``.

    Starting is idempotent (the campaign row is locked and its state checked), so a second
    confirmation — a double click, the back button, another admin — starts nothing twice. When
    the cost estimate exceeds the balance, a confirmation without the "send anyway" tick shows
    the page again instead (:mod:`django_letsads.admin.estimate`).
    """
    _require_permission(request)
    selected = list(queryset.order_by("pk"))
    eligible = []
    for campaign in selected:
        if campaign.state in campaigns.STARTABLE:
            eligible.append(campaign)
        else:
            modeladmin.message_user(
                request,
                _("“%(name)s” is %(state)s: only draft or scheduled campaigns can be sent.")
                % {"name": campaign.name, "state": _state_label(campaign)},
                messages.WARNING,
            )
    eligible = without_unknown_fields(modeladmin, request, eligible)
    if not eligible:
        return None
    accounts = selection_accounts(eligible)
    if len(accounts) > 1:
        modeladmin.message_user(
            request,
            _(
                "The selected campaigns send with different accounts (%(accounts)s): select the "
                "campaigns of one account at a time, so the cost is checked against its balance."
            )
            % {"accounts": ", ".join(accounts)},
            messages.ERROR,
        )
        return None
    counts, stopped = sendable_counts(eligible)
    estimate = price_estimate(eligible, counts)
    if _confirmed(request) and send_anyway_missing(request, estimate):
        modeladmin.message_user(
            request,
            _("The estimated cost exceeds the balance: tick “send anyway” to send nevertheless."),
            messages.ERROR,
        )
    elif _confirmed(request):
        # One transaction: the rows stay locked from the check to the start, so nothing can
        # change in between (an edit or an import waits for it).
        with transaction.atomic():
            changed = confirming.changed_since_shown(request.POST, eligible)
            results = [] if changed else [campaigns.start_campaign(c.pk) for c in eligible]
        if changed:
            # Start none: what the person confirmed is no longer what would be sent. Show the
            # confirmation again, with today's figures.
            modeladmin.message_user(
                request,
                _("The campaign changed since you looked: %(names)s. Check it and confirm again.")
                % {"names": ", ".join(f"“{c.name}”" for c in changed)},
                messages.ERROR,
            )
            eligible = [Campaign.objects.get(pk=c.pk) for c in eligible]
            counts, stopped = sendable_counts(eligible)
            estimate = price_estimate(eligible, counts)
            return confirmation_page(
                modeladmin,
                request,
                eligible,
                _send_confirmation(eligible, counts, estimate, stopped),
            )
        started = 0
        for campaign, result in zip(eligible, results, strict=True):
            if result.started:
                started += 1
            else:
                modeladmin.message_user(
                    request,
                    _("“%(name)s” was not started: %(reason)s.")
                    % {"name": campaign.name, "reason": _start_refusal(campaign.pk)},
                    messages.WARNING,
                )
        confirming.release([c.pk for c in eligible])
        if started:
            forget_balance()
            modeladmin.message_user(
                request,
                ngettext(
                    "%(count)d campaign is being sent; the worker picks up its messages.",
                    "%(count)d campaigns are being sent; the worker picks up their messages.",
                    started,
                )
                % {"count": started},
                messages.SUCCESS,
            )
        return None
    return confirmation_page(
        modeladmin, request, eligible, _send_confirmation(eligible, counts, estimate, stopped)
    )


def without_unknown_fields(
    modeladmin: admin.ModelAdmin[Campaign], request: HttpRequest, selected: list[Campaign]
) -> list[Campaign]:
    """``selected`` less the campaigns whose text uses a field no recipient has (a typo, or
    the column was not imported), each reported by name: nothing of them is sent."""
    kept = []
    for campaign in selected:
        unknown = field_stats.unknown_fields(campaign)
        if unknown:
            modeladmin.message_user(
                request,
                _(
                    "“%(name)s” uses %(fields)s, which no recipient has in the imported data: "
                    "correct the text or import a file with that column."
                )
                % {"name": campaign.name, "fields": ", ".join("{" + f + "}" for f in unknown)},
                messages.ERROR,
            )
        else:
            kept.append(campaign)
    return kept


def _start_refusal(campaign_id: int) -> str:
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.state not in campaigns.STARTABLE:
        return _("it is %(state)s") % {"state": _state_label(campaign)}
    return _("it has no recipients waiting to be sent")


def sendable_counts(
    selected: list[Campaign],
) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
    """Message counts per campaign and status, and per campaign the pending messages whose
    numbers are on the stop list: the worker will skip them, so what is confirmed (recipients,
    segments, price) leaves them out of ``pending``."""
    counts = campaigns.status_counts(c.pk for c in selected)
    stopped = optout.pending_opted_out(c.pk for c in selected)
    for pk, count in stopped.items():
        counts[pk][Status.PENDING] -= count
    return counts, stopped


def _send_confirmation(
    selected: list[Campaign],
    counts: dict[int, dict[str, int]],
    estimate: pricing.PriceEstimate,
    stopped: dict[int, int],
) -> Confirmation:
    rows = []
    total_recipients = 0
    for campaign, price in zip(selected, estimate.rows, strict=True):
        shown = price.distribution
        # A personalised text: the recipients left out (no value, too long) are not sent.
        recipients = counts[campaign.pk][Status.PENDING] if shown is None else shown.recipients
        total_recipients += recipients
        rows.append(
            [
                campaign.name,
                campaign.sender,
                recipients,
                campaign.invalid_recipients,
                campaign.duplicate_recipients,
                campaign.opted_out_recipients + stopped.get(campaign.pk, 0),
                price.encoding,
                price.segments_per_message if shown is None else shown.segments_display,
                price.segments,
            ]
        )
    # Campaigns without pending messages at all do not start (all opted out: they do, and end).
    empty = [c.name for c in selected if not counts[c.pk][Status.PENDING] + stopped.get(c.pk, 0)]
    confirming.hold([c.pk for c in selected])
    warnings = [display.expiry_warning(selected)]
    if empty:
        warnings.insert(
            0,
            _("These campaigns have no recipients and will not start: %(names)s.")
            % {"names": ", ".join(empty)},
        )
    return Confirmation(
        hidden=[
            (
                confirming.field_name(c.pk),
                # All pending messages, as changed_since_shown counts them on the confirm.
                confirming.send_fingerprint(
                    c,
                    counts[c.pk][Status.PENDING] + stopped.get(c.pk, 0),
                    "" if price.distribution is None else price.distribution.summary(),
                ),
            )
            for c, price in zip(selected, estimate.rows, strict=True)
        ],
        title=_("Send campaigns?"),
        action="send_campaigns",
        submit_label=_("Yes, send"),
        intro=[
            _(
                "The messages are queued for the worker, which sends them to LetsAds in batches. "
                "Invalid and duplicate numbers were left out when the recipients were imported."
            ),
        ],
        warning=" ".join(w for w in warnings if w),
        columns=[
            _("Campaign"),
            _("Sender"),
            _("Recipients"),
            _("Invalid numbers left out"),
            _("Duplicate numbers left out"),
            _("Opted-out numbers left out"),
            _("Encoding"),
            _("Segments per message"),
            _("Total segments"),
        ],
        rows=rows,
        totals=[_("Total"), "", total_recipients, "", "", "", "", "", estimate.segments],
        balance=account_balance(selected[0].account if selected else DEFAULT_ALIAS),
        estimate=estimate,
        extra={"personalised": [row for row in estimate.rows if row.distribution is not None]},
    )


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
