"""HTML pieces of the campaign pages: the progress bar, the counts table and translated reasons.

Kept apart from the ``ModelAdmin`` classes so that both the list and the detail page (and the
confirmation pages) render counts the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from django_letsads import scheduling
from django_letsads.conf import letsads_settings
from django_letsads.models import Campaign
from django_letsads.status import Status

if TYPE_CHECKING:
    from datetime import datetime

    from django_stubs_ext import StrOrPromise

#: The confirmation pages warn about an expiry closer than this to the start.
EXPIRY_NEAR_SECONDS = 3600


@dataclass(frozen=True)
class Part:
    """One segment of the progress bar: the statuses it adds up, its label and its colour."""

    key: str
    statuses: tuple[Status, ...]
    label: StrOrPromise
    color: str


#: The bar's segments, in the order a message goes through them.
PARTS = (
    Part("pending", (Status.PENDING,), gettext_lazy("pending"), "#b8c2cc"),
    Part("sending", (Status.SENDING,), gettext_lazy("in flight"), "#79aec8"),
    Part("accepted", (Status.QUEUED, Status.SENT), gettext_lazy("queued/sent"), "#417690"),
    Part("delivered", (Status.DELIVERED,), gettext_lazy("delivered"), "#3c9a4a"),
    Part("undelivered", (Status.UNDELIVERED,), gettext_lazy("undelivered"), "#d48a1b"),
    Part("failed", (Status.FAILED,), gettext_lazy("failed"), "#ba2121"),
    Part("unknown", (Status.UNKNOWN,), gettext_lazy("unknown"), "#8e44ad"),
    Part("expired", (Status.EXPIRED,), gettext_lazy("expired"), "#7f6a4d"),
    Part("cancelled", (Status.CANCELLED,), pgettext_lazy("messages", "cancelled"), "#666666"),
)

#: Final statuses of messages the gateway accepted: what a delivery rate is measured against.
#: Queued and sent messages are left out: their outcome is not known yet, and counting them
#: would show "0 %" for a campaign whose reports have simply not come back.
SETTLED = (Status.DELIVERED, Status.UNDELIVERED, Status.EXPIRED)


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())


def delivery_rate(counts: dict[str, int]) -> float | None:
    """Delivered messages per accepted message with a final status, or None before any."""
    settled = sum(counts.get(s, 0) for s in SETTLED)
    return counts.get(Status.DELIVERED, 0) / settled if settled else None


def format_rate(counts: dict[str, int]) -> str:
    rate = delivery_rate(counts)
    return "—" if rate is None else f"{rate:.0%}"


def progress_bar(counts: dict[str, int], *, eta: str = "") -> SafeString:
    """A stacked bar of the parts, with the non-zero counts (and the time left) under it."""
    whole = total(counts)
    if not whole:
        return format_html('<span class="letsads-empty">{}</span>', _("no recipients"))
    sums = [(part, sum(counts.get(s, 0) for s in part.statuses)) for part in PARTS]
    shown = [(part, n) for part, n in sums if n]
    bar = format_html_join(
        "",
        '<span class="letsads-part letsads-{}" style="width:{}%;background:{}" title="{}: {}"></span>',
        ((p.key, f"{100 * n / whole:.3f}", p.color, p.label, n) for p, n in shown),
    )
    legend = format_html_join(
        " · ",
        '<span class="letsads-count" data-status="{}"><i style="background:{}"></i>{} {}</span>',
        ((p.key, p.color, n, p.label) for p, n in shown),
    )
    return format_html(
        '<div class="letsads-progress" data-total="{}">'
        '<div class="letsads-bar">{}</div><div class="letsads-legend">{}</div>{}</div>',
        whole,
        bar,
        legend,
        format_html('<div class="letsads-eta">{}</div>', eta) if eta else "",
    )


def live_progress(
    campaign_id: int,
    counts: dict[str, int],
    *,
    active: bool,
    url: str,
    interval: int,
    compact: bool = False,
) -> SafeString:
    """The progress bar in a box that ``live_progress.js`` refreshes while ``active``; a
    ``compact`` box (the list's) gets the short form of the time left."""
    return format_html(
        '<div class="letsads-live" data-letsads-campaign="{}" data-letsads-active="{}" '
        'data-letsads-url="{}" data-letsads-interval="{}" data-letsads-compact="{}">{}</div>',
        campaign_id,
        "1" if active else "0",
        url,
        interval,
        "1" if compact else "0",
        progress_bar(counts),
    )


def state_label(campaign_id: int, label: StrOrPromise) -> SafeString:
    return format_html('<span data-letsads-state="{}">{}</span>', campaign_id, label)


def rate_label(campaign_id: int, counts: dict[str, int]) -> SafeString:
    return format_html('<span data-letsads-rate="{}">{}</span>', campaign_id, format_rate(counts))


def format_duration(seconds: float) -> str:
    """A short duration for an estimate: "40 s", "3 min", "2 h 05 min"."""
    whole = max(1, round(seconds))
    if whole < 60:
        return _("%(seconds)d s") % {"seconds": whole}
    minutes = round(whole / 60)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)02d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def eta_text(counts: dict[str, int], seconds: float | None) -> str:
    """What the live progress says about the time left to hand the messages to the gateway."""
    left = counts.get(Status.PENDING, 0) + counts.get(Status.SENDING, 0)
    if not left:
        if any(counts.get(s, 0) for s in (Status.QUEUED, Status.SENT)):
            return _("All handed to the gateway; waiting for delivery reports.")
        return ""
    if seconds is None:
        return _("%(count)d left to send; no estimate until the worker sends some.") % {
            "count": left
        }
    return _("%(count)d left to send, about %(time)s at the current rate.") % {
        "count": left,
        "time": format_duration(seconds),
    }


def eta_short(counts: dict[str, int], seconds: float | None) -> str:
    """The time left in a few words, for the list's narrow progress cell."""
    left = counts.get(Status.PENDING, 0) + counts.get(Status.SENDING, 0)
    if not left:
        if any(counts.get(s, 0) for s in (Status.QUEUED, Status.SENT)):
            return _("waiting for delivery reports")
        return ""
    if seconds is None:
        return ""
    return _("about %(time)s left") % {"time": format_duration(seconds)}


def counts_table(campaign_id: int, counts: dict[str, int]) -> SafeString:
    """Counts per status, each a link to the campaign's messages in that status."""
    url = reverse("admin:django_letsads_message_changelist")
    base = f"{url}?campaign__id__exact={campaign_id}"
    rows = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td><a href="{}&amp;status__exact={}">{}</a></td></tr>',
        ((status.label, base, status.value, counts.get(status.value, 0)) for status in Status),
    )
    return format_html(
        '<table class="letsads-counts"><tbody>{}'
        '<tr><th scope="row">{}</th><td><a href="{}">{}</a></td></tr>'
        '<tr><th scope="row">{}</th><td>{}</td></tr></tbody></table>',
        rows,
        _("All messages"),
        base,
        total(counts),
        _("Delivery rate"),
        format_rate(counts),
    )


_REASONS = {
    "empty": gettext_lazy("empty"),
    "too short": gettext_lazy("too short"),
    "too long": gettext_lazy("too long"),
    "wrong number of digits": gettext_lazy("wrong number of digits"),
    "unknown country code": gettext_lazy("unknown country code"),
    "a local number without its area code": gettext_lazy("a local number without its area code"),
    "contains characters other than digits": gettext_lazy("contains characters other than digits"),
    "not UTF-8 text": gettext_lazy("not UTF-8 text"),
    "line too long": gettext_lazy("line too long"),
    "an opening quote is never closed": gettext_lazy("an opening quote is never closed"),
    "cannot be read as CSV": gettext_lazy("cannot be read as CSV"),
    "a column value is longer than 500 characters": gettext_lazy(
        "a column value is longer than 500 characters"
    ),
    "the file is UTF-16: save it as CSV UTF-8": gettext_lazy(
        "the file is UTF-16: save it as CSV UTF-8"
    ),
}
_COUNTRY = re.compile(r"not a valid number for country code \+(\d+)")
_NATIONAL = re.compile(r"(.*) \(read as a national number of ([A-Z]{2})\)")


def translate_reason(reason: str) -> str:
    """The reason a number was rejected, in the active language when it is one we know.

    ``phones`` and ``importing`` give reasons in English (they also end up in logs); the admin
    shows them translated.
    """
    national = _NATIONAL.fullmatch(reason)
    if national:
        return _("%(reason)s (read as a national number of %(region)s)") % {
            "reason": translate_reason(national.group(1)),
            "region": national.group(2),
        }
    country = _COUNTRY.fullmatch(reason)
    if country:
        return _("not a valid number for country code +%(code)s") % {"code": country.group(1)}
    known = _REASONS.get(reason)
    return str(known) if known is not None else reason


def when(moment: datetime) -> str:
    """A moment as the admin shows dates: in the site's (current) time zone and language."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def quiet_wait(end: datetime) -> str:
    return _("waiting for quiet hours to end at %(time)s") % {
        "time": end.astimezone(letsads_settings.TIME_ZONE).strftime("%H:%M")
    }


def schedule_summary(campaign: Campaign, now: datetime | None = None) -> str:
    """When a campaign sends, for the list: its start, quiet hours holding it, expiry, pace."""
    now = now or timezone.now()
    parts: list[str] = []
    if campaign.state == Campaign.State.SCHEDULED and campaign.scheduled_at is not None:
        parts.append(_("starts %(time)s") % {"time": when(campaign.scheduled_at)})
        end = scheduling.holds(campaign, campaign.scheduled_at)
        if end is not None:
            parts.append(quiet_wait(end))
    elif campaign.state == Campaign.State.SENDING:
        end = scheduling.holds(campaign, now)
        if end is not None:
            parts.append(quiet_wait(end))
    if campaign.state in scheduling.UNFINISHED and campaign.expires_at is not None:
        parts.append(_("expires %(time)s") % {"time": when(campaign.expires_at)})
    if campaign.max_per_minute and campaign.state in scheduling.UNFINISHED:
        parts.append(_("at most %(count)d a minute") % {"count": campaign.max_per_minute})
    return "; ".join(parts) or "—"


def expiry_warning(campaigns: list[Campaign], start: datetime | None = None) -> str:
    """What a confirmation page says about campaigns that expire before or soon after ``start``
    (now, for Send)."""
    start = start or timezone.now()
    lines = []
    for campaign in campaigns:
        expires = campaign.expires_at
        if expires is None:
            continue
        values = {"name": campaign.name, "time": when(expires)}
        if expires <= start:
            lines.append(_("“%(name)s” expired at %(time)s: it will not be sent.") % values)
        elif (expires - start).total_seconds() <= EXPIRY_NEAR_SECONDS:
            lines.append(
                _(
                    "“%(name)s” expires at %(time)s: messages not sent by then will not be "
                    "sent at all."
                )
                % values
            )
    return " ".join(lines)
