"""Task mode: chains of send and poll rounds on a task queue, driven here task by task.

The dummy task backend keeps what is enqueued; :func:`run_next` runs the queued tasks in order,
as a task worker would. ``tests/test_task_workers.py`` proves the same with real workers.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connections
from django.utils import timezone
from django.utils.module_loading import import_string

from django_letsads import campaigns, send_sms, tasks
from django_letsads.models import Campaign, Message, TaskChain
from django_letsads.worker import SendWorker, claims
from django_letsads.worker.report import RoundReport
from tests.factories import failing_on_call, make_campaign, make_outbox_messages, numbers

S = Message.Status
pytestmark = pytest.mark.django_db

DUMMY = (
    "django.tasks.backends.dummy.DummyBackend"
    if tasks._tasks_module().__name__ == "django.tasks"
    else "django_tasks.backends.dummy.DummyBackend"
)


@pytest.fixture
def queue(settings, django_capture_on_commit_callbacks):
    """Task mode on the dummy backend; returns the backend, whose ``results`` is the queue."""
    settings.TASKS = {"default": {"BACKEND": DUMMY, "QUEUES": ["default", "sms"]}}
    settings.LETSADS = {
        **settings.LETSADS,
        "USE_TASKS": True,
        "TASKS_QUEUE": "sms",
        "TASKS_ROUND_LIMIT": 50,
    }
    backend = tasks._backend()
    backend.clear()
    return backend


def queued(backend) -> list[str]:
    return [r.task.name for r in backend.results]


def run_next(backend, name: str | None = None) -> Any:
    """Run the first queued task (of ``name``, if given), as a worker would; return its value."""
    result = next(r for r in backend.results if name is None or r.task.name == name)
    backend.results.remove(result)
    return result.task.call(*result.args, **result.kwargs)


def run_chain(backend, name: str, limit: int = 100) -> list[Any]:
    """Run the tasks of one chain (e.g. ``send_step``) until none of them is queued."""
    values = []
    while name in queued(backend):
        assert len(values) < limit, "the chain never ends"
        values.append(run_next(backend, name))
    return values


def start(campaign: Campaign, capture) -> None:
    with capture(execute=True):
        assert campaigns.start_campaign(campaign.pk).started


def test_starting_a_campaign_starts_one_chain_however_often_work_is_announced(
    queue, django_capture_on_commit_callbacks
):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    start(campaign, django_capture_on_commit_callbacks)
    tasks.enqueue_send()
    with django_capture_on_commit_callbacks(execute=True):
        make_outbox_messages(numbers(2, start=100))
        campaigns.resume_campaign(campaign.pk)

    assert queued(queue) == ["watch_chain", "send_step"]
    assert {r.task.queue_name for r in queue.results} == {"sms"}
    # The watchdog looks at the chain when its lease ends.
    watch = queue.results[0]
    assert watch.task.run_after is not None
    assert watch.task.run_after > timezone.now() + timedelta(seconds=290)


@pytest.mark.letsads_simulator(latency=0.0)
def test_a_chain_sends_everything_in_bounded_rounds_then_ends(
    queue, letsads_simulator, django_capture_on_commit_callbacks
):
    recipients = numbers(120)
    campaign = make_campaign(recipients, state=Campaign.State.DRAFT)
    start(campaign, django_capture_on_commit_callbacks)

    reports = run_chain(queue, "send_step")

    assert [r.get("claimed") for r in reports] == [50, 50, 20]
    assert Counter(letsads_simulator.sent_recipients()) == Counter(recipients)
    assert campaign.messages.filter(status=S.QUEUED).count() == 120
    assert TaskChain.objects.get(kind="send").chain == ""
    # Accepted messages started the poll chain.
    assert queued(queue).count("poll_step") == 1


@pytest.mark.letsads_simulator(latency=0.0)
def test_the_poll_chain_waits_for_the_earliest_due_poll_and_ends_when_all_are_final(
    queue, letsads_simulator, django_capture_on_commit_callbacks, settings
):
    settings.LETSADS = {**settings.LETSADS, "POLL_SCHEDULE": [600, 1200]}
    campaign = make_campaign(numbers(5), state=Campaign.State.DRAFT)
    start(campaign, django_capture_on_commit_callbacks)
    run_chain(queue, "send_step")

    assert run_next(queue, "poll_step") == {}  # nothing due yet
    step = next(r for r in queue.results if r.task.name == "poll_step")
    earliest = min(campaign.messages.values_list("next_poll_at", flat=True))
    assert step.task.run_after == earliest

    letsads_simulator.clock.advance(3600)
    with time_machine.travel(earliest + timedelta(seconds=1), tick=False):
        assert run_next(queue, "poll_step")["polled"] == 5
    assert "poll_step" not in queued(queue)
    assert TaskChain.objects.get(kind="poll").chain == ""
    assert not campaign.messages.exclude(status__in=[S.DELIVERED, S.UNDELIVERED]).exists()


@pytest.mark.letsads_simulator(latency=0.0)
def test_a_link_delivered_twice_by_the_queue_runs_once(
    queue, letsads_simulator, django_capture_on_commit_callbacks
):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    start(campaign, django_capture_on_commit_callbacks)
    step = next(r for r in queue.results if r.task.name == "send_step")

    assert step.task.call(*step.args)["claimed"] == 3
    assert step.task.call(*step.args) == {"stale": 1}


def test_a_task_of_a_replaced_chain_does_nothing(queue, django_capture_on_commit_callbacks):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    start(campaign, django_capture_on_commit_callbacks)

    assert tasks.send_step.call("f" * 32) == {"stale": 1}
    assert campaign.messages.filter(status=S.PENDING).count() == 3


@pytest.mark.letsads_simulator(latency=0.0)
def test_a_failed_round_is_retried_later_by_its_chain_and_sends_nothing_twice(
    queue, letsads_simulator, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.LETSADS = {**settings.LETSADS, "CLAIM_SIZE": 30, "TASKS_ROUND_LIMIT": 100}
    recipients = numbers(80)
    campaign = make_campaign(recipients, state=Campaign.State.DRAFT)
    start(campaign, django_capture_on_commit_callbacks)
    # The second claim of the round fails: the first 50 went out, the rest is still pending.
    monkeypatch.setattr(claims, "claim", failing_on_call(claims.claim, 2, DatabaseError("gone")))

    with pytest.raises(DatabaseError):
        run_next(queue, "send_step")

    retry = next(r for r in queue.results if r.task.name == "send_step")
    assert retry.args[1] == 1  # the attempt
    assert retry.task.run_after >= timezone.now() + timedelta(seconds=4)
    with time_machine.travel(retry.task.run_after + timedelta(seconds=1), tick=False):
        run_chain(queue, "send_step")
    assert Counter(letsads_simulator.sent_recipients()) == Counter(recipients)


@pytest.mark.letsads_simulator(latency=0.0, balance=Decimal("0"))
def test_an_account_error_defers_the_next_round_instead_of_hammering_the_gateway(
    queue, letsads_simulator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_outbox_messages(numbers(3))
        tasks.enqueue_send()

    run_next(queue, "send_step")

    assert [e.kind for e in letsads_simulator.log()] == ["send"]
    assert Message.objects.filter(status=S.PENDING).count() == 3
    retry = next(r for r in queue.results if r.task.name == "send_step")
    assert retry.args[1] == 1
    assert retry.task.run_after >= timezone.now() + timedelta(seconds=4)


def test_the_watchdog_replaces_a_chain_whose_worker_died(queue, django_capture_on_commit_callbacks):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    start(campaign, django_capture_on_commit_callbacks)
    lost_step = queue.results.pop(1)  # its worker was killed: the task never finishes
    assert lost_step.task.name == "send_step"
    old = TaskChain.objects.get(kind="send")

    with time_machine.travel(old.lease_until + timedelta(seconds=2), tick=False):
        assert run_next(queue, "watch_chain") == "restarted"
        new = TaskChain.objects.get(kind="send")
        assert new.chain not in ("", old.chain)
        assert queued(queue) == ["watch_chain", "send_step"]
        # The dead chain's task, should it ever run, finds its link gone.
        assert lost_step.task.call(*lost_step.args) == {"stale": 1}


class Killed(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs, no handler catches it."""


def test_a_process_killed_while_starting_a_chain_leaves_it_watched(queue, monkeypatch):
    make_outbox_messages(numbers(2))
    enqueue = tasks._enqueue

    def killed_at_the_first_step(task: Any, *args: Any, **kwargs: Any) -> None:
        if task.name == "send_step":
            raise Killed
        enqueue(task, *args, **kwargs)

    monkeypatch.setattr(tasks, "_enqueue", killed_at_the_first_step)
    with pytest.raises(Killed):
        tasks.enqueue_send()
    monkeypatch.setattr(tasks, "_enqueue", enqueue)
    chain = TaskChain.objects.get(kind="send")
    assert queued(queue) == ["watch_chain"]

    with time_machine.travel(chain.lease_until + timedelta(seconds=2), tick=False):
        assert run_next(queue, "watch_chain") == "restarted"
    assert queued(queue) == ["watch_chain", "send_step"]


def test_the_watchdog_of_a_live_chain_only_looks_again_later(
    queue, django_capture_on_commit_callbacks
):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    start(campaign, django_capture_on_commit_callbacks)
    chain = TaskChain.objects.get(kind="send")

    with time_machine.travel(chain.lease_until - timedelta(seconds=1), tick=False):
        assert run_next(queue, "watch_chain") == "alive"
    assert TaskChain.objects.get(kind="send").chain == chain.chain
    assert queued(queue) == ["send_step", "watch_chain"]
    again = queue.results[1]
    assert again.task.run_after > chain.lease_until


@pytest.mark.letsads_simulator(latency=0.0)
def test_work_announced_while_a_chain_runs_is_sent_by_that_chain(
    queue, letsads_simulator, django_capture_on_commit_callbacks
):
    first = make_campaign(numbers(3), state=Campaign.State.DRAFT, name="first")
    start(first, django_capture_on_commit_callbacks)
    second = make_campaign(numbers(4, start=50), state=Campaign.State.DRAFT, name="second")
    start(second, django_capture_on_commit_callbacks)  # the chain is live: nothing new is queued
    assert queued(queue) == ["watch_chain", "send_step"]

    run_chain(queue, "send_step")

    assert len(letsads_simulator.sent_recipients()) == 7


def test_a_scheduled_campaign_wakes_the_chain_at_its_start_time(
    queue, django_capture_on_commit_callbacks
):
    when = timezone.now() + timedelta(hours=3)
    campaign = make_campaign(numbers(3), state=Campaign.State.SCHEDULED)
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=when)
    tasks.enqueue_send()

    run_next(queue, "send_step")

    step = next(r for r in queue.results if r.task.name == "send_step")
    assert step.task.run_after == when


class NoDeferBackend(import_string(DUMMY)):  # type: ignore[misc]
    """A queue that cannot hold a task for later (``run_after``)."""

    supports_defer = False


def test_without_deferred_tasks_each_trigger_enqueues_one_plain_round(
    settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": f"{__name__}.NoDeferBackend"}}
    settings.LETSADS = {**settings.LETSADS, "USE_TASKS": True}
    backend = tasks._backend()
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)

    start(campaign, django_capture_on_commit_callbacks)
    tasks.enqueue_poll()

    assert queued(backend) == ["send_round", "poll_round"]
    assert not TaskChain.objects.exists()


def test_nothing_is_enqueued_unless_task_mode_is_on(
    queue, settings, django_capture_on_commit_callbacks
):
    settings.LETSADS = {**settings.LETSADS, "USE_TASKS": False}
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    start(campaign, django_capture_on_commit_callbacks)
    tasks.enqueue_send()
    tasks.enqueue_poll()

    assert queue.results == []
    assert not TaskChain.objects.exists()


@pytest.mark.parametrize(
    ("tasks_setting", "letsads", "fragment"),
    [
        ({"default": {"BACKEND": DUMMY}}, {"TASKS_BACKEND": "other"}, "other"),
        ({"default": {"BACKEND": DUMMY, "QUEUES": ["default"]}}, {"TASKS_QUEUE": "sms"}, "sms"),
        ({"default": {"BACKEND": DUMMY}}, {"TASKS_PRIORITY": 1000}, "priority"),
    ],
)
def test_a_task_mode_that_cannot_enqueue_is_a_check_error(
    settings, tasks_setting, letsads, fragment
):
    from django_letsads.checks import check_task_mode

    settings.TASKS = tasks_setting
    settings.LETSADS = {**settings.LETSADS, "USE_TASKS": True, **letsads}
    errors = check_task_mode()
    assert [e.id for e in errors] == ["django_letsads.E090"]
    assert fragment in errors[0].msg

    settings.LETSADS = {**settings.LETSADS, "USE_TASKS": False}
    assert check_task_mode() == []


def test_sendable_messages_the_last_round_could_not_take_wait_the_idle_delay():
    from django_letsads import chains

    make_outbox_messages(numbers(1))
    now = timezone.now()
    assert chains.next_send_due(now=now, idle=False, idle_delay=10, claim_lease=600) == now
    later = chains.next_send_due(now=now, idle=True, idle_delay=10, claim_lease=600)
    assert later == now + timedelta(seconds=10)


def test_a_claim_left_by_a_dead_worker_wakes_the_chain_when_it_can_be_recovered():
    from django_letsads import chains

    [message] = make_outbox_messages(numbers(1))
    claimed_at = timezone.now() - timedelta(seconds=100)
    Message.objects.filter(pk=message.pk).update(status=S.SENDING, claimed_at=claimed_at)
    due = chains.next_send_due(now=timezone.now(), idle=True, idle_delay=10, claim_lease=600)
    assert due == claimed_at + timedelta(seconds=600)


def test_work_is_announced_after_commit_and_never_for_a_rolled_back_start(
    django_capture_on_commit_callbacks,
):
    from django.db import transaction

    from django_letsads.signals import work_queued

    heard: list[tuple[type, str]] = []

    def receiver(sender: type, kind: str, **kwargs: Any) -> None:
        heard.append((sender, kind))

    work_queued.connect(receiver)
    try:
        campaign = make_campaign(numbers(2), state=Campaign.State.DRAFT)

        def start_then_fail() -> None:
            with transaction.atomic():
                campaigns.start_campaign(campaign.pk)
                raise RuntimeError("the caller's transaction fails")

        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
            start_then_fail()
        assert heard == []

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            campaigns.start_campaign(campaign.pk)
            assert heard == []  # not before the commit
        assert len(callbacks) == 1
        assert heard == [(Campaign, "send")]
    finally:
        work_queued.disconnect(receiver)


@pytest.mark.django_db(transaction=True)
def test_a_round_that_outlasts_the_lease_keeps_its_chain_alive(settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": DUMMY}}
    settings.LETSADS = {**settings.LETSADS, "USE_TASKS": True, "TASKS_LEASE": 1.0}
    make_outbox_messages(numbers(1))
    tasks.enqueue_send()
    link = TaskChain.objects.get(kind="send").link
    in_round = threading.Event()

    def slow_round(self: SendWorker) -> RoundReport:
        in_round.set()
        time.sleep(2.5)  # two and a half leases
        return RoundReport()

    monkeypatch.setattr(SendWorker, "run_once", slow_round)

    def run_step() -> None:
        try:
            tasks.send_step.call(link)
        finally:
            connections.close_all()  # this thread's connection

    step = threading.Thread(target=run_step)
    step.start()
    try:
        assert in_round.wait(10)
        time.sleep(2.0)
        # Without renewal the lease would have run out a second ago, and the watchdog would
        # replace a chain that is only slow.
        assert TaskChain.objects.get(kind="send").lease_until > timezone.now()
    finally:
        step.join()


@pytest.mark.letsads_simulator(latency=0.0)
def test_a_scheduled_campaign_starts_on_time_with_no_command_running(
    queue, letsads_simulator, django_capture_on_commit_callbacks
):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    when = timezone.now() + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.schedule_campaign(campaign.pk, when)

    run_next(queue, "send_step")  # too early: it only defers the chain
    assert letsads_simulator.sent_recipients() == []
    step = next(r for r in queue.results if r.task.name == "send_step")
    assert step.task.run_after == when

    with time_machine.travel(when + timedelta(seconds=1), tick=False):
        run_chain(queue, "send_step")
    assert sorted(letsads_simulator.sent_recipients()) == numbers(3)
    assert Campaign.objects.get(pk=campaign.pk).state in (
        Campaign.State.SENDING,
        Campaign.State.DONE,
    )


@pytest.mark.letsads_simulator(latency=0.0)
@pytest.mark.letsads_simulator(latency=0.0)
def test_a_one_time_code_wakes_a_chain_that_waits_for_a_scheduled_campaign(
    queue, letsads_simulator, django_capture_on_commit_callbacks, settings
):
    settings.SMS_BACKEND = "django_letsads.backends.outbox.SmsBackend"
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.schedule_campaign(campaign.pk, timezone.now() + timedelta(hours=2))
    run_next(queue, "send_step")  # the chain now waits two hours
    deferred = next(r for r in queue.results if r.task.name == "send_step")

    with django_capture_on_commit_callbacks(execute=True):
        send_sms("Your code is 1234", ["+380 67 000 00 01"])

    [woken] = [r for r in queue.results if r.task.name == "send_step" and r is not deferred]
    assert woken.task.run_after is None  # now, not in two hours
    queue.results.remove(woken)
    woken.task.call(*woken.args)
    assert letsads_simulator.sent_recipients() == ["380670000001"]
    # The link that waited for the campaign was replaced: when its time comes it does nothing,
    # and the woken chain has queued its own link for the campaign's start.
    assert deferred.task.call(*deferred.args) == {"stale": 1}
    assert queued(queue).count("send_step") == 2


def test_in_quiet_hours_the_chain_waits_instead_of_spinning(
    queue, letsads_simulator, django_capture_on_commit_callbacks, settings
):
    settings.LETSADS = {
        **settings.LETSADS,
        "QUIET_HOURS": ("21:00", "09:00"),
        "TIME_ZONE": "Europe/Kyiv",
        "TASKS_IDLE_DELAY": 30,
    }
    night = timezone.datetime(2026, 12, 2, 23, 0, tzinfo=timezone.get_fixed_timezone(120))
    with time_machine.travel(night, tick=False):
        campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
        start(campaign, django_capture_on_commit_callbacks)
        run_next(queue, "send_step")
        step = next(r for r in queue.results if r.task.name == "send_step")
        assert step.task.run_after == night + timedelta(seconds=30)
    assert letsads_simulator.sent_recipients() == []
