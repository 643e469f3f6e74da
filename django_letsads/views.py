"""The unsubscribe page behind the ``{unsubscribe_url}`` link.

``GET`` only shows a page with one button: link scanners, spam filters and chat previews fetch
links, and must not unsubscribe anyone; the page writes nothing to the database, so it costs a
read and can be served (and rate-limited) like any static-ish page. ``POST`` (the button, with
Django's CSRF protection) puts the number on the stop list. Neither needs a login or JavaScript.
A forged, truncated or altered token, or one whose message no longer exists, gets a plain
"not valid" page with status 404.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from django_letsads import optout
from django_letsads.models import Message, OptOut
from django_letsads.unsubscribe import read_token

TEMPLATE = "django_letsads/unsubscribe/page.html"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    message_id = read_token(token)
    row = (
        Message.objects.filter(pk=message_id).values("recipient", "campaign_id").first()
        if message_id is not None
        else None
    )
    if row is None:
        return _page(request, "invalid", status=404)
    number, campaign_id = row["recipient"], row["campaign_id"]
    if request.method == "POST":
        # The number exactly as the message holds it: that is what the worker compares.
        optout.add_many([(number, "")], source=OptOut.Source.LINK, campaign_id=campaign_id)
        return _page(request, "done", number=number)
    state = "already" if OptOut.objects.filter(number=number).exists() else "confirm"
    return _page(request, state, number=number)


def _page(request: HttpRequest, state: str, *, number: str = "", status: int = 200) -> HttpResponse:
    response = render(request, TEMPLATE, {"state": state, "number": _masked(number)}, status=status)
    # Keep the page out of search engines and the token out of other sites' logs. Not
    # "no-referrer": browsers then send "Origin: null" with the form, which CSRF refuses.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _masked(number: str) -> str:
    """Enough of the number for its owner to recognise it, not enough to reveal it."""
    return f"+{number[:3]} •••• {number[-4:]}" if len(number) > 7 else ""
