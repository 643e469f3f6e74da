"""How one POST reaches a URL: as ``requests`` would prepare and route it, sent the cheapest way.

For each URL the client posts to, :class:`Exchange` works out once what ``Session.post`` would
work out for every request (the session's headers, the proxy and CA bundle from the environment,
the adapter mounted for the URL) and sends each request either over the client's own keep-alive
connections (:mod:`~django_letsads.connections`, when nothing of ``requests`` is needed) or
straight to the ``requests`` adapter. No error is classified here: the client does that, with
the call's deadline in hand. No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from django_letsads import __version__, connections, transport
from django_letsads.protocol import RequestBody

USER_AGENT = f"django-letsads/{__version__} python-requests/{requests.__version__}"


@dataclass(frozen=True)
class Route:
    """What ``Session.post`` would work out for a URL: adapter, proxies, CA bundle, client cert;
    ``direct`` when nothing of it needs ``requests`` (see :mod:`~django_letsads.connections`)."""

    adapter: Any
    proxies: dict[str, str]
    verify: bool | str
    cert: str | tuple[str, str] | None
    direct: bool


class RequestsAnswer:
    """An answer that came through ``requests``, read as the client reads every answer."""

    def __init__(self, response: requests.Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def read1(self, size: int) -> bytes:
        return self._response.raw.read1(size, decode_content=False)

    def close(self) -> None:
        self._response.close()

    def release(self) -> None:
        self._response.raw.release_conn()


Answer = connections.Answer | RequestsAnswer


class Exchange:
    """Sends the client's POSTs through ``session`` (the client's own when ``owns_session``)."""

    def __init__(self, session: requests.Session, owns_session: bool, api_url: str) -> None:
        self.session = session
        self._owns_session = owns_session
        self._api_url = api_url
        self._pool = connections.Pool()
        self.headers = {
            **session.headers,
            "Content-Type": "text/xml; charset=utf-8",
            "User-Agent": USER_AGENT,
            # Only what ``transport.read_body`` decodes (requests would also offer br and zstd).
            "Accept-Encoding": "gzip, deflate",
        }
        #: The request to ``api_url`` as prepared once, with an empty body (see ``_prepared``).
        self._template: requests.PreparedRequest | None = None
        #: Where ``api_url`` is posted to without ``requests``, worked out on its first request.
        self._target: connections.Target | None = None

    def route_to(self, url: str) -> Route:
        environment = self.session.merge_environment_settings(url, {}, False, None, None)
        verify = True if environment["verify"] is None else environment["verify"]
        proxies = dict(environment["proxies"])
        return Route(
            adapter=self.session.get_adapter(url),
            proxies=proxies,
            verify=verify,
            cert=environment["cert"],
            direct=self._owns_session
            and environment["cert"] is None
            and verify is not False
            and requests.utils.select_proxy(url, proxies) is None,
        )

    def post(self, url: str, route: Route, body: RequestBody, call: transport.Call) -> Answer:
        """POST ``body`` to ``url``; the answer's body is left to read.

        Raises :class:`connections.NotSent` or a ``requests`` connection error when the
        connection could not be opened, and whatever the connection raises after that.
        """
        if route.direct:
            return self._pool.post(self._target_of(url, route), body, call)
        response = route.adapter.send(
            self._prepared(url, body.reveal()),
            stream=True,
            timeout=(call.remaining(), call.remaining()),
            verify=route.verify,
            cert=route.cert,
            proxies=route.proxies,
        )
        return RequestsAnswer(response)

    def close(self) -> None:
        self._pool.close()
        if self._owns_session:
            self.session.close()

    def _target_of(self, url: str, route: Route) -> connections.Target:
        """``url`` as ``requests`` prepares it (see ``_prepared``), for :mod:`connections`."""
        if url == self._api_url and self._target is not None:
            return self._target
        prepared = requests.Request("POST", url, data=b"", headers=self.headers).prepare()
        target = connections.target_for(
            prepared.url or url, prepared.path_url, dict(prepared.headers), route.verify
        )
        if url == self._api_url:
            self._target = target
        return target

    def _prepared(self, url: str, data: bytes) -> requests.PreparedRequest:
        """What ``requests.Request("POST", url, data=data, headers=...).prepare()`` gives.

        For ``api_url`` it is copied from the request prepared on the first call (URL checked
        and quoted, headers validated, credentials in the URL applied) with only the body and
        its length set: preparing the same URL and headers again was a sixth of the client's CPU
        per request. A redirect's target is prepared as it comes. Called from the client's
        ``try``, so a URL ``requests`` refuses fails the call as it always did.
        """
        if url != self._api_url:
            return requests.Request("POST", url, data=data, headers=self.headers).prepare()
        template = self._template
        if template is None:
            template = requests.Request("POST", url, data=b"", headers=self.headers).prepare()
            self._template = template
        prepared = requests.PreparedRequest()
        prepared.method = template.method
        prepared.url = template.url
        prepared.headers = template.headers.copy()
        prepared.headers["Content-Length"] = str(len(data))
        prepared.body = data
        return prepared
