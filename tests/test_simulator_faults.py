"""Faults of the simulator as the client sees them: which error, and whether it may have sent."""

from __future__ import annotations

import time

import pytest
import requests
from django.conf import settings

from django_letsads.client import LetsAdsClient
from django_letsads.exceptions import (
    BadResponseError,
    GatewayTimeoutError,
    GatewayUnreachableError,
    TransportError,
    UnknownGatewayError,
)
from django_letsads.simulator import FaultPlan, Simulator

A, B = "380671234567", "380671234568"


@pytest.fixture
def sim(letsads_simulator):
    return letsads_simulator


@pytest.fixture
def client(sim):
    cfg = settings.LETSADS
    with LetsAdsClient(
        cfg["LOGIN"], cfg["PASSWORD"], api_url=sim.url, timeout=1, connect_retries=0
    ) as c:
        yield c


@pytest.mark.parametrize(
    ("kind", "error", "code"),
    [
        ("http_502", BadResponseError, "HTTP_502"),
        ("timeout", GatewayTimeoutError, "TIMEOUT"),
        ("drop", TransportError, "CONNECTION_LOST"),
        ("truncated", BadResponseError, "MALFORMED_XML"),
        ("unknown_error", UnknownGatewayError, "UNKNOWN_ERROR"),
    ],
)
def test_each_fault_is_an_ambiguous_error(sim, client, kind, error, code):
    sim.faults.timeout_seconds = 2
    sim.inject(kind)
    with pytest.raises(error) as info:
        client.send("Test", "Hi", [A, B])
    assert type(info.value) is error
    assert info.value.code == code
    assert info.value.maybe_sent
    (entry,) = sim.log()
    assert entry.fault == kind
    # The next request is served normally, on the same client.
    assert len(client.send("Test", "Hi", [A])) == 1


@pytest.mark.parametrize("kind", ["http_502", "timeout", "drop", "truncated"])
def test_faults_after_processing_bill_the_request(sim, client, kind):
    sim.faults.timeout_seconds = 2
    sim.inject(kind)
    with pytest.raises(TransportError):
        client.send("Test", "Hi", [A, B])
    assert sim.sent_recipients() == [A, B]
    assert sim.log()[0].processed
    assert sim.log()[0].sms_ids


def test_unknown_error_does_not_process_by_default(sim, client):
    sim.inject("unknown_error")
    with pytest.raises(UnknownGatewayError):
        client.send("Test", "Hi", [A])
    assert sim.sent_recipients() == []
    sim.inject("unknown_error", processed=True)
    with pytest.raises(UnknownGatewayError):
        client.send("Test", "Hi", [A])
    assert sim.sent_recipients() == [A]


def test_502_before_the_gateway_saw_the_request(sim, client):
    sim.inject("http_502", processed=False)
    with pytest.raises(BadResponseError) as info:
        client.send("Test", "Hi", [A])
    assert info.value.maybe_sent  # the client cannot know; the simulator does
    assert sim.sent_recipients() == []
    assert not sim.log()[0].processed


def test_502_is_an_html_page(sim):
    sim.inject("http_502")
    answer = requests.post(sim.url, data=b"<request/>", timeout=5)
    assert answer.status_code == 502
    assert answer.headers["Content-Type"].startswith("text/html")
    assert b"<h1>502 Bad Gateway</h1>" in answer.content


def test_faults_can_target_one_request_kind(sim, client):
    sim.inject("http_502", 2, only="status")
    (sms_id,) = client.send("Test", "Hi", [A])
    client.balance()
    with pytest.raises(BadResponseError):
        client.status(sms_id)
    with pytest.raises(BadResponseError):
        client.status(sms_id)
    assert client.status(sms_id) == "MESSAGE_IN_QUEUE"
    assert sim.faults.pending == 0


def test_fault_rate_is_reproducible_with_a_seed():
    def draw(seed):
        plan = FaultPlan(seed=seed)
        plan.set_rate(0.3, ["drop", "timeout"])
        return [plan.pick("send")[0] for _ in range(200)]

    first, again, other = draw(7), draw(7), draw(8)
    assert first == again
    assert first != other
    hits = [fault for fault in first if fault is not None]
    assert 30 < len(hits) < 90
    assert {fault.kind for fault in hits} == {"drop", "timeout"}


def test_fault_rate_limited_to_a_kind_spares_others():
    plan = FaultPlan()
    plan.set_rate(1.0, ["drop"], only="send")
    assert plan.pick("status")[0] is None
    assert plan.pick("send")[0].kind == "drop"


def test_fault_plan_rejects_unknown_kinds():
    plan = FaultPlan()
    with pytest.raises(ValueError, match="unknown fault kind"):
        plan.inject("explode")
    with pytest.raises(ValueError, match="unknown request kind"):
        plan.set_rate(0.5, ["drop"], only="everything")


def test_latency_delays_every_answer(sim, client):
    sim.faults.set_latency(0.3)
    started = time.monotonic()
    client.balance()
    assert time.monotonic() - started >= 0.3
    sim.faults.clear()
    started = time.monotonic()
    client.balance()
    assert time.monotonic() - started < 0.3


def test_down_refuses_connections_and_up_serves_on_the_same_port(sim, client):
    port = sim.port
    client.balance()  # leaves a kept-alive connection in the pool
    sim.down()
    assert sim.is_down
    with pytest.raises(GatewayUnreachableError) as info:
        client.send("Test", "Hi", [A])
    assert info.value.maybe_sent is False
    assert sim.sent_recipients() == []
    sim.up()
    assert sim.port == port
    assert len(client.send("Test", "Hi", [A])) == 1


def test_down_for_a_while_comes_back_by_itself(sim, client):
    sim.down(seconds=0.3)
    with pytest.raises(GatewayUnreachableError):
        client.balance()
    time.sleep(0.6)
    assert not sim.is_down
    client.balance()


def test_client_retries_through_a_short_outage(sim):
    cfg = settings.LETSADS
    sim.down(seconds=0.2)
    with LetsAdsClient(
        cfg["LOGIN"], cfg["PASSWORD"], api_url=sim.url, connect_retries=3, retry_backoff=0.2
    ) as patient:
        assert patient.balance().currency == "UAH"


def test_keep_alive_reuses_one_connection(sim, client):
    for _ in range(10):
        client.balance()
    assert sim.connections_accepted == 1


def test_stop_cuts_a_pending_timeout_short():
    sim = Simulator(timeout_seconds=30).start()
    sim.add_account("380501234567", "pw")
    sim.inject("timeout")
    with (
        LetsAdsClient("380501234567", "pw", api_url=sim.url, timeout=0.3) as c,
        pytest.raises(GatewayTimeoutError),
    ):
        c.balance()
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 5
    assert not sim.running
