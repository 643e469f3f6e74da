"""The campaign page's charts, drawn on the server as inline SVG: no JavaScript, no CDN.

Colours come from CSS classes (``static/django_letsads/admin.css``) that use the admin's own
variables, so the charts follow its light and dark themes. Every label is escaped: a campaign's
data is never markup. The numbers come from :mod:`django_letsads.reports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from django_letsads.admin.display import PARTS
from django_letsads.reports import Operator, Timeline

DELIVERED_COLOR = next(part.color for part in PARTS if part.key == "delivered")
WIDTH = 720
ROW = 24  # height of one bar row
LABEL = 150  # width of the labels left of the bars
SERIES = (
    ("accepted", gettext_lazy("accepted by the gateway")),
    ("delivered", gettext_lazy("delivered")),
    ("undelivered", gettext_lazy("undelivered")),
)


def _number(value: int) -> str:
    return formats.number_format(value, force_grouping=True)


def _percent(value: float) -> str:
    return formats.number_format(100 * value, 1) + " %"


def _nice_max(value: int) -> int:
    """The smallest of 1, 2 or 5 times a power of ten at least ``value``: round figures on the axis."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def _time_label(moment: datetime, unit: str, with_date: bool) -> str:
    local = timezone.localtime(moment)
    if unit == "day":
        return formats.date_format(local, "SHORT_DATE_FORMAT")
    clock = local.strftime("%H:%M")
    return f"{formats.date_format(local, 'SHORT_DATE_FORMAT')} {clock}" if with_date else clock


def _svg(height: int, label: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="letsads-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'width="{}" height="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        label,
        WIDTH,
        height,
        WIDTH,
        height,
        label,
        body,
    )


def timeline_chart(data: Timeline) -> SafeString:
    """Lines of accepted, delivered and undelivered messages per bucket."""
    title = {
        "minute": _("Messages per minute"),
        "hour": _("Messages per hour"),
        "day": _("Messages per day"),
    }[data.unit]
    if not data.points:
        return format_html('<p class="letsads-empty">{}</p>', _("Nothing has been sent yet."))
    left, right, top, bottom, height = 56, 12, 12, 28, 220
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    peak = _nice_max(max(max(p.accepted, p.delivered, p.undelivered) for p in data.points))
    count = len(data.points)

    def x(i: int) -> str:
        return f"{left + (plot_w * i / (count - 1) if count > 1 else plot_w / 2):.1f}"

    def y(value: int, shift: int = 0) -> str:
        return f"{top + plot_h * (1 - value / peak) + shift:.1f}"

    grid = format_html_join(
        "",
        '<line class="letsads-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="letsads-axis" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (left, WIDTH - right, y(v), y(v), left - 6, y(v, 4), _number(v))
            for v in (0, peak // 2, peak)
        ),
    )
    spans_days = timezone.localtime(data.points[0].start).date() != (
        timezone.localtime(data.points[-1].start).date()
    )
    ticks = sorted({0, count // 2, count - 1})
    labels = format_html_join(
        "",
        '<text class="letsads-axis" x="{}" y="{}" text-anchor="{}">{}</text>',
        (
            (
                x(i),
                height - 8,
                "start" if i == 0 and count > 1 else "end" if i == count - 1 else "middle",
                _time_label(data.points[i].start, data.unit, spans_days),
            )
            for i in ticks
        ),
    )
    lines = format_html_join(
        "",
        '<polyline class="letsads-line letsads-{}" points="{}"/>{}',
        (
            (
                key,
                " ".join(f"{x(i)},{y(getattr(p, key))}" for i, p in enumerate(data.points)),
                _dots(key, [(x(i), y(getattr(p, key))) for i, p in enumerate(data.points)]),
            )
            for key, _label in SERIES
        ),
    )
    legend = format_html_join(
        "",
        '<span class="letsads-key letsads-{}"><i></i>{}</span>',
        SERIES,
    )
    chart = _svg(height, title, format_html("{}{}{}", grid, labels, lines))
    return format_html(
        '<figure class="letsads-figure" id="letsads-timeline" data-unit="{}">'
        '<figcaption>{}</figcaption>{}<div class="letsads-keys">{}</div></figure>',
        data.unit,
        title,
        chart,
        legend,
    )


def _dots(key: str, points: Sequence[tuple[str, str]]) -> SafeString:
    """Markers where there are few points: one bucket alone would be an invisible line."""
    if len(points) > 40:
        return mark_safe("")
    return format_html_join(
        "",
        '<circle class="letsads-dot letsads-{}" cx="{}" cy="{}" r="3"/>',
        ((key, cx, cy) for cx, cy in points),
    )


def _bars(rows: Sequence[tuple[str, float, str, str]], label: str) -> SafeString:
    """Horizontal bars: (label, fraction of the full width, colour, text after the bar)."""
    bar_w = WIDTH - LABEL - 220
    body = format_html_join(
        "",
        '<text class="letsads-label" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="letsads-track" x="{}" y="{}" width="{}" height="14" rx="3"/>'
        '<rect class="letsads-bar-fill" style="fill:{}" x="{}" y="{}" width="{}" height="14" rx="3"/>'
        '<text class="letsads-value" x="{}" y="{}">{}</text>',
        (
            (
                LABEL - 8,
                i * ROW + 16,
                name,
                LABEL,
                i * ROW + 4,
                bar_w,
                css,
                LABEL,
                i * ROW + 4,
                f"{bar_w * fraction:.1f}",
                LABEL + bar_w + 8,
                i * ROW + 16,
                text,
            )
            for i, (name, fraction, css, text) in enumerate(rows)
        ),
    )
    return _svg(max(1, len(rows)) * ROW + 4, label, body)


def status_chart(counts: dict[str, int]) -> SafeString:
    """The final (or current) status breakdown, one bar per status present."""
    title = _("Status breakdown")
    whole = sum(counts.values())
    sums = [(part, sum(counts.get(s, 0) for s in part.statuses)) for part in PARTS]
    rows = [
        (str(part.label), n / whole, part.color, f"{_number(n)} ({_percent(n / whole)})")
        for part, n in sums
        if n
    ]
    if not rows:
        return format_html('<p class="letsads-empty">{}</p>', _("no recipients"))
    return format_html(
        '<figure class="letsads-figure" id="letsads-statuses"><figcaption>{}</figcaption>{}'
        "</figure>",
        title,
        _bars(rows, title),
    )


def operators_chart(operators: Sequence[Operator]) -> SafeString:
    """Delivery rate per mobile operator (delivered per message the gateway accepted)."""
    title = _("Delivery rate by operator")
    rows = []
    for operator in operators:
        rate = operator.rate
        text = (
            _("%(rate)s of %(accepted)s accepted")
            % {"rate": _percent(rate), "accepted": _number(operator.accepted)}
            if rate is not None
            else _("none accepted yet (%(total)s)") % {"total": _number(operator.total)}
        )
        rows.append(
            (operator.name or pgettext("operator", "other"), rate or 0.0, DELIVERED_COLOR, text)
        )
    if not rows:
        return format_html('<p class="letsads-empty">{}</p>', _("no recipients"))
    return format_html(
        '<figure class="letsads-figure" id="letsads-operators"><figcaption>{}</figcaption>{}'
        "</figure>",
        title,
        _bars(rows, title),
    )
