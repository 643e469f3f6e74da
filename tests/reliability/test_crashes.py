"""Workers killed with SIGKILL and the database restarted under a worker: no duplicate, no loss.

Both need PostgreSQL: two worker processes claim side by side with ``SKIP LOCKED``, and only the
local PostgreSQL server can be restarted by a test.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection

from django_letsads.models import Campaign
from django_letsads.status import Status
from django_letsads.worker import recover_expired_claims
from tests.factories import make_campaign, numbers, start_worker, worker_env
from tests.reliability.conftest import Figures, billed, duplicates, lost_messages, record, scaled

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

S = Status
LEASE = 5
PG_CLUSTER = ("15", "main")


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: two worker processes claim concurrently with SKIP LOCKED, and "
            "only the local PostgreSQL server can be restarted (run with LETSADS_TEST_DB=postgres)"
        )


def active(campaign: Campaign) -> bool:
    return campaign.messages.filter(status__in=(S.PENDING, S.SENDING)).exists()


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def sending_ids(campaign) -> set[int]:
    return set(campaign.messages.filter(status=S.SENDING).values_list("id", flat=True))


@pytest.mark.letsads_simulator(balance=Decimal(10**6))
def test_ten_sigkills_of_two_workers_lose_nothing_and_send_nothing_twice(
    letsads_simulator, settings
):
    sim = letsads_simulator
    size = scaled(20_000, minimum=1_000)
    requests = size // 50
    # Spread the campaign over ~12 s of requests so that ten kills land in the middle of it.
    latency = max(0.05, 12 * 4 / requests)
    sim.faults.set_latency(latency)
    campaign = make_campaign(numbers(size))
    env = worker_env(
        sim.url, settings.LETSADS["PASSWORD"], LETSADS_CLAIM_LEASE=str(LEASE), LETSADS_TIMEOUT="10"
    )
    args = ("--loop", "--interval", "0.2", "--concurrency", "2")
    rng = random.Random(20_000)
    workers = [start_worker("letsads_send", env, *args) for _ in range(2)]
    started = [time.monotonic()] * 2
    in_flight_at_kills: set[int] = set()
    kills = 0
    try:
        while kills < 10:
            # A random moment, but in a worker that is past Django's start-up and sending.
            seen = len(sim.log())
            wait_until(lambda: len(sim.log()) > seen, timeout=3)  # noqa: B023 - called at once
            time.sleep(rng.uniform(0, latency))
            ready = [i for i in range(2) if time.monotonic() - started[i] > 2.5] or [0, 1]
            victim = rng.choice(ready)
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].communicate(timeout=10)
            kills += 1
            # The dead worker's claims are all still ``sending`` now (the lease is far off).
            in_flight_at_kills |= sending_ids(campaign)
            workers[victim] = start_worker("letsads_send", env, *args)
            started[victim] = time.monotonic()
        # Restarted workers finish the campaign; the lease turns the dead workers' claims unknown.
        deadline = time.monotonic() + 120
        while active(campaign) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        outputs = [w.communicate(timeout=60)[0] for w in workers]
    for worker, output in zip(workers, outputs, strict=True):
        # A worker restarted just before the end may meet SIGTERM while Django is still starting
        # (before its handler is installed); it had not claimed anything then.
        assert worker.returncode == 0 or (worker.returncode == -signal.SIGTERM and not output), (
            output
        )
    recover_expired_claims(LEASE)  # in case the last round ended before a lease ran out

    rows = list(campaign.messages.values_list("id", "recipient", "status", "error_code"))
    statuses = Counter(status for _, _, status, _ in rows)
    counts = billed(sim)
    assert duplicates(counts) == 0
    assert set(statuses) <= {S.QUEUED, S.UNKNOWN}, statuses
    unknown = {pk for pk, _, status, _ in rows if status == S.UNKNOWN}
    # Only messages in flight at a kill may be unknown, and they say why.
    assert unknown <= in_flight_at_kills
    assert {code for _, _, status, code in rows if status == S.UNKNOWN} <= {"CLAIM_EXPIRED"}
    lost = lost_messages([(r, s) for _, r, s, _ in rows], counts)
    assert lost == []
    record(
        Figures(
            scenario="10 x SIGKILL, 2 workers (PostgreSQL)",
            recipients=size,
            requests=len(sim.log()),
            kills=kills,
            duplicates=duplicates(counts),
            lost=len(lost),
            unknown=len(unknown),
            extra={
                "claimed_at_kills": len(in_flight_at_kills),
                # The price of the safe rule: a dead worker cannot say which of its claims it had
                # sent, so all of them become unknown, including some the gateway never saw.
                "unknown_never_billed": sum(
                    1 for _, r, s, _ in rows if s == S.UNKNOWN and not counts.get(r)
                ),
            },
        )
    )


def _restart_postgres() -> None:
    version, name = PG_CLUSTER
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "restart"],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.skipif(
    bool(os.environ.get("LETSADS_SKIP_DB_RESTART")),
    reason="LETSADS_SKIP_DB_RESTART is set (the PostgreSQL server is shared)",
)
@pytest.mark.letsads_simulator(latency=0.3, balance=Decimal(10**6))
def test_database_restart_under_a_loop_worker_leaves_nothing_claimed_forever(
    letsads_simulator, settings
):
    sim = letsads_simulator
    size = scaled(5_000, minimum=1_000)
    campaign = make_campaign(numbers(size))
    env = worker_env(
        sim.url, settings.LETSADS["PASSWORD"], LETSADS_CLAIM_LEASE=str(LEASE), LETSADS_TIMEOUT="10"
    )
    args = ("--loop", "--interval", "0.2", "--concurrency", "2")
    worker = start_worker("letsads_send", env, *args)
    restarts = 0
    outputs = []
    try:
        deadline = time.monotonic() + 30
        while not sim.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sim.log(), "the worker never reached the gateway"
        time.sleep(0.5)
        connection.close()
        _restart_postgres()
        connection.close()  # this process's connection died with the server too
        # The worker either rides it out or exits non-zero; then it is simply started again.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if worker.poll() is not None:
                outputs.append(worker.communicate()[0])
                assert worker.returncode != 0 or not active(campaign), outputs[-1]
                restarts += 1
                worker = start_worker("letsads_send", env, *args)
            try:
                if not active(campaign):
                    break
            except Exception:  # the server is still starting
                connection.close()
            time.sleep(0.5)
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
        outputs.append(worker.communicate(timeout=60)[0])
    assert worker.returncode == 0, outputs
    # Nothing stays claimed forever: whatever a worker held across the restart the lease settles.
    time.sleep(LEASE)
    recover_expired_claims(LEASE)
    rows = list(campaign.messages.values_list("recipient", "status"))
    statuses = Counter(status for _, status in rows)
    counts = billed(sim)
    assert S.SENDING not in statuses
    assert S.PENDING not in statuses
    assert duplicates(counts) == 0
    lost = lost_messages(rows, counts)
    assert lost == []
    record(
        Figures(
            scenario="PostgreSQL restarted under --loop",
            recipients=size,
            requests=len(sim.log()),
            duplicates=duplicates(counts),
            lost=len(lost),
            unknown=statuses.get(S.UNKNOWN, 0),
            extra={"worker_restarts": restarts, "statuses": dict(statuses)},
        )
    )
