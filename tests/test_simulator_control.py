"""The simulator as a separate process sees it: binding, control API, command line, fixture."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import requests
from django.conf import settings

from django_letsads.client import LetsAdsClient
from django_letsads.exceptions import BadResponseError, GatewayUnreachableError
from django_letsads.simulator import Account, Simulator
from django_letsads.simulator.clock import Clock
from django_letsads.simulator.gateway import Gateway, ParsedRequest

ROOT = Path(__file__).resolve().parent.parent
A = "380671234567"


@pytest.fixture
def sim(letsads_simulator):
    return letsads_simulator


@pytest.fixture
def client(sim):
    cfg = settings.LETSADS
    with LetsAdsClient(cfg["LOGIN"], cfg["PASSWORD"], api_url=sim.url, timeout=2) as c:
        yield c


def control(sim, name, payload=None, **query):
    url = sim.control_url + name
    if payload is None:
        answer = requests.get(url, params=query, timeout=5)
    else:
        answer = requests.post(url, json=payload, timeout=5)
    return answer.status_code, answer.json()


# -- binding ----------------------------------------------------------------------------------


def test_binds_to_loopback_only():
    with Simulator() as sim:
        assert sim.host == "127.0.0.1"
        assert sim._server.socket.getsockname()[0] == "127.0.0.1"
        assert sim.url == f"http://127.0.0.1:{sim.port}/"


def test_not_reachable_on_other_local_addresses():
    with Simulator() as sim:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent; picks the outward address
            address = probe.getsockname()[0]
        finally:
            probe.close()
        if address.startswith("127."):
            pytest.skip("no non-loopback address on this machine")
        with pytest.raises((ConnectionRefusedError, TimeoutError)):
            socket.create_connection((address, sim.port), timeout=1).close()


def test_start_twice_and_url_before_start_are_errors():
    sim = Simulator()
    with pytest.raises(RuntimeError):
        sim.url  # noqa: B018
    with sim, pytest.raises(RuntimeError):
        sim.start()
    sim.stop()  # stopping a stopped simulator is harmless


def test_gateway_answers_on_any_path_and_refuses_get(sim):
    cfg = settings.LETSADS
    with LetsAdsClient(cfg["LOGIN"], cfg["PASSWORD"], api_url=sim.url + "api") as on_path:
        assert on_path.balance().currency == "UAH"
    assert requests.get(sim.url, timeout=5).status_code == 405


# -- control API ------------------------------------------------------------------------------


def test_control_stats_and_log_hide_the_password(sim, client):
    client.send("Test", "Hello", [A])
    status, stats = control(sim, "stats")
    assert status == 200
    assert stats["messages"] == 1
    assert stats["by_kind"] == {"send": 1}
    assert stats["accounts"][settings.LETSADS["LOGIN"]]["balance"] == "999.50"
    status, log = control(sim, "log")
    (entry,) = log["entries"]
    assert entry["recipients"] == [A]
    assert entry["text"] == "Hello"
    assert entry["processed"] is True
    everything = requests.get(sim.control_url + "stats", timeout=5).text
    everything += requests.get(sim.control_url + "log", timeout=5).text
    assert settings.LETSADS["PASSWORD"] not in everything


def test_control_log_since(sim, client):
    client.balance()
    client.balance()
    client.balance()
    _, log = control(sim, "log", since=1, limit=1)
    assert [entry["seq"] for entry in log["entries"]] == [2]


@pytest.mark.letsads_simulator(speed=0)
def test_control_advance_moves_statuses(sim, client):
    (sms_id,) = client.send("Test", "Hi", [A])
    status, answer = control(sim, "advance", {"seconds": 3600})
    assert status == 200
    assert answer["clock"] == pytest.approx(3600)
    assert client.status(sms_id) == "MESSAGE_IS_DELIVERED"
    _, message = control(sim, "message", sms_id=sms_id)
    assert message["status"] == "MESSAGE_IS_DELIVERED"
    assert message["recipient"] == A
    control(sim, "status", {"sms_id": sms_id, "status": "MESSAGE_NOT_DELIVERED"})
    assert client.status(sms_id) == "MESSAGE_NOT_DELIVERED"


def test_control_speed(sim):
    _, answer = control(sim, "speed", {"speed": 60})
    assert answer["speed"] == 60
    assert sim.clock.speed == 60


def test_control_faults(sim, client):
    status, plan = control(sim, "faults", {"inject": {"kind": "http_502", "count": 1}})
    assert (status, plan["pending"]) == (200, 1)
    with pytest.raises(BadResponseError):
        client.balance()
    control(sim, "faults", {"rate": 1.0, "kinds": ["truncated"], "only": "status", "seed": 3})
    client.balance()
    with pytest.raises(BadResponseError):
        client.status(1)
    control(sim, "faults", {"clear": True})
    assert sim.faults.rate == 0
    status, answer = control(sim, "faults", {"inject": {"kind": "nonsense"}})
    assert status == 400
    assert "unknown fault kind" in answer["error"]


def test_control_balance_and_accounts(sim, client):
    control(sim, "balance", {"balance": "5.25"})
    assert client.balance().amount == Decimal("5.25")
    _, account = control(sim, "balance", {"add": "1.75"})
    assert account["balance"] == "7.00"
    _, account = control(
        sim,
        "account",
        {"login": "380990000001", "password": "x", "balance": "2", "senders": ["Shop"]},
    )
    assert account["senders"] == ["Shop"]
    assert "password" not in account
    with LetsAdsClient("380990000001", "x", api_url=sim.url) as other:
        assert other.send("Shop", "Hi", [A])
    status, _ = control(sim, "balance", {"login": "nobody", "add": "1"})
    assert status == 404


def test_control_down_for_a_while(sim, client):
    status, _ = control(sim, "down", {"seconds": 0.5})
    assert status == 200
    deadline = time.monotonic() + 2
    while not sim.is_down and time.monotonic() < deadline:
        pass
    with pytest.raises(GatewayUnreachableError):
        LetsAdsClient("x", "y", api_url=sim.url, connect_retries=0).balance()
    sim.up()
    assert client.balance()


def test_control_errors(sim):
    assert control(sim, "nothing")[0] == 404
    assert requests.post(sim.control_url + "advance", data=b"{", timeout=5).status_code == 400
    assert control(sim, "advance", {"seconds": -1})[0] == 400
    assert control(sim, "message", sms_id="1")[0] == 404


# -- pytest fixture ---------------------------------------------------------------------------


@pytest.mark.letsads_simulator(
    balance=Decimal("3"), senders={"Shop"}, speed=0, login="380993334455", password="pw"
)
def test_fixture_takes_options_from_the_marker(sim):
    cfg = settings.LETSADS
    assert (cfg["LOGIN"], cfg["PASSWORD"], cfg["API_URL"]) == ("380993334455", "pw", sim.url)
    assert sim.account("380993334455").balance == Decimal("3")
    assert sim.account("380993334455").senders == {"Shop"}
    assert sim.clock.speed == 0


def test_plugin_works_without_pytest_django(tmp_path):
    (tmp_path / "test_it.py").write_text(
        "from django_letsads.client import LetsAdsClient\n"
        "def test_it(letsads_simulator):\n"
        "    c = LetsAdsClient('380501234567', 'simulator-test-password',"
        " api_url=letsads_simulator.url)\n"
        "    assert c.balance().currency == 'UAH'\n"
    )
    installed = any(
        ep.value == "django_letsads.pytest_plugin" for ep in entry_points(group="pytest11")
    )
    load = [] if installed else ["-p", "django_letsads.pytest_plugin"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:django", "-p", "no:randomly", *load],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


# -- command line -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "django_letsads.simulator"],
        [sys.executable, "-m", "django", "letsads_simulator", "--settings=tests.settings"],
    ],
    ids=["python-m", "manage.py"],
)
def test_command_serves_until_terminated(command):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [*command, "--port", "0", "--balance", "12.5", "--speed", "60", "--password", "s3cr3t-xyz"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert match, line + process.stderr.read()
        stats = requests.get(match.group(1) + "_simulator/stats", timeout=5).json()
        (account,) = stats["accounts"].values()
        assert account["balance"] == "12.5"
        assert stats["speed"] == 60
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "s3cr3t-xyz" not in line + out + err


def test_command_rejects_unknown_fault_kinds():
    result = subprocess.run(
        [sys.executable, "-m", "django_letsads.simulator", "--faults", "explode"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown fault kind" in result.stderr


# -- scale ------------------------------------------------------------------------------------


def test_message_store_is_compact():
    gateway = Gateway(Clock(0).now)
    gateway.add_account(Account(login="1", password="p", balance=Decimal("1e9")))
    recipients = tuple(f"3806700{i:05d}" for i in range(50))
    request = ParsedRequest(
        "send", login="1", password="p", sender="Test", text="Hi", recipients=recipients
    )
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(2000):
        gateway.execute(request)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert gateway.message_count == 100_000
    # Arrays plus one shared log entry per request: well under 100 bytes per message.
    assert used / 100_000 < 100, used
    assert gateway.message(gateway.first_id + 99_999).recipient == recipients[-1]
