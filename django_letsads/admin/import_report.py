"""The admin's report after a recipient import, and the CSV of its rejected lines.

The message lists the first :data:`SHOWN_REJECTS` rejected lines; when there are more, it links
to a CSV of all the import kept (:data:`~django_letsads.importing.MAX_REPORTED_REJECTS`). Those
lines live in the session of the person who imported, for their last few imports only: they
are a by-product of one upload, not data the app keeps.
"""

from __future__ import annotations

import csv
import secrets
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from django_letsads.admin import display
from django_letsads.importing import ImportReport

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    from django_letsads.models import Campaign

#: Rejected lines listed in the message after an import; the rest are in the CSV.
SHOWN_REJECTS = 20
#: Imports whose rejected lines a session keeps for download.
KEPT_IMPORTS = 3
_SESSION_KEY = "django_letsads_rejected_lines"
#: A cell starting with one of these is a formula to a spreadsheet: written with a quote first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def summary(report: ImportReport, source: str) -> str:
    counts = ", ".join(
        [
            ngettext("%(count)d added", "%(count)d added", report.added) % {"count": report.added},
            ngettext("%(count)d duplicate", "%(count)d duplicates", report.duplicates)
            % {"count": report.duplicates},
            ngettext("%(count)d rejected", "%(count)d rejected", report.rejected_count)
            % {"count": report.rejected_count},
        ]
    )
    text = _("%(source)s: %(counts)s.") % {"source": source, "counts": counts}
    if report.opted_out:
        text += " " + _("%(opted_out)s on the stop list left out.") % {
            "opted_out": report.opted_out
        }
    return text


def describe(line: int, text: str, reason: str) -> str:
    """One rejected line as people read it: the line, the phone as written, why."""
    if reason == "empty":
        return _("Line %(line)d: the phone number is empty") % {"line": line}
    return _("Line %(line)d “%(text)s”: %(reason)s") % {
        "line": line,
        "text": text,
        "reason": display.translate_reason(reason),
    }


def message(report: ImportReport, source: str, download_url: str = "") -> SafeString:
    """The whole message: summary, the first rejected lines, and the way to the others."""
    lines = format_html_join(
        "",
        "<br>{}",
        ((describe(r.line, r.text, r.reason),) for r in report.rejected[:SHOWN_REJECTS]),
    )
    more = report.rejected_count - min(len(report.rejected), SHOWN_REJECTS)
    tail: SafeString | str = ""
    if more:
        tail = format_html(
            "<br>{}",
            ngettext("and %(count)d more rejected line", "and %(count)d more rejected lines", more)
            % {"count": more},
        )
    if more and download_url:
        kept = len(report.rejected)
        label = (
            ngettext(
                "Download the rejected line (CSV)",
                "Download all %(count)d rejected lines (CSV)",
                kept,
            )
            if kept == report.rejected_count
            else _("Download the first %(count)d rejected lines (CSV)")
        ) % {"count": kept}
        tail = format_html('{} · <a href="{}">{}</a>', tail, download_url, label)
    return format_html("{}{}{}", summary(report, source), lines, tail)


def remember(request: HttpRequest, campaign_id: int, report: ImportReport) -> str:
    """Keep the report's rejected lines in the session; returns the download's URL."""
    if not hasattr(request, "session"):
        return ""
    token = secrets.token_urlsafe(9)
    kept: dict[str, Any] = dict(request.session.get(_SESSION_KEY) or {})
    kept[token] = {
        "campaign": campaign_id,
        "rows": [[r.line, r.text, r.reason] for r in report.rejected],
    }
    request.session[_SESSION_KEY] = dict(list(kept.items())[-KEPT_IMPORTS:])
    return reverse(
        "admin:django_letsads_campaign_rejected", kwargs={"object_id": campaign_id, "token": token}
    )


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def rejected_csv_view(
    modeladmin: ModelAdmin[Campaign], request: HttpRequest, object_id: str, token: str
) -> HttpResponse:
    """The rejected lines of one import as CSV (UTF-8 with a BOM, which Excel needs)."""
    if not modeladmin.has_view_or_change_permission(request):
        raise Http404
    stored = (request.session.get(_SESSION_KEY) or {}).get(token)
    if not stored or str(stored["campaign"]) != str(object_id):
        raise Http404(_("These rejected lines are no longer available; import the file again."))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="campaign-{int(object_id)}-rejected-lines.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["line", "text", "reason"])
    for line, text, reason in stored["rows"]:
        writer.writerow([line, _cell(text), _cell(display.translate_reason(reason))])
    return response
