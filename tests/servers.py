"""Small HTTP servers on 127.0.0.1 for the tests that need the other end of a connection.

:func:`loopback` serves a handler class on a free port in a thread and stops it afterwards;
:class:`QuietHandler` logs nothing and writes a whole answer in one call. What a server answers
stays in each test (``tests/quirky_gateway.py`` answers like the gateway, with HTTPS if asked).
The ``no_proxy_from_the_machine`` fixture (``tests/conftest.py``) keeps the machine's proxy
settings from sending the client's requests elsewhere.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

#: The environment variables through which requests would use a proxy.
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "NO_PROXY",
    "no_proxy",
)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that writes no log line for each request."""

    def log_message(self, *args: object) -> None:
        return None

    def answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        """Send ``status``, ``headers`` and ``body`` with its ``Content-Length``."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def loopback(
    handler: type[BaseHTTPRequestHandler], *, tls: ssl.SSLContext | None = None
) -> Iterator[ThreadingHTTPServer]:
    """``handler`` served on 127.0.0.1 (a free port: :func:`url_of`) until the block ends;
    ``tls`` wraps the socket for HTTPS."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def url_of(server: ThreadingHTTPServer, *, scheme: str = "http", path: str = "/api") -> str:
    return f"{scheme}://127.0.0.1:{server.server_address[1]}{path}"


def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the proxy settings of the machine from the environment, for this test."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
