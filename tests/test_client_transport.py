"""The client's HTTP transport: what it takes from the session and environment, and redirects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests

from django_letsads.client import LetsAdsClient
from django_letsads.exceptions import LetsAdsConfigurationError
from tests.quirky_gateway import Server, serve

pytestmark = pytest.mark.usefixtures("no_proxy_from_the_machine")


@dataclass
class Recorder:
    server: Server

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[tuple[str, str]]:
        """``(request line, body)`` of every request received."""
        return [(r.line, r.body.decode()) for r in self.server.received]


@contextmanager
def http_server(answer: tuple[int, dict[str, str], bytes]) -> Iterator[Recorder]:
    """A loopback server answering every POST with ``answer`` and recording what it got."""
    with serve(answer) as server:
        yield Recorder(server)


def test_a_redirect_to_plain_http_is_not_followed_with_the_password(letsads_simulator):
    # A 307 asks the client to POST the same body again elsewhere: only to the same host over
    # https (tests/test_client_redirects.py). Here it would go in clear: stop and say so.
    with http_server((307, {"Location": letsads_simulator.url}, b"")) as seen:
        client = LetsAdsClient("380501234567", "secret-pw", api_url=seen.url)
        with pytest.raises(LetsAdsConfigurationError) as info:
            client.send("Test", "Hi", ["380671112233"])
    assert info.value.code == "HTTP_307"
    assert info.value.maybe_sent is False
    assert len(seen.requests) == 1
    assert letsads_simulator.sends() == []


def test_a_proxy_from_the_environment_is_used(monkeypatch):
    answer = b'<?xml version="1.0" encoding="UTF-8"?><response><name>Balance</name>'
    answer += b"<description>12.50</description><currency>UAH</currency></response>"
    with http_server((200, {"Content-Type": "text/xml"}, answer)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.removesuffix("/api"))
        client = LetsAdsClient("380501234567", "secret-pw", api_url="http://gateway.invalid/api")
        balance = client.balance()
    assert str(balance.amount) == "12.50"
    # A proxied request names the absolute URL in its request line.
    assert proxy.requests[0][0] == "POST http://gateway.invalid/api HTTP/1.1"


def test_headers_set_on_a_given_session_are_sent(monkeypatch):
    answer = b'<?xml version="1.0" encoding="UTF-8"?><response><name>Balance</name>'
    answer += b"<description>1</description><currency>UAH</currency></response>"
    received: dict[str, str] = {}

    class Recording(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
            received.update(request.headers)
            return super().send(request, **kwargs)

    with http_server((200, {"Content-Type": "text/xml"}, answer)) as server:
        session = requests.Session()
        session.mount("http://", Recording())
        session.headers["X-Trace"] = "abc"
        LetsAdsClient("380501234567", "secret-pw", api_url=server.url, session=session).balance()
    assert received["X-Trace"] == "abc"
    assert received["Content-Type"] == "text/xml; charset=utf-8"
    assert received["User-Agent"].startswith("django-letsads/")
