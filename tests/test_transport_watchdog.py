"""The deadline watchdog of ``django_letsads.transport``: finished calls cost it no wake-up each."""

from __future__ import annotations

import time
from types import SimpleNamespace

from django_letsads import transport


def test_finished_calls_leave_the_watchdog_together_without_a_wake_up_each():
    # A worker finishes thousands of calls a minute, each long before its deadline: waking at
    # every one of those deadlines only to drop it was CPU per request for nothing.
    watchdog = transport._Watchdog()
    finished = [transport.Call(60) for _ in range(100)]
    for call in finished:
        watchdog.watch(call)
        watchdog.forget(call)
    late = transport.Call(0.05)
    watchdog.watch(late)
    transport.attach(late, SimpleNamespace(sock=None))

    give_up = time.monotonic() + 5
    while (watchdog._heap or not late.expired) and time.monotonic() < give_up:
        time.sleep(0.01)
    assert late.expired  # the call still running at its deadline is expired as before
    assert watchdog._heap == []  # and the finished ones went with it, 60 s early
