"""The LetsAds protocol client: three calls over one HTTP session, no Django needed.

Every call is a POST of an XML document; the gateway answers HTTP 200 even for errors, so the
answer's ``<name>`` decides. What matters for money is the classification of failures: a request
is retried here only when it provably never reached the gateway (connection refused, DNS failure,
connect timeout). Everything else that leaves no valid answer raises a ``TransportError`` with
``maybe_sent=True``, and the caller must treat its messages as ``unknown``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Self

import requests
import urllib3.exceptions
from django.views.decorators.debug import sensitive_variables

from django_letsads import __version__, protocol, transport
from django_letsads.exceptions import (
    BadResponseError,
    GatewayTimeoutError,
    GatewayUnreachableError,
    TransportError,
    error_for_code,
)
from django_letsads.protocol import RequestBody, parse_sms_id
from django_letsads.status import GATEWAY_STATUS_MAP

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.letsads.com"
USER_AGENT = f"django-letsads/{__version__} python-requests/{requests.__version__}"


@dataclass(frozen=True)
class Balance:
    amount: Decimal
    currency: str


def _never_left(exc: requests.ConnectionError) -> bool:
    """True when a requests connection error proves the request was never written.

    requests wraps both "could not connect" and "connection dropped after sending" in
    ``ConnectionError``; only the former is safe to retry, so look at urllib3's reason.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the real cause
    return isinstance(
        reason,
        urllib3.exceptions.NewConnectionError
        | urllib3.exceptions.NameResolutionError
        | urllib3.exceptions.ConnectTimeoutError,
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
        self._owns_session = session is None
        self.session = session if session is not None else self._new_session()
        # What ``Session.post`` would work out again for every request (its headers, the proxy
        # and CA bundle from the environment, the adapter mounted for the URL), worked out once:
        # see ``_post_once``.
        self._headers = {
            **self.session.headers,
            "Content-Type": "text/xml; charset=utf-8",
            "User-Agent": USER_AGENT,
            # Only what ``transport.read_body`` decodes (requests would also offer br and zstd).
            "Accept-Encoding": "gzip, deflate",
        }
        environment = self.session.merge_environment_settings(api_url, {}, False, None, None)
        self._proxies: dict[str, str] = dict(environment["proxies"])
        self._verify: bool | str = True if environment["verify"] is None else environment["verify"]
        self._cert: str | tuple[str, str] | None = environment["cert"]
        self._adapter = self.session.get_adapter(api_url)
        # The request as ``requests`` prepares it (URL checked and quoted, headers validated,
        # any credentials in the URL applied), with an empty body: each call copies it and sets
        # its body, instead of preparing the same URL and headers again (see ``_post_once``).
        self._template = requests.Request(
            "POST", api_url, data=b"", headers=self._headers
        ).prepare()

    @staticmethod
    def _new_session() -> requests.Session:
        return transport.new_session()

    def __repr__(self) -> str:
        return f"<LetsAdsClient login={self.login!r} api_url={self.api_url!r}>"

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

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
        response = self._call(
            RequestBody(protocol.build_send(self.login, self._password, sender, text, recipients)),
            "send",
        )
        if response.name != protocol.NAME_COMPLETE:
            raise BadResponseError(
                f"A send request was answered with <name>{response.name}</name>.",
                code="UNEXPECTED_ANSWER",
            )
        if len(response.sms_ids) != len(recipients):
            raise BadResponseError(
                f"The gateway accepted the request but returned {len(response.sms_ids)} ids for "
                f"{len(recipients)} recipients; the messages may have been queued.",
                code="ID_COUNT_MISMATCH",
            )
        ids = [parse_sms_id(sms_id) for sms_id in response.sms_ids]
        if len(set(ids)) != len(ids):
            raise BadResponseError(
                f"The gateway returned the same id twice among {ids!r}.", code="BAD_SMS_ID"
            )
        return ids

    def status(self, sms_id: int | str) -> str:
        """The gateway's status code of one message, e.g. ``MESSAGE_IS_DELIVERED``."""
        response = self._call(
            RequestBody(protocol.build_status(self.login, self._password, sms_id)), "status"
        )
        if response.name != protocol.NAME_STATUS:
            raise BadResponseError(
                f"A status request was answered with <name>{response.name}</name>.",
                code="UNEXPECTED_ANSWER",
            )
        if response.description not in GATEWAY_STATUS_MAP:
            raise BadResponseError(
                f"Unknown status code {response.description!r} for message {sms_id}.",
                code="UNKNOWN_STATUS",
            )
        return response.description

    def balance(self) -> Balance:
        response = self._call(
            RequestBody(protocol.build_balance(self.login, self._password)), "balance"
        )
        if response.name != protocol.NAME_BALANCE:
            raise BadResponseError(
                f"A balance request was answered with <name>{response.name}</name>.",
                code="UNEXPECTED_ANSWER",
            )
        try:
            amount = Decimal(response.description)
        except InvalidOperation:
            raise BadResponseError(
                f"The balance {response.description!r} is not a number.", code="BAD_BALANCE"
            ) from None
        if not amount.is_finite():
            raise BadResponseError(f"The balance {amount} is not finite.", code="BAD_BALANCE")
        return Balance(amount=amount, currency=response.currency)

    # -- transport ----------------------------------------------------------------------------

    def _call(self, body: RequestBody, kind: str) -> protocol.Response:
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
        # Straight to the adapter rather than ``Session.post``: the session's per-request work
        # (cookies, netrc, environment, hooks, redirects) was half of the client's CPU per
        # request, and the poller makes one request per message (``docs/benchmarks.rst``). Not
        # following redirects is deliberate too: a redirected POST could be sent twice.
        with transport.deadline(self.timeout) as call:
            try:
                http = self._adapter.send(
                    self._prepared(body.reveal()),
                    stream=True,
                    timeout=(call.remaining(), call.remaining()),
                    verify=self._verify,
                    cert=self._cert,
                    proxies=self._proxies,
                )
            except requests.ConnectionError as exc:
                if _never_left(exc) and not call.expired:
                    raise GatewayUnreachableError(
                        f"Could not connect to {self.api_url}: {type(exc).__name__}."
                    ) from None
                raise self._lost(kind, call) from None
            except requests.Timeout:
                raise self._timed_out(kind) from None
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError):
                raise self._lost(kind, call) from None
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
            http.raw.release_conn()
        response = protocol.parse_response(content)
        if response.name == protocol.NAME_ERROR:
            raise error_for_code(response.description)
        return response

    def _prepared(self, data: bytes) -> requests.PreparedRequest:
        """What ``requests.Request("POST", api_url, data=data, headers=...).prepare()`` gives,
        made from the template: only the body and its length differ between calls."""
        template = self._template
        prepared = requests.PreparedRequest()
        prepared.method = template.method
        prepared.url = template.url
        prepared.headers = template.headers.copy()
        prepared.headers["Content-Length"] = str(len(data))
        prepared.body = data
        return prepared

    def _read(self, http: requests.Response, kind: str, call: transport.Call) -> bytes:
        """The answer's body, read under the call's deadline and size cap.

        Everything here happens after the request was written: every failure is ``maybe_sent``.
        """
        try:
            content = transport.read_body(http.raw, call)
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
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError):
            raise self._lost(kind, call) from None
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "LetsAds %s answer: HTTP %s %s",
                kind,
                http.status_code,
                content[:2000].decode("utf-8", "replace"),
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
