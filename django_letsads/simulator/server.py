"""The HTTP face of the simulator: a threaded HTTP/1.1 server on 127.0.0.1.

Every POST outside ``/_simulator/`` is a gateway request, whatever the path (integrations use
``/`` and ``/api``). The handler reads the body, lets the fault plan choose a fault for the
request's kind, lets the gateway act, then answers — or fails to, as the fault says.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from django_letsads.simulator import faults
from django_letsads.simulator.control import CONTROL_PREFIX, ControlError, handle_control

if TYPE_CHECKING:
    from django_letsads.simulator.core import Simulator

logger = logging.getLogger(__name__)

BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
MAX_BODY = 1 << 20


class SimulatorHTTPServer(ThreadingHTTPServer):
    """Remembers its open connections so that ``down()`` can cut them like a dead host would."""

    daemon_threads = True
    # socketserver listens with a backlog of 5: a client opening 32 connections at once (a
    # worker's pool at --concurrency 32) had some of them reset by the kernel, which the client
    # must treat as "maybe sent" (unknown messages). A real gateway's backlog is far larger.
    request_queue_size = 1024

    def __init__(self, port: int, simulator: Simulator) -> None:
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        #: Connections accepted so far; tests use it to see that clients keep connections alive.
        self.connections_accepted = 0
        super().__init__(("127.0.0.1", port), SimulatorRequestHandler)

    def track(self, conn: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            if alive:
                self._connections.add(conn)
                self.connections_accepted += 1
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                conn.shutdown(socket.SHUT_RDWR)


class SimulatorRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LetsAdsSimulator/1.0"
    # Small answers on kept-alive connections: without this, Nagle's algorithm and the client's
    # delayed ACK add ~40 ms to every request.
    disable_nagle_algorithm = True
    server: SimulatorHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, alive=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, alive=False)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("simulator %s: " + format, self.address_string(), *args)

    # -- routing ------------------------------------------------------------------------------

    def do_POST(self) -> None:
        body = self._read_body()
        if self.path.startswith(CONTROL_PREFIX):
            self._control("POST", body)
        else:
            self._gateway(body)

    def do_GET(self) -> None:
        if self.path.startswith(CONTROL_PREFIX):
            self._control("GET", b"")
        else:
            self._send(405, b"Method Not Allowed\n", "text/plain; charset=utf-8")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""

    # -- answers ------------------------------------------------------------------------------

    def _send(
        self, status: int, body: bytes, content_type: str, *, length: int | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _control(self, method: str, body: bytes) -> None:
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        try:
            status, payload = handle_control(self.server.simulator, method, parts.path, query, body)
        except ControlError as exc:
            status, payload = exc.status, {"error": str(exc)}
        data = json.dumps(payload).encode()
        self._send(status, data, "application/json")

    def _gateway(self, body: bytes) -> None:
        sim = self.server.simulator
        request = sim.gateway.parse(body)
        fault, latency = sim.faults.pick(request.kind)
        if latency:
            sim.wait(latency)
        outcome = sim.gateway.execute(request, fault)
        kind = fault.kind if fault else None
        xml_type = "text/xml; charset=utf-8"
        try:
            if kind == faults.HTTP_502:
                self._send(502, BAD_GATEWAY_PAGE, "text/html")
            elif kind == faults.DROP:
                self._cut()
            elif kind == faults.TRUNCATED:
                self.close_connection = True
                self._send(200, outcome.answer[: len(outcome.answer) // 2], xml_type)
            else:
                if kind == faults.TIMEOUT:
                    sim.wait(sim.faults.timeout_seconds)
                self._send(200, outcome.answer, xml_type)
        except OSError:
            # The client gave up (timeout) or the simulator went down; nothing to answer to.
            self.close_connection = True

    def _cut(self) -> None:
        self.close_connection = True
        self.wfile.flush()
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
