"""The client's own keep-alive connections (``django_letsads.connections``), used instead of
``requests`` when nothing of it is needed: TLS still verified, closed connections replaced."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
import requests

from django_letsads.client import LetsAdsClient
from django_letsads.exceptions import GatewayTimeoutError, TransportError
from tests.quirky_gateway import certificate, serve, xml_answer
from tests.reliability import hostile
from tests.reliability.hostile import HostileServer, hostile_server

PASSWORD = "pw-Secret-42"
BALANCE = xml_answer("Balance", "12.50", "<currency>UAH</currency>")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("NO_PROXY", "no_proxy", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def test_the_clients_own_session_does_not_go_through_requests_adapters(monkeypatch):
    # The per-request work of requests and urllib3 was most of the worker's CPU per request.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("sent through requests")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)
    with serve(BALANCE) as server, LetsAdsClient("380501234567", PASSWORD, server.url) as client:
        assert str(client.balance().amount) == "12.50"
    assert len(server.received) == 1
    headers = server.received[0].headers
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert headers["User-Agent"].startswith("django-letsads/")
    assert headers["Accept-Encoding"] == "gzip, deflate"
    assert headers["Host"] == f"127.0.0.1:{server.port}"


def test_https_is_verified_against_the_ca_bundle_requests_would_use(monkeypatch, tls):
    with serve(BALANCE, tls=tls) as server:
        # certifi's bundle does not know the test's certificate: nothing may be sent.
        untrusted = LetsAdsClient("380501234567", PASSWORD, server.url, connect_retries=0)
        with untrusted, pytest.raises(TransportError) as info:
            untrusted.balance()
        assert server.received == []
        assert PASSWORD not in str(info.value)

        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls / "cert.pem"))
        with LetsAdsClient("380501234567", PASSWORD, server.url) as trusted:
            assert str(trusted.balance().amount) == "12.50"
        assert len(server.received) == 1


def test_https_refuses_a_certificate_for_another_host(monkeypatch, tls):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls / "cert.pem"))
    with serve(BALANCE, tls=tls) as server:
        # The certificate names 127.0.0.1, not localhost.
        url = server.url.replace("127.0.0.1", "localhost")
        client = LetsAdsClient("380501234567", PASSWORD, url, connect_retries=0)
        with client, pytest.raises(TransportError):
            client.balance()
        assert server.received == []


def test_a_connection_the_server_closed_while_idle_is_replaced():
    # A server may close a kept-alive connection between two requests without saying so in
    # advance; the next request must go on a new connection, not fail as a lost one.
    closed = threading.Event()
    connections: list[int] = []

    def answer_then_close(conn: socket.socket, server: HostileServer) -> None:
        connections.append(conn.fileno())
        conn.sendall(hostile.head(Content_Length=len(hostile.BALANCE)) + hostile.BALANCE)
        conn.shutdown(socket.SHUT_RDWR)
        closed.set()

    with (
        hostile_server(answer_then_close) as server,
        LetsAdsClient("380501234567", PASSWORD, server.url, connect_retries=0) as client,
    ):
        for _ in range(3):
            closed.clear()
            assert str(client.balance().amount) == "12.50"
            assert closed.wait(5)
    assert len(server.bodies) == 3
    assert len(connections) == 3


def test_a_stall_after_the_headers_through_a_callers_session_is_a_timeout():
    # There the socket's own timeout ends the read (the watchdog does not know the caller's
    # sockets): that is the call's deadline, not a connection that broke.
    session = requests.Session()
    with (
        hostile_server(hostile.stall_after_headers) as server,
        LetsAdsClient("380501234567", PASSWORD, server.url, timeout=1, session=session) as client,
        pytest.raises(GatewayTimeoutError) as info,
    ):
        client.send("Test", "Hi", ["380671112233"])
    assert info.value.maybe_sent is True


def test_a_target_does_not_show_credentials_of_its_url_in_its_repr():
    # Credentials in the URL become an Authorization header in the target's prepared head.
    from django_letsads.connections import target_for

    target = target_for(
        "https://user:pw-Secret-42@gateway.example/api",
        "/api",
        {"Authorization": "Basic dXNlcjpwdy1TZWNyZXQtNDI="},
        True,
    )
    assert b"Authorization" in target.head
    assert "dXNlcjpwdy1TZWNyZXQtNDI" not in repr(target)
    assert PASSWORD not in repr(target)
