"""How the send worker gathers answers into writes: a pool's worth at a time, never held long.

Each write is a transaction with fixed costs in the database server (planning, the commit);
writing whatever had finished, one to three batches at 8 in flight, cost about an eighth of the
CPU per sent message (``docs/benchmarks.rst``, round five). These tests watch the writes through
``claims.apply_results``, which every write of a round goes through.
"""

from __future__ import annotations

import pytest

from django_letsads.models import Message
from django_letsads.worker import SendWorker, sending
from django_letsads.worker import claims as claims_module
from tests.factories import make_campaign, numbers

S = Message.Status


@pytest.fixture
def batches_per_write(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many batches each write of the round carried, in order."""
    sizes: list[int] = []
    real_apply = claims_module.apply_results

    def recording_apply(token, items, **kwargs):
        sizes.append(len(items))
        return real_apply(token, items, **kwargs)

    monkeypatch.setattr(claims_module, "apply_results", recording_apply)
    return sizes


@pytest.mark.django_db
@pytest.mark.letsads_simulator(latency=0.02)
def test_answers_are_written_a_pool_at_a_time(letsads_simulator, monkeypatch, batches_per_write):
    monkeypatch.setattr(sending, "WRITE_DELAY", 60.0)  # only the count decides here
    make_campaign(numbers(2000))  # 40 batches of 50

    report = SendWorker(concurrency=4).run_once()

    assert report.counts["queued"] == 2000
    assert Message.objects.filter(status=S.QUEUED).count() == 2000
    assert sum(batches_per_write) == 40
    # Every write but the round's last carries at least a pool's worth (4 batches); more when
    # several finished while the coordinator was elsewhere.
    assert all(size >= 4 for size in batches_per_write[:-1]), batches_per_write
    assert len(batches_per_write) <= 10


@pytest.mark.django_db
@pytest.mark.letsads_simulator(latency=0.0)
def test_an_answer_waits_at_most_the_write_delay_for_others(
    letsads_simulator, monkeypatch, settings, batches_per_write
):
    # Five requests a second, eight threads: the pool never has eight answers at once, so only
    # the delay makes answers written before the round ends.
    settings.LETSADS = {**settings.LETSADS, "RATE_LIMIT": 5}
    monkeypatch.setattr(sending, "WRITE_DELAY", 0.05)
    make_campaign(numbers(250))  # 5 batches, about 0.2 s apart

    report = SendWorker(concurrency=8).run_once()

    assert report.counts["queued"] == 250
    assert sum(batches_per_write) == 5
    # Without the delay the count (8) is never reached and the round's end writes all five.
    assert len(batches_per_write) >= 3, batches_per_write
    assert batches_per_write[0] <= 2, batches_per_write
