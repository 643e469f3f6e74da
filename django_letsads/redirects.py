"""What the client does when ``API_URL`` answers a POST with a redirect. No I/O here.

Integrations use ``https://api.letsads.com`` (documented), ``https://letsads.com/api`` and
``http://letsads.com/api``; a server in front of one of them may redirect. The request carries the
account's password and may cost money, so:

* A **307 or 308** says the server did not act on the request and asks for the same POST at the
  new address. It is followed once, with the body unchanged, and only to the **same host over
  https** (any port: TLS proves the host). The pair is one request for money purposes.
* Anything else is a :class:`GatewayRedirectError` that names the URL to put in settings:
  a 301 or 302 (clients would turn the POST into a GET; the server did not act on the POST),
  a 303 (*see other*: the answer of a server that did act; the request may have been sent), a
  307/308 to another host or to plain http (the password does not go there), a second redirect,
  or one without a ``Location``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from django.views.decorators.debug import sensitive_variables

from django_letsads.exceptions import GatewayRedirectError
from django_letsads.protocol import Once

logger = logging.getLogger(__name__)

DOCUMENTED_URL = "https://api.letsads.com"

#: Redirect statuses this module judges; other 3xx are plain bad answers.
REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Statuses that keep the method and body and promise the server did not act on the request.
_REPEAT = frozenset({307, 308})
#: Longest ``Location`` quoted in an error; a hostile server may send any length.
_SHOWN = 200

_followed = Once()


# A hostile server may echo the password in ``Location``: error pages show frames' variables.
@sensitive_variables("location", "target")
def follow(
    api_url: str,
    status: int,
    location: str | None,
    kind: str,
    *,
    followed: bool = False,
    scrub: Callable[[str], str] = str,
) -> str:
    """The URL to send the same POST to, or raise :class:`GatewayRedirectError`.

    ``api_url`` is the URL that answered ``status`` to the ``kind`` request; ``followed`` is True
    when it is itself the target of a redirect (a second one is never followed). ``scrub`` takes
    the password out of what the error quotes (a hostile server may echo it in ``Location``).
    """
    where = f"{api_url} answered the {kind} request with HTTP {status}"
    sent = (
        "The request may have been acted on (a 303 points at the result of work done)."
        if status == 303
        else "The request was not sent: a server that answers with a redirect has not acted on it."
    )
    if not location or not location.strip():
        raise _error(
            f"{where}, a redirect with no Location. Check LETSADS['API_URL']; the documented "
            f"URL is {DOCUMENTED_URL}. {sent}",
            status,
            "",
        )
    target = urljoin(api_url, location.strip())
    shown = scrub(target)  # masked before it is cut short, so no part of the password shows
    shown = shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "…"
    try:
        same_host = urlsplit(target).hostname == urlsplit(api_url).hostname
        secure = urlsplit(target).scheme == "https"
    except ValueError:
        same_host = secure = False
    if same_host and secure:
        if status in _REPEAT and not followed:
            if _followed.first((api_url, target)):
                logger.warning(
                    "LetsAds: %s redirects (HTTP %s) to %s; requests follow it. Put that URL in "
                    "LETSADS['API_URL'] to save a round trip per request.",
                    api_url,
                    status,
                    shown,
                )
            return target
        reason = "a second redirect" if followed else "a redirect a POST cannot follow safely"
        raise _error(
            f"{where}, {reason}, to {shown}. Put LETSADS['API_URL'] = {shown!r} in settings. {sent}",
            status,
            shown,
        )
    elsewhere = "another host" if not same_host else "plain http"
    raise _error(
        f"{where}, a redirect to {shown} ({elsewhere}), where the client does not send the "
        f"account's password. If that is the LetsAds gateway, put it in LETSADS['API_URL']; the "
        f"documented URL is {DOCUMENTED_URL}. {sent}",
        status,
        shown,
    )


def _error(message: str, status: int, location: str) -> GatewayRedirectError:
    return GatewayRedirectError(
        message, code=f"HTTP_{status}", location=location, maybe_sent=status == 303
    )
