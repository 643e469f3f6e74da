"""The LetsAds protocol client: three calls over one HTTP session, no Django needed.

Every call is a POST of an XML document; the gateway answers HTTP 200 even for errors, so the
answer's ``<name>`` decides. What matters for money is the classification of failures: a request
is retried here only when it provably never reached the gateway (connection refused, DNS failure,
connect timeout). Everything else that leaves no valid answer raises a ``TransportError`` with
``maybe_sent=True``, and the caller must treat its messages as ``unknown``.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Self, TypeVar

import requests
import urllib3.exceptions
from django.views.decorators.debug import sensitive_variables

from django_letsads import connections, exchange, protocol, redirects, transport
from django_letsads.exceptions import (
    BadResponseError,
    GatewayTimeoutError,
    GatewayUnreachableError,
    LetsAdsError,
    TransportError,
    error_for_code,
)
from django_letsads.protocol import Balance, RequestBody

logger = logging.getLogger(__name__)

DEFAULT_API_URL = redirects.DOCUMENTED_URL
T = TypeVar("T")
USER_AGENT = exchange.USER_AGENT
#: What a connection that broke after the request may have left raises, through either path.
_BROKEN = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    OSError,
    ValueError,
)


class LetsAdsClient:
    """Talks to one LetsAds account. Thread-safe for concurrent calls; reuse one per worker.

    ``connect_retries`` bounds how often a request that provably never left is tried again, with
    ``retry_backoff`` seconds (doubling) between tries.
    """

    @sensitive_variables("password")
    def __init__(
        self,
        login: str,
        password: str,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 15,
        session: requests.Session | None = None,
        *,
        connect_retries: int = 2,
        retry_backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.login = login
        self._password = password
        # Out of this frame's locals: Django's DEBUG page shows them if anything below fails
        # (an API_URL requests has no adapter for, say), and with DEBUG on it hides nothing.
        del password
        self.api_url = api_url
        self.timeout = timeout
        self.connect_retries = connect_retries
        self.retry_backoff = retry_backoff
        self._sleep = sleep
        owns_session = session is None
        self.session = session if session is not None else self._new_session()
        self._exchange = exchange.Exchange(self.session, owns_session, api_url)
        self._route = self._exchange.route_to(api_url)

    @staticmethod
    def _new_session() -> requests.Session:
        return transport.new_session()

    def __repr__(self) -> str:
        return f"<LetsAdsClient login={self.login!r} api_url={self.api_url!r}>"

    def _scrub(self, text: str) -> str:
        """``text`` from the gateway's answer, with the password masked: a hostile or broken
        server may echo it, and what it says ends up in errors and logs."""
        return text.replace(self._password, "********") if self._password else text

    def close(self) -> None:
        self._exchange.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the three calls ----------------------------------------------------------------------

    def send(self, sender: str, text: str, recipients: Sequence[str]) -> list[int]:
        """Queue ``text`` for ``recipients`` (at most 50); returns the gateway ids in their order."""
        # Wrapped at once: a local holding the bare bytes would show on an error page.
        body = RequestBody(
            protocol.build_send(self.login, self._password, sender, text, recipients)
        )
        count = len(recipients)
        return self._call(body, "send", lambda r: protocol.read_send(r, count, self._scrub))

    def status(self, sms_id: int | str) -> str:
        """The gateway's status code of one message, e.g. ``MESSAGE_IS_DELIVERED``.

        Read from ``<description>`` whatever ``<name>`` says (see ``protocol.read_status``).
        """
        body = RequestBody(protocol.build_status(self.login, self._password, sms_id))
        return self._call(body, "status", lambda r: protocol.read_status(r, sms_id, self._scrub))

    def balance(self) -> Balance:
        """The account's balance; ``12,50`` is read as ``Decimal("12.50")``."""
        body = RequestBody(protocol.build_balance(self.login, self._password))
        return self._call(body, "balance", lambda r: protocol.read_balance(r, self._scrub))

    # -- transport ----------------------------------------------------------------------------

    def _call(self, body: RequestBody, kind: str, read: Callable[[protocol.Response], T]) -> T:
        """``read`` applied to the answer to ``body``; its errors never quote the password."""
        try:
            return read(self._post_retrying(body, kind))
        except LetsAdsError as exc:
            # What the server wrote (a code, a name, an address) goes into errors that are logged,
            # stored and shown: mask the password if a hostile or broken server echoed it. Only
            # the words are masked, never the answer itself (ids and codes may contain its digits).
            exc.message = self._scrub(exc.message)
            exc.code = self._scrub(exc.code)
            exc.args = (exc.message,)
            raise

    def _post_retrying(self, body: RequestBody, kind: str) -> protocol.Response:
        attempt = 0
        while True:
            try:
                return self._post_once(body, kind)
            except GatewayUnreachableError:
                if attempt >= self.connect_retries:
                    raise
                delay = self.retry_backoff * (2**attempt)
                attempt += 1
                logger.info("LetsAds unreachable; retry %d of %s in %.2fs", attempt, kind, delay)
                self._sleep(delay)

    def _post_once(self, body: RequestBody, kind: str) -> protocol.Response:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("LetsAds %s request to %s: %s", kind, self.api_url, body)
        with transport.deadline(self.timeout) as call:
            http = self._post(self.api_url, self._route, body, kind, call)
            if http.status_code in redirects.REDIRECTS:
                # One call, one deadline: a followed 307/308 is the same request, which the
                # first server did not act on (``redirects``).
                target = self._redirected(http, self.api_url, kind)
                route = self._exchange.route_to(target)
                http = self._post(target, route, body, kind, call)
                if http.status_code in redirects.REDIRECTS:
                    self._redirected(http, target, kind, followed=True)  # raises
            if http.status_code != 200:
                http.close()  # unread: the connection cannot serve another request
                raise BadResponseError(
                    f"The gateway answered the {kind} request with HTTP {http.status_code}.",
                    code=f"HTTP_{http.status_code}",
                )
            try:
                content = self._read(http, kind, call)
            except BaseException:
                http.close()
                raise
            http.release()
        response = protocol.parse_response(content)
        if response.name == protocol.NAME_ERROR:
            raise error_for_code(response.description)
        return response

    def _post(
        self, url: str, route: exchange.Route, body: RequestBody, kind: str, call: transport.Call
    ) -> exchange.Answer:
        # Over ``http.client`` when nothing of ``requests`` is needed, else straight to the
        # adapter rather than ``Session.post``: the per-request work of both was most of the
        # client's CPU per request, and the poller makes one request per message
        # (``docs/benchmarks.rst``). Redirects are judged by ``_post_once``: a redirected POST
        # could be sent twice.
        try:
            return self._exchange.post(url, route, body, call)
        except connections.NotSent as exc:
            if call.expired:
                raise self._timed_out(kind) from None
            raise GatewayUnreachableError(f"Could not connect to {url}: {exc}.") from None
        except requests.ConnectionError as exc:
            if transport.never_left(exc) and not call.expired:
                raise GatewayUnreachableError(
                    f"Could not connect to {url}: {type(exc).__name__}."
                ) from None
            raise self._lost(kind, call) from None
        except (requests.Timeout, TimeoutError):
            raise self._timed_out(kind) from None
        except _BROKEN:
            raise self._lost(kind, call) from None

    def _redirected(
        self,
        http: exchange.Answer,
        url: str,
        kind: str,
        *,
        followed: bool = False,
    ) -> str:
        """Where to send the request again after ``url`` answered ``http`` with a redirect."""
        http.close()
        return redirects.follow(
            url,
            http.status_code,
            http.headers.get("Location"),
            kind,
            followed=followed,
            scrub=self._scrub,
        )

    def _read(self, http: exchange.Answer, kind: str, call: transport.Call) -> bytes:
        """The answer's body, read under the call's deadline and size cap.

        Everything here happens after the request was written: every failure is ``maybe_sent``.
        """
        try:
            content = transport.read_body(http, call)
        except transport.DeadlineExceeded:
            raise self._timed_out(kind) from None
        except transport.AnswerTooLarge:
            raise BadResponseError(
                f"The answer to the {kind} request is larger than "
                f"{transport.MAX_ANSWER_BYTES} bytes; it is not a LetsAds answer.",
                code="ANSWER_TOO_LARGE",
            ) from None
        except transport.BadEncoding as exc:
            raise BadResponseError(
                f"The answer to the {kind} request cannot be decoded ({exc}).",
                code="BAD_ENCODING",
            ) from None
        except (TimeoutError, urllib3.exceptions.ReadTimeoutError):
            raise self._timed_out(kind) from None
        except _BROKEN:
            raise self._lost(kind, call) from None
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "LetsAds %s answer: HTTP %s %s",
                kind,
                http.status_code,
                self._scrub(content[:2000].decode("utf-8", "replace")),
            )
        return content

    def _timed_out(self, kind: str) -> GatewayTimeoutError:
        return GatewayTimeoutError(
            f"No complete answer from {self.api_url} within {self.timeout}s to the {kind} request."
        )

    def _lost(self, kind: str, call: transport.Call) -> TransportError:
        if call.expired:
            return self._timed_out(kind)
        return TransportError(
            f"The connection to {self.api_url} broke during the {kind} request; "
            "the gateway may have acted on it.",
            code="CONNECTION_LOST",
        )
