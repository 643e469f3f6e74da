"""Task mode with real task workers: ``django-tasks-db``'s ``db_worker`` processes, the simulator,
and no ``letsads_*`` command running. The worker processes use ``tests/settings_tasks.py``."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from django_letsads import campaigns
from django_letsads.models import Campaign, Message, TaskChain
from django_letsads.status import FINAL_STATUSES
from tests import settings_tasks
from tests.factories import make_campaign, numbers, start_worker, worker_env
from tests.reliability.conftest import lost_messages

pytest.importorskip("django_tasks_db", reason="needs the database task backend (django-tasks-db)")
from django_tasks_db.models import DBTaskResult

S = Message.Status
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.reliability]

# Slow answers keep a send round in flight long enough to kill its worker mid-way.
SIMULATOR = {"latency": 0.2, "sent_after": 0.2, "final_after": 0.5, "balance": Decimal("100000")}


@pytest.fixture
def task_mode(settings, letsads_simulator):
    """This process enqueues as the admin would; returns the environment of worker processes."""
    settings.TASKS = settings_tasks.TASKS
    task_keys = {
        k: v for k, v in settings_tasks.LETSADS.items() if k.startswith(("TASKS_", "USE_"))
    }
    settings.LETSADS = {**settings.LETSADS, **task_keys}
    return worker_env(
        letsads_simulator.url,
        settings.LETSADS["PASSWORD"],
        DJANGO_SETTINGS_MODULE="tests.settings_tasks",
        LETSADS_CLAIM_LEASE="5",
    )


def db_worker(env: dict[str, str], worker_id: str) -> subprocess.Popen[str]:
    return start_worker(
        "db_worker",
        env,
        "--queue-name",
        "sms",
        "--interval",
        "0.1",
        "--no-startup-delay",
        "--no-reload",
        "--worker-id",
        worker_id,
    )


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def settled(campaign: Campaign) -> bool:
    return not campaign.messages.exclude(status__in=[*FINAL_STATUSES, S.UNKNOWN]).exists()


def queued_tasks() -> Counter[str]:
    """Tasks waiting in the queue, by name; ``live_*`` counts those of the live chain of a kind."""
    live = dict(TaskChain.objects.exclude(chain="").values_list("kind", "link"))
    counts: Counter[str] = Counter()
    rows = DBTaskResult.objects.filter(status="READY").values_list("task_path", "args_kwargs")
    for path, args_kwargs in rows:
        name = path.rsplit(".", 1)[-1]
        counts[name] += 1
        kind = {"send_step": "send", "poll_step": "poll"}.get(name)
        if kind and live.get(kind) == (args_kwargs.get("args") or [None])[0]:
            counts[f"live_{name}"] += 1
    return counts


def running_send_worker() -> str | None:
    """The worker id running a send round right now, if any."""
    rows = DBTaskResult.objects.filter(status="RUNNING", task_path__endswith=".send_step")
    ids = [worker_ids[-1] for worker_ids in rows.values_list("worker_ids", flat=True) if worker_ids]
    return ids[0] if ids else None


def stop(workers: dict[str, subprocess.Popen[str]]) -> dict[str, str]:
    """Stop the workers; returns what each printed."""
    for process in workers.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    return {wid: process.communicate(timeout=60)[0] for wid, process in workers.items()}


def state_of(campaign: Campaign) -> str:
    """What to look at when a campaign did not settle."""
    statuses = Counter(campaign.messages.values_list("status", flat=True))
    chains = list(TaskChain.objects.values_list("kind", "chain", "next_at", "lease_until"))
    results = Counter(DBTaskResult.objects.values_list("task_path", "status"))
    return f"messages {dict(statuses)}; chains {chains}; tasks {dict(results)}"


def check_nothing_lost_or_sent_twice(campaign: Campaign, sim) -> tuple[Counter[str], set[str]]:
    billed = Counter(sim.sent_recipients())
    assert max(billed.values()) == 1
    rows = list(campaign.messages.values_list("recipient", "status"))
    assert lost_messages(rows, billed) == []
    unknown = {r for r, s in rows if s == S.UNKNOWN}
    assert set(billed) | unknown == {r for r, _ in rows}
    return billed, unknown


class Run:
    """Worker processes around one campaign, and the most tasks ever seen waiting at once."""

    def __init__(self, env: dict[str, str], worker_ids: list[str]) -> None:
        self.env = env
        self.workers = {wid: db_worker(env, wid) for wid in worker_ids}
        self.outputs: dict[str, str] = {}
        self.most_queued: Counter[str] = Counter()

    def kill_one_mid_round(self, campaign: Campaign) -> None:
        """SIGKILL the worker running a send round while its claims are in flight."""
        victim: list[str] = []

        def a_send_round_is_mid_way() -> bool:
            wid = running_send_worker()
            if wid and campaign.messages.filter(status=S.SENDING).exists():
                victim.append(wid)
                return True
            return False

        wait_for(a_send_round_is_mid_way, 60, "a send round in progress")
        process = self.workers.pop(victim[0])
        process.send_signal(signal.SIGKILL)
        self.outputs[victim[0]] = process.communicate(timeout=10)[0]

    def restart_all(self, new_ids: list[str]) -> None:
        """Stop every worker as a deployment would (SIGTERM), then start new ones."""
        self.outputs.update(stop(self.workers))
        self.workers = {wid: db_worker(self.env, wid) for wid in new_ids}

    def wait_until_settled(self, campaign: Campaign, timeout: float = 150) -> None:
        """Until every message is final or unknown and both chains ended with the work."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not (
            settled(campaign) and not TaskChain.objects.exclude(chain="").exists()
        ):
            self.most_queued |= queued_tasks()
            time.sleep(0.1)

    def stop(self) -> None:
        self.outputs.update(stop(self.workers))

    def report(self, campaign: Campaign) -> str:
        return f"{state_of(campaign)}\n" + "\n".join(
            f"--- {wid}\n{out[-3000:]}" for wid, out in self.outputs.items()
        )


def check_one_chain_of_each_kind(run: Run) -> None:
    """However many triggers, kills and restarts: one live chain of each kind, no fan-out.

    A link replaced by a wake, or a chain taken for dead, may leave its task in the queue; that
    task does nothing when it runs, and no chain grows from it: what counts is that the live
    chain of each kind never has more than one task waiting.
    """
    assert run.most_queued["live_send_step"] <= 1, run.most_queued
    assert run.most_queued["live_poll_step"] <= 1, run.most_queued
    assert run.most_queued["watch_chain"] <= 4, run.most_queued
    live = list(TaskChain.objects.exclude(chain="").values_list("kind", "lease_until"))
    assert live == [], "both chains end with the work"


@pytest.mark.postgres
@pytest.mark.letsads_simulator(**SIMULATOR)
def test_two_db_workers_take_a_campaign_to_delivered_through_a_kill_and_a_restart(
    letsads_simulator, task_mode
):
    if connection.vendor != "postgresql":
        pytest.skip("two task workers at once are proven on PostgreSQL")
    campaign = make_campaign(numbers(5000), state=Campaign.State.DRAFT)
    run = Run(task_mode, ["w1", "w2"])
    try:
        # What the admin's "Send campaign" calls; the chain starts when it commits.
        assert campaigns.start_campaign(campaign.pk).started
        run.kill_one_mid_round(campaign)
        letsads_simulator.faults.set_latency(0.01)  # slow answers were only there to aim the kill
        run.restart_all(["w3", "w4"])
        run.wait_until_settled(campaign)
    finally:
        run.stop()
    assert settled(campaign), run.report(campaign)

    billed, unknown = check_nothing_lost_or_sent_twice(campaign, letsads_simulator)
    # Only the killed round's claims are unknown; everything else was sent once and polled.
    assert 0 < len(unknown) <= settings_tasks.LETSADS["TASKS_ROUND_LIMIT"]
    final = campaign.messages.filter(status__in=[S.DELIVERED, S.UNDELIVERED]).count()
    assert final == len(set(billed) - unknown)
    check_one_chain_of_each_kind(run)


@pytest.mark.letsads_simulator(**SIMULATOR)
def test_one_db_worker_sends_and_polls_a_campaign_and_recovers_after_a_kill(
    letsads_simulator, task_mode
):
    campaign = make_campaign(numbers(1500), state=Campaign.State.DRAFT)
    run = Run(task_mode, ["only"])
    try:
        assert campaigns.start_campaign(campaign.pk).started
        run.kill_one_mid_round(campaign)
        letsads_simulator.faults.set_latency(0.01)
        run.restart_all(["restarted"])
        run.wait_until_settled(campaign)
    finally:
        run.stop()
    assert settled(campaign), run.report(campaign)

    billed, unknown = check_nothing_lost_or_sent_twice(campaign, letsads_simulator)
    assert 0 < len(unknown) <= settings_tasks.LETSADS["TASKS_ROUND_LIMIT"]
    final = campaign.messages.filter(status__in=[S.DELIVERED, S.UNDELIVERED]).count()
    assert final == len(set(billed) - unknown)
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.DONE
    check_one_chain_of_each_kind(run)
