"""An answer cut off after its headers: the request reached the gateway, the answer did not.

Seen in CI when the gateway went down mid-answer: reading the body raised outside the client's
error handling, the send worker counted the batch as crashed and left it *sending* until the
claim lease ran out. It is a transport fault like a dropped connection: ``CONNECTION_LOST``,
maybe sent, so the messages become *unknown* at once and are never resent by code.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from django_letsads.client import LetsAdsClient
from django_letsads.exceptions import TransportError
from tests.servers import QuietHandler, loopback, url_of

pytestmark = pytest.mark.usefixtures("no_proxy_from_the_machine")


@contextmanager
def headers_then_hang_up() -> Iterator[str]:
    """A loopback server that announces a 500-byte answer, sends none of it and hangs up."""

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", "500")
            self.end_headers()
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True

    with loopback(Handler) as server:
        yield url_of(server)


@pytest.mark.parametrize("call", ["send", "status", "balance"])
def test_an_answer_cut_after_its_headers_is_a_lost_connection(call):
    with headers_then_hang_up() as url:
        client = LetsAdsClient("380501234567", "secret-pw", api_url=url)
        client.connect_retries = 0
        request = {
            "send": lambda: client.send("Test", "Hi", ["380671112233"]),
            "status": lambda: client.status(123),
            "balance": client.balance,
        }[call]
        with pytest.raises(TransportError) as info:
            request()

    assert info.value.code == "CONNECTION_LOST"
    assert info.value.maybe_sent is True
    assert "secret-pw" not in str(info.value)
