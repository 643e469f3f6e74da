"""Tiny loopback servers for the client's gateway-quirk tests: plain HTTP or HTTPS, any answer.

The HTTPS server uses a self-signed certificate for ``127.0.0.1`` made with the ``openssl``
command; the client trusts it through ``REQUESTS_CA_BUNDLE``, as a deployment would trust a
private CA.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

#: ``(status, headers, body)`` of an answer.
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    url: str
    port: int
    received: list[Received] = field(default_factory=list)


def xml_answer(name: str, description: str, extra: str = "") -> Answer:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<response>'
        f"<name>{name}</name><description>{description}</description>{extra}</response>"
    )
    return 200, {"Content-Type": "text/xml; charset=utf-8"}, body.encode()


@contextmanager
def serve(
    answer: Answer | Callable[[Received], Answer], *, tls: Path | None = None
) -> Iterator[Server]:
    """A server on 127.0.0.1 answering every POST with ``answer`` (or what it returns for the
    request); ``tls`` is the directory of :func:`certificate`'s files, for HTTPS."""
    received: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            request = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            received.append(request)
            status, headers, body = answer(request) if callable(answer) else answer
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls / "cert.pem", tls / "key.pem")
        server.socket = context.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield Server(f"{scheme}://127.0.0.1:{port}/api", port, received)
    finally:
        server.shutdown()
        server.server_close()


def certificate(directory: Path) -> Path:
    """Write a self-signed certificate for 127.0.0.1 (``cert.pem``, ``key.pem``) to ``directory``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(directory / "key.pem"),
            "-out",
            str(directory / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return directory
