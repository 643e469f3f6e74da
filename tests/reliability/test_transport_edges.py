"""A gateway that misbehaves after the headers, answers without end, or drips: the client's edges.

Every test talks real HTTP to :mod:`tests.reliability.hostile` on 127.0.0.1. What must hold: every
failure is a ``TransportError`` of our tree (``maybe_sent`` once the request was written), an
answer is read with a size cap in bounded memory, and ``TIMEOUT`` bounds the whole call.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests

from django_letsads.client import LetsAdsClient
from django_letsads.exceptions import (
    BadResponseError,
    GatewayTimeoutError,
    GatewayUnreachableError,
    TransportError,
)
from django_letsads.protocol import parse_sms_id
from tests.reliability import hostile
from tests.reliability.hostile import DECL, HostileServer, elapsed, hostile_server

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("no_proxy_from_the_machine")]

PASSWORD = "edge-test-password"
#: What the tests allow above ``TIMEOUT`` for a call to end (a loaded CI machine included).
MARGIN = 4.0


def client_for(server: HostileServer, timeout: float = 5, **kwargs: object) -> LetsAdsClient:
    return LetsAdsClient("380501234567", PASSWORD, api_url=server.url, timeout=timeout, **kwargs)  # type: ignore[arg-type]


# -- 1. failures after the headers ---------------------------------------------------------------


@pytest.mark.parametrize("call", ["balance", "send", "status"])
def test_a_body_cut_short_is_a_transport_error_that_may_have_been_sent(call: str) -> None:
    calls = {
        "balance": lambda client: client.balance(),
        "send": lambda client: client.send("Test", "Hi", ["380671112233"]),
        "status": lambda client: client.status(101),
    }
    with hostile_server(hostile.cut_short) as server, client_for(server) as client:
        _, error = elapsed(lambda: calls[call](client))
    assert isinstance(error, TransportError)
    assert error.code == "CONNECTION_LOST"
    assert error.maybe_sent is True
    assert len(server.bodies) == 1


def test_a_stall_after_the_headers_is_a_timeout_within_the_deadline() -> None:
    with hostile_server(hostile.stall_after_headers) as server, client_for(server, 1) as client:
        seconds, error = elapsed(lambda: client.send("Test", "Hi", ["380671112233"]))
    assert isinstance(error, GatewayTimeoutError)
    assert error.maybe_sent is True
    assert seconds < 1 + MARGIN


def test_a_stall_before_the_headers_is_a_timeout_within_the_deadline() -> None:
    with hostile_server(hostile.stall_before_headers) as server, client_for(server, 1) as client:
        seconds, error = elapsed(client.balance)
    assert isinstance(error, GatewayTimeoutError)
    assert seconds < 1 + MARGIN


@pytest.mark.parametrize("behaviour", [hostile.broken_gzip, hostile.truncated_gzip])
def test_a_broken_gzip_encoding_is_a_bad_response(behaviour: hostile.Behaviour) -> None:
    with (
        hostile_server(behaviour) as server,
        client_for(server) as client,
        pytest.raises(BadResponseError) as info,
    ):
        client.send("Test", "Hi", ["380671112233"])
    assert info.value.code == "BAD_ENCODING"
    assert info.value.maybe_sent is True


def test_an_encoding_the_client_did_not_offer_is_a_bad_response() -> None:
    with (
        hostile_server(hostile.brotli_answer) as server,
        client_for(server) as client,
        pytest.raises(BadResponseError) as info,
    ):
        client.balance()
    assert info.value.code == "BAD_ENCODING"


def test_a_gzip_answer_is_still_read() -> None:
    with hostile_server(hostile.gzip_answer) as server, client_for(server) as client:
        balance = client.balance()
    assert str(balance.amount) == "12.50"


def test_connection_refused_is_still_provably_unsent() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    client = LetsAdsClient(
        "380501234567", PASSWORD, api_url=f"http://127.0.0.1:{port}/", connect_retries=0
    )
    with client, pytest.raises(GatewayUnreachableError) as info:
        client.send("Test", "Hi", ["380671112233"])
    assert info.value.maybe_sent is False


# -- 2. the size of an answer --------------------------------------------------------------------


def _kib(line: str) -> int:
    return int(line.split()[1])


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return _kib(line) * 1024
    raise LookupError(field)


def peak_growth(func: object) -> tuple[int, BaseException | None]:
    """Bytes the process's peak RSS grew above its RSS at the start while ``func`` ran."""
    # Writing 5 to clear_refs resets the peak (VmHWM) to the current RSS (Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")
    start = _status("VmRSS")
    _, error = elapsed(func)  # type: ignore[arg-type]
    return _status("VmHWM") - start, error


MEMORY_BUDGET = 100 * 1024 * 1024


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "behaviour",
    [hostile.gigabyte_with_length, hostile.gigabyte_chunked, hostile.gzip_bomb_answer],
    ids=["1 GB with a length", "1 GB chunked", "1 MB gzip bomb"],
)
def test_an_answer_over_the_cap_is_refused_in_bounded_memory(behaviour: hostile.Behaviour) -> None:
    hostile.gzip_bomb()  # built before measuring: the server's memory is not the client's
    with hostile_server(behaviour) as server, client_for(server) as client:
        growth, error = peak_growth(lambda: client.send("Test", "Hi", ["380671112233"]))
    assert isinstance(error, BadResponseError)
    assert error.code == "ANSWER_TOO_LARGE"
    assert error.maybe_sent is True
    assert growth < MEMORY_BUDGET, f"peak RSS grew by {growth // 2**20} MB"
    if server.written:  # the client hung up long before the gigabyte was out
        assert server.written[0] < hostile.GIGABYTE


# -- 3. one deadline for the whole call ----------------------------------------------------------


def test_a_drip_of_one_byte_a_second_ends_within_the_timeout() -> None:
    # The answer is valid and complete after ~130 s; TIMEOUT = 3 must end the call after 3 s.
    with hostile_server(hostile.drip) as server, client_for(server, 3) as client:
        seconds, error = elapsed(client.balance)
    assert isinstance(error, GatewayTimeoutError)
    assert error.maybe_sent is True
    assert seconds < 3 + MARGIN


def test_headers_dripped_one_byte_a_second_end_within_the_timeout() -> None:
    with hostile_server(hostile.drip_headers) as server, client_for(server, 2) as client:
        seconds, error = elapsed(lambda: client.send("Test", "Hi", ["380671112233"]))
    assert isinstance(error, GatewayTimeoutError)
    assert seconds < 2 + MARGIN


def test_a_drip_through_a_session_of_the_callers_own_still_ends_in_time() -> None:
    # The caller's adapter does not let the deadline reach its sockets; the body is still read
    # against the deadline, each read bounded by the socket timeout.
    session = requests.Session()
    with hostile_server(hostile.drip) as server, client_for(server, 2, session=session) as client:
        seconds, error = elapsed(client.balance)
    assert isinstance(error, GatewayTimeoutError)
    assert seconds < 2 + 2 + MARGIN


def test_the_connection_is_reused_after_a_complete_answer() -> None:
    # Reading the body ourselves must not cost the keep-alive the poller relies on.
    connections: list[int] = []

    def keep_alive(conn: socket.socket, server: HostileServer) -> None:
        connections.append(conn.fileno())
        conn.sendall(hostile.head(Content_Length=len(hostile.BALANCE)) + hostile.BALANCE)
        while hostile._read_request(conn):
            server.bodies.append(b"again")
            conn.sendall(hostile.head(Content_Length=len(hostile.BALANCE)) + hostile.BALANCE)

    with hostile_server(keep_alive) as server, client_for(server) as client:
        for _ in range(3):
            client.balance()
    assert len(connections) == 1
    assert len(server.bodies) == 3


# -- 4. ids ---------------------------------------------------------------------------------------


def complete(*ids: str) -> bytes:
    body = "".join(f"<sms_id>{i}</sms_id>" for i in ids)
    return (
        DECL
        + (
            f"<response><name>Complete</name><description>queued</description>{body}</response>"
        ).encode()
    )


@pytest.mark.parametrize(
    "sms_id",
    [str(2**63), "99999999999999999999999", "9_000000", "١٢٣", "+5", "0x10", "-3", "0"],
)
def test_an_id_that_is_not_ascii_digits_in_range_is_a_bad_response(sms_id: str) -> None:
    with (
        hostile_server(hostile.answer(complete(sms_id))) as server,
        client_for(server) as client,
        pytest.raises(BadResponseError) as info,
    ):
        client.send("Test", "Hi", ["380671112233"])
    assert info.value.code == "BAD_SMS_ID"
    assert info.value.maybe_sent is True


def test_the_largest_64_bit_id_is_accepted() -> None:
    answer = hostile.answer(complete(str(2**63 - 1), "7"))
    with hostile_server(answer) as server, client_for(server) as client:
        ids = client.send("Test", "Hi", ["380671112233", "380671112234"])
    assert ids == [2**63 - 1, 7]


def test_the_same_id_twice_in_one_answer_is_a_bad_response() -> None:
    answer = hostile.answer(complete("77", "77"))
    with (
        hostile_server(answer) as server,
        client_for(server) as client,
        pytest.raises(BadResponseError) as info,
    ):
        client.send("Test", "Hi", ["380671112233", "380671112234"])
    assert info.value.code == "BAD_SMS_ID"


def test_parse_sms_id_takes_plain_digits() -> None:
    assert parse_sms_id("633217") == 633217
    with pytest.raises(BadResponseError):
        parse_sms_id("\uff16\uff13\uff13")  # full-width digits
