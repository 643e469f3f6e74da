"""Tiny loopback servers for the client's gateway-quirk tests: plain HTTP or HTTPS, any answer.

The HTTPS server uses a self-signed certificate for ``127.0.0.1`` made with the ``openssl``
command; the client trusts it through ``REQUESTS_CA_BUNDLE``, as a deployment would trust a
private CA.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.servers import QuietHandler, loopback, url_of

#: ``(status, headers, body)`` of an answer.
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    #: ``POST /api HTTP/1.1`` (through a proxy, the whole URL).
    line: str = ""


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

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            request = Received(
                self.path, dict(self.headers.items()), self.rfile.read(length), self.requestline
            )
            received.append(request)
            self.answer(*(answer(request) if callable(answer) else answer))

    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls / "cert.pem", tls / "key.pem")
    with loopback(Handler, tls=context) as server:
        port = server.server_address[1]
        scheme = "https" if tls is not None else "http"
        yield Server(url_of(server, scheme=scheme), port, received)


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
