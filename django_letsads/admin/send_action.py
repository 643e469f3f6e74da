"""The admin's Send action: check the selection, confirm, then start the campaigns.

The confirmation page's figures are :mod:`~django_letsads.admin.send_confirmation`'s; the
fingerprint that keeps them true until the confirm is :mod:`~django_letsads.admin.confirming`'s.
Like every sending action it needs ``django_letsads.send_campaign``
(:mod:`~django_letsads.admin.actions`).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from django_letsads import campaigns, field_stats, pricing
from django_letsads.admin import confirming
from django_letsads.admin.actions import _confirmed, _require_permission, _state_label
from django_letsads.admin.balance import forget_balance
from django_letsads.admin.estimate import (
    price_estimate,
    selection_accounts,
    selection_balance,
    send_anyway_missing,
)
from django_letsads.admin.send_confirmation import _send_confirmation
from django_letsads.admin.views import confirmation_page
from django_letsads.models import Campaign


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
    if _confirmed(request):
        return _start_confirmed(modeladmin, request, eligible)
    counts, stopped = confirming.sendable_counts(eligible)
    estimate = price_estimate(eligible, counts)
    return confirmation_page(
        modeladmin, request, eligible, _send_confirmation(eligible, counts, estimate, stopped)
    )


def _start_confirmed(
    modeladmin: admin.ModelAdmin[Campaign], request: HttpRequest, eligible: list[Campaign]
) -> HttpResponse | None:
    """Start what was confirmed, or show the confirmation again (with today's figures) when it
    changed since the page was shown or its cost needs the "send anyway" tick.

    The figures are counted once, with the rows locked: they are what the fingerprint is checked
    against, what the cost is checked with and what the start leaves out.
    """
    # Before the lock: on a cache miss the balance is asked of the gateway.
    balance = selection_balance(eligible)
    # One transaction: the rows stay locked from the check to the start, so nothing can change
    # in between (an edit or an import waits for it).
    with transaction.atomic():
        locked = confirming.lock_selection(eligible)
        changed = confirming.changed_since_shown(request.POST, locked)
        sent = {pk: [figures] for pk, figures in locked.figures.items()}
        estimate = price_estimate(locked.campaigns, locked.counts, balance=balance, shown=sent)
        unticked = not changed and send_anyway_missing(request, estimate)
        results = (
            []
            if changed or unticked
            else [
                campaigns.start_campaign(c.pk, counted=locked.figures.get(c.pk)) for c in eligible
            ]
        )
    if changed:
        # Start none: what the person confirmed is no longer what would be sent.
        modeladmin.message_user(
            request,
            _("The campaign changed since you looked: %(names)s. Check it and confirm again.")
            % {"names": ", ".join(f"“{c.name}”" for c in changed)},
            messages.ERROR,
        )
    elif unticked:
        modeladmin.message_user(
            request,
            _("The estimated cost exceeds the balance: tick “send anyway” to send nevertheless."),
            messages.ERROR,
        )
    if changed or unticked:
        # The page again, from the figures counted under the lock (the other choice added).
        current = locked.campaigns
        shown = {
            c.pk: pricing.shown_distributions(c, locked.figures[c.pk])
            for c in current
            if c.pk in locked.figures
        }
        estimate = price_estimate(current, locked.counts, balance=balance, shown=shown)
        return confirmation_page(
            modeladmin,
            request,
            current,
            _send_confirmation(current, locked.counts, estimate, locked.stopped),
        )
    _report_started(modeladmin, request, eligible, results)
    return None


def _report_started(
    modeladmin: admin.ModelAdmin[Campaign],
    request: HttpRequest,
    eligible: list[Campaign],
    results: list[campaigns.StartResult],
) -> None:
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
