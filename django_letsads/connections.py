"""Keep-alive connections to the gateway through ``http.client``, for the client's usual case.

A worker makes thousands of requests a minute, each a small POST on a kept-alive connection, and
the poller one per message. Through ``requests`` and urllib3 each cost about 600 µs of CPU, most
of it their per-request bookkeeping (connection-pool keys, retries, timeouts, response objects),
and the CPU of the worker process is what limits a send on a small machine; ``http.client``
reading the answer, with the request written in one ``send``, does the same for about 350 µs
(``docs/benchmarks.rst``). So the client uses
:class:`Pool` when nothing of ``requests`` is needed, and ``requests`` otherwise
(``LetsAdsClient._route_to`` decides):

* used: the client's own session (none given), no proxy for the URL in the environment
  (``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` as ``requests`` reads them), no client
  certificate;
* kept from ``requests``: the prepared URL (checked, IDNA host, quoted path, credentials in the
  URL as a basic ``Authorization``), its default headers, and for https the CA bundle it would
  verify against (``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else certifi's) with the host name
  checked;
* the same edges as through ``requests``: one deadline per call (the watchdog of
  :mod:`~django_letsads.transport` shuts the socket), the size cap and decoding of
  :func:`~django_letsads.transport.read_body`, a body cut short is a broken connection, a
  connection reused only after a complete answer and only if the server did not close it.

A failure to open the TCP connection raises :class:`NotSent` (nothing was written, the request
may be retried); anything after it is the caller's to classify as maybe sent.
"""

from __future__ import annotations

import http.client
import os.path
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlsplit

from requests.utils import DEFAULT_CA_BUNDLE_PATH
from urllib3.util.wait import wait_for_read

from django_letsads import transport
from django_letsads.protocol import RequestBody


class NotSent(Exception):
    """The connection could not be opened: no byte of the request left."""


@dataclass(frozen=True)
class Target:
    """Where and how one URL is posted to: the request ``requests`` prepared, as bytes."""

    host: str
    port: int
    #: The request line and headers, all but ``Content-Length`` and the blank line. Left out of
    #: the repr: credentials in the URL become an ``Authorization`` header here.
    head: bytes = field(repr=False)
    context: ssl.SSLContext | None

    @property
    def key(self) -> tuple[str, int, bool]:
        return self.host, self.port, self.context is not None


def target_for(url: str, path: str, headers: dict[str, str], verify: bool | str) -> Target:
    """The :class:`Target` of a prepared URL (``url``, its ``path`` with the query) and headers.

    ``verify`` is ``True`` (certifi's bundle, as ``requests``) or the path of a CA bundle file or
    directory; the context is built here, once per URL, not per request.
    """
    parts = urlsplit(url)
    https = parts.scheme == "https"
    context = None
    if https:
        # What requests verifies against: its default bundle (certifi's), or a file or a
        # directory of CA certificates.
        where = DEFAULT_CA_BUNDLE_PATH if verify is True else str(verify)
        directory = os.path.isdir(where)
        context = ssl.create_default_context(
            cafile=None if directory else where, capath=where if directory else None
        )
    host = parts.hostname or ""
    default = 443 if https else 80
    port = parts.port or default
    # The Host header as http.client writes it: IPv6 in brackets, the scheme's port left out.
    shown = f"[{host}]" if ":" in host else host
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {shown}" if port == default else f"Host: {shown}:{port}",
    ]
    lines += [
        f"{name}: {value}"
        for name, value in headers.items()
        if name.lower() not in ("content-length", "host")
    ]
    head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
    return Target(host=host, port=port, head=head, context=context)


class _Connection:
    """One kept-alive connection: its socket, known to the call's watchdog by ``sock``."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.sock: socket.socket | None = None

    def open(self, timeout: float) -> None:
        target = self.target
        try:
            tcp = socket.create_connection((target.host, target.port), timeout)
        except OSError as exc:  # nothing written yet
            raise NotSent(type(exc).__name__) from None
        self.sock = tcp
        tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if target.context is not None:
            self.sock = target.context.wrap_socket(tcp, server_hostname=target.host)
        # Blocking from now on: the call's watchdog shuts the socket down at the deadline, and a
        # socket with a timeout polls before every send and receive (a system call each).
        self.sock.settimeout(None)

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


class Answer:
    """An answer's status line and headers, with its body still to read (``read1``)."""

    def __init__(self, pool: Pool, conn: _Connection, sock: socket.socket) -> None:
        self._pool = pool
        self._conn = conn
        self._response = http.client.HTTPResponse(sock, method="POST")
        self._response.begin()
        self.status_code = self._response.status
        self.headers: Message = self._response.msg

    def read1(self, size: int) -> bytes:
        """At most ``size`` bytes of the body, with one read; ``b""`` at its complete end."""
        response = self._response
        data = response.read1(size)
        if not data and response.length:
            # ``http.client`` ends the body quietly where the connection ended it.
            raise http.client.IncompleteRead(b"", response.length)
        return data

    def close(self) -> None:
        """Drop the connection with the answer (unread or broken: it cannot serve another)."""
        self._response.close()
        self._conn.close()

    def release(self) -> None:
        """The body was read to its end: keep the connection for the next request if it can."""
        response = self._response
        complete = response.isclosed() or response.length == 0
        response.close()
        if complete and not response.will_close and self._conn.sock is not None:
            self._pool.put(self._conn)
        else:
            self._conn.close()


class Pool:
    """Idle kept-alive connections per host, each used by one call at a time; thread-safe."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int, bool], list[_Connection]] = {}
        self._lock = threading.Lock()

    def post(self, target: Target, body: RequestBody, call: transport.Call) -> Answer:
        """POST ``body`` to ``target`` under ``call``'s deadline; the answer's body is unread."""
        conn = self._take(target)
        transport.attach(call, conn)
        try:
            sock = conn.sock
            if sock is None:
                conn.open(call.remaining())
                sock = conn.sock
                assert sock is not None  # open() set it or raised
                if call.expired:  # at the deadline while there was no socket to shut down
                    raise TimeoutError
            # One send for the whole request: with a send for the headers and another for the
            # body, each segment costs its own trip through the network stack.
            # The body stays wrapped in this frame: error pages show frames' locals.
            data = body.reveal
            length = b"Content-Length: %d\r\n\r\n" % len(data())
            sock.sendall(b"".join((target.head, length, data())))
            return Answer(self, conn, sock)
        except BaseException:
            conn.close()
            raise

    def _take(self, target: Target) -> _Connection:
        with self._lock:
            idle = self._idle.get(target.key)
            while idle:
                conn = idle.pop()
                # Readable while idle: the server closed it (or sent what nobody asked for).
                if conn.sock is not None and not wait_for_read(conn.sock, timeout=0.0):
                    return conn
                conn.close()
        return _Connection(target)

    def put(self, conn: _Connection) -> None:
        with self._lock:
            self._idle.setdefault(conn.target.key, []).append(conn)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()
