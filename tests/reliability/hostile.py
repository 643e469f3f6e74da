"""A hostile HTTP server on 127.0.0.1: it reads each request whole, then misbehaves on purpose.

A behaviour is a function of the connected socket (and the server, to notice that the test is
over): it writes whatever it likes, as slowly as it likes, and the connection is closed when it
returns. Raw sockets rather than ``http.server``, because the point is to break HTTP: lengths that
lie, bodies cut short, drips, gigabytes streamed from a generator (never held in memory).
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
BALANCE = DECL + (
    b"<response><name>Balance</name><description>12.50</description>"
    b"<currency>UAH</currency></response>"
)

Behaviour = Callable[[socket.socket, "HostileServer"], None]


@dataclass
class HostileServer:
    url: str
    stopping: threading.Event = field(default_factory=threading.Event)
    #: Bodies of the requests received, whole.
    bodies: list[bytes] = field(default_factory=list)
    #: Bytes of answer the behaviours managed to write before the client went away.
    written: list[int] = field(default_factory=list)

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; False if the test ended meanwhile (a behaviour should then return)."""
        return not self.stopping.wait(seconds)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return body


@contextmanager
def hostile_server(behaviour: Behaviour) -> Iterator[HostileServer]:
    listener = socket.create_server(("127.0.0.1", 0))
    server = HostileServer(url=f"http://127.0.0.1:{listener.getsockname()[1]}/api")
    threads: list[threading.Thread] = []

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                while not server.stopping.is_set():
                    body = _read_request(conn)
                    if not body:
                        return
                    server.bodies.append(body)
                    behaviour(conn, server)
                    return
            except OSError:
                return  # the client went away: that is what most tests expect

    def accept() -> None:
        while not server.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=serve, args=(conn,), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        server.stopping.set()
        # close() alone does not wake a thread blocked in accept(); shutdown() does (Linux).
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        acceptor.join(5)
        for thread in threads:
            thread.join(5)


def head(status: str = "200 OK", **headers: str | int) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: text/xml; charset=utf-8"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# -- behaviours ----------------------------------------------------------------------------------


def answer(body: bytes, **headers: str | int) -> Behaviour:
    """A well-formed answer with ``body`` (and keep-alive, like a real server)."""

    def behave(conn: socket.socket, server: HostileServer) -> None:
        conn.sendall(head(Content_Length=len(body), **headers) + body)

    return behave


def cut_short(conn: socket.socket, server: HostileServer) -> None:
    """Promises 1000 bytes, sends 50, closes."""
    conn.sendall(head(Content_Length=1000) + BALANCE[:50])


def stall_after_headers(conn: socket.socket, server: HostileServer) -> None:
    conn.sendall(head(Content_Length=len(BALANCE)))
    server.wait(60)


def stall_before_headers(conn: socket.socket, server: HostileServer) -> None:
    server.wait(60)


def broken_gzip(conn: socket.socket, server: HostileServer) -> None:
    body = gzip.compress(BALANCE)
    body = body[:12] + b"\xff" * 8 + body[20:]
    conn.sendall(head(Content_Length=len(body), Content_Encoding="gzip") + body)


def truncated_gzip(conn: socket.socket, server: HostileServer) -> None:
    body = gzip.compress(BALANCE)[:-12]
    conn.sendall(head(Content_Length=len(body), Content_Encoding="gzip") + body)


def gzip_answer(conn: socket.socket, server: HostileServer) -> None:
    body = gzip.compress(BALANCE)
    conn.sendall(head(Content_Length=len(body), Content_Encoding="gzip") + body)


def brotli_answer(conn: socket.socket, server: HostileServer) -> None:
    conn.sendall(head(Content_Length=len(BALANCE), Content_Encoding="br") + BALANCE)


GIGABYTE = 1024**3
_PIECE = b"<a>" + b"x" * (64 * 1024 - 7) + b"</a>"


def _stream(conn: socket.socket, server: HostileServer, total: int, *, chunked: bool) -> None:
    """Write ``total`` bytes of body, 64 KB at a time, generated as it goes."""
    sent = 0
    try:
        while sent < total and not server.stopping.is_set():
            piece = _PIECE[: total - sent]
            conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
        if chunked:
            conn.sendall(b"0\r\n\r\n")
    finally:
        server.written.append(sent)


def gigabyte_with_length(conn: socket.socket, server: HostileServer) -> None:
    conn.sendall(head(Content_Length=GIGABYTE) + DECL + b"<response>")
    _stream(conn, server, GIGABYTE, chunked=False)


def gigabyte_chunked(conn: socket.socket, server: HostileServer) -> None:
    conn.sendall(head(Transfer_Encoding="chunked"))
    _stream(conn, server, GIGABYTE, chunked=True)


@cache
def gzip_bomb() -> bytes:
    """About 1 MB of gzip that inflates to 1 GB (and a little) of spaces.

    Compressing a gigabyte takes seconds; after a full flush a deflate stream starts afresh, so
    the compressed form of one megabyte is written 1024 times instead.
    """
    prefix = DECL + b"<response><name>Balance</name><description>"
    block = b" " * (1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    packed = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    for _ in range(1024):
        crc = zlib.crc32(block, crc)
    size = (len(prefix) + 1024 * len(block)) % 2**32
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    trailer = crc.to_bytes(4, "little") + size.to_bytes(4, "little")
    return header + start + packed * 1024 + end + trailer


def gzip_bomb_answer(conn: socket.socket, server: HostileServer) -> None:
    body = gzip_bomb()
    conn.sendall(head(Content_Length=len(body), Content_Encoding="gzip"))
    _send_slices(conn, body)


def _send_slices(conn: socket.socket, body: bytes) -> None:
    view = memoryview(body)
    for start in range(0, len(body), 65536):
        conn.sendall(view[start : start + 65536])


def drip(conn: socket.socket, server: HostileServer) -> None:
    """A complete, valid answer, one byte a second."""
    conn.sendall(head(Content_Length=len(BALANCE)))
    for i in range(len(BALANCE)):
        conn.sendall(BALANCE[i : i + 1])
        if not server.wait(1):
            return


def drip_headers(conn: socket.socket, server: HostileServer) -> None:
    """The status line and headers, one byte a second."""
    for byte in head(Content_Length=len(BALANCE)):
        conn.sendall(bytes([byte]))
        if not server.wait(1):
            return


def elapsed(func: Callable[[], object]) -> tuple[float, BaseException | None]:
    """Seconds ``func`` took, and what it raised."""
    start = time.monotonic()
    try:
        func()
    except BaseException as exc:  # handed back to the test
        return time.monotonic() - start, exc
    return time.monotonic() - start, None
