"""The simulator takes many connections at once, as a worker's pool opens them."""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

from django_letsads import protocol
from django_letsads.simulator import Simulator

LOGIN, PASSWORD = "380501234567", "secret"
BURSTS = 10
AT_ONCE = 100


def _burst(host: str, port: int, body: bytes, failures: list[str]) -> None:
    """``AT_ONCE`` clients connect at the same moment, each on a new connection."""
    barrier = threading.Barrier(AT_ONCE)

    def ask() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        barrier.wait()
        try:
            connection.request("POST", "/api", body, {"Content-Type": "text/xml"})
            if b"Balance" not in connection.getresponse().read():
                failures.append("wrong answer")
        except OSError as exc:
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_burst_of_new_connections_is_never_reset():
    # With socketserver's listen backlog of 5, some of these were reset: a worker's pool would
    # have had to mark their messages unknown.
    body = protocol.build_balance(LOGIN, PASSWORD)
    failures: list[str] = []
    with Simulator() as sim:
        sim.add_account(LOGIN, PASSWORD)
        address = urlsplit(sim.url)
        assert address.hostname is not None
        assert address.port is not None
        for _ in range(BURSTS):
            _burst(address.hostname, address.port, body, failures)

    assert failures == []
