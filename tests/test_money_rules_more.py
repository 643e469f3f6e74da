"""The money-rule gaps the mutation run left open (``docs/reliability.rst``), each closed by a test.

As in ``tests/test_money_rules.py``, every docstring names the mutation the test was seen to kill
(applied by hand, the test failed, the code was restored). They go through the worker and the
gateway simulator over real HTTP; the one answer the simulator never gives comes from a small
server on 127.0.0.1.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest

from django_letsads.gateway import client_from_settings
from django_letsads.models import Message
from django_letsads.signals import status_changed
from django_letsads.worker import SendWorker
from tests.factories import make_outbox_messages, numbers
from tests.servers import QuietHandler, loopback, url_of

S = Message.Status


def statuses(qs: Any = None) -> dict[str, int]:
    return dict(
        Counter((qs if qs is not None else Message.objects).values_list("status", flat=True))
    )


pytestmark = pytest.mark.usefixtures("no_proxy_from_the_machine")


# -- 1. The gateway names a number that is not in the request --------------------------------------


@contextmanager
def gateway_answering(body: bytes) -> Iterator[tuple[str, list[str]]]:
    """A loopback "gateway" answering every POST with ``body``: yields its URL and the bodies of
    the requests it got."""
    seen: list[str] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            seen.append(self.rfile.read(length).decode())
            self.answer(200, {"Content-Type": "text/xml"}, body)

    with loopback(Handler) as server:
        yield url_of(server), seen


STRANGER = "380999999999"
REFUSED_OVER_A_STRANGER = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<response><name>Error</name>'
    b"<description>INCORRECT_RECIPIENT_380999999999</description></response>"
)


@pytest.mark.django_db
def test_a_refusal_naming_a_number_not_in_the_request_fails_the_batch_once(settings):
    """``INCORRECT_RECIPIENT_<n>`` with an ``<n>`` the request did not hold: nothing was sent, but
    we cannot tell which recipient is meant, so the batch fails as a whole, after one request,
    and is never asked about again.

    Kills, in ``dispatch.send_batch``'s branch for such a number: the batch settled ``unknown``
    instead of ``failed``; the ``return`` after it dropped (the round would crash on the answer
    and leave the messages ``sending``, then ``unknown``)."""
    recipients = numbers(3)
    make_outbox_messages(recipients)
    with gateway_answering(REFUSED_OVER_A_STRANGER) as (url, seen):
        settings.LETSADS = {**settings.LETSADS, "API_URL": url}
        report = SendWorker(concurrency=1).run_once()
        SendWorker(concurrency=1).run_once()
        requests = list(seen)

    assert len(requests) == 1
    assert all(r in requests[0] for r in recipients)
    assert STRANGER not in requests[0]
    assert statuses() == {S.FAILED: 3}
    codes = set(Message.objects.values_list("error_code", flat=True))
    assert codes == {f"INCORRECT_RECIPIENT_{STRANGER}"}
    assert all(m.final_at is not None and m.error_message for m in Message.objects.all())
    assert (report.counts["requests"], report.counts["failed"]) == (1, 3)
    assert report.counts.get("crashed", 0) == 0


# -- 2. A crashed batch does not stop the answers that finished with it ----------------------------


class ScriptedClient:
    """The simulator's client, except that sending to ``crash_on`` raises (a bug, not a gateway
    answer) and sending to ``hold`` waits until ``go`` is set."""

    def __init__(self, crash_on: str, hold: set[str]) -> None:
        self.real = client_from_settings()
        self.crash_on = crash_on
        self.hold = hold
        self.go = threading.Event()
        self.started: set[str] = set()
        self.lock = threading.Lock()
        self.all_started = threading.Event()

    def send(self, sender: str, text: str, recipients: Sequence[str]) -> list[int]:
        with self.lock:
            self.started.update(recipients)
            if self.hold <= self.started:
                self.all_started.set()
        if set(recipients) & self.hold:
            assert self.go.wait(60)
        if self.crash_on in recipients:
            raise RuntimeError("a bug while sending")
        return self.real.send(sender, text, recipients)

    def close(self) -> None:
        self.real.close()


class ProgressFailed(Exception):
    pass


@pytest.mark.django_db
def test_answers_applied_after_a_crashed_batch_in_the_same_call_are_still_written(
    letsads_simulator,
):
    """Three batches in flight; the first answers, the progress callback then fails (the round
    ends with its error and drains what is in flight). The second batch crashes, the third is
    accepted by the gateway: both finish together and are applied in one call, the crash first.
    The third batch's ids must be written (it was billed), the crashed one stays ``sending``
    for the lease to judge.

    Kills: ``continue`` turned into ``break`` after a crashed batch in ``_Round._apply`` (the
    third batch's answer would be lost: ``sending``, then ``unknown`` after the lease, never
    resent though the gateway took it)."""
    first, crashing, accepted = numbers(3)
    for i, recipient in enumerate((first, crashing, accepted)):
        make_outbox_messages([recipient], text=f"Code {i}")  # one batch each, in this order
    client = ScriptedClient(crash_on=crashing, hold={crashing, accepted})
    calls = 0

    def on_progress(report: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:  # the first batch is written; the other two are running (never cancelled)
            assert client.all_started.wait(60)
            client.go.set()
            raise ProgressFailed

    worker = SendWorker(concurrency=3, client=client, on_progress=on_progress)  # type: ignore[arg-type]
    try:
        with pytest.raises(ProgressFailed):
            worker.run_once()
    finally:
        client.close()

    rows = dict(Message.objects.values_list("recipient", "status"))
    assert rows == {first: S.QUEUED, crashing: S.SENDING, accepted: S.QUEUED}
    assert Message.objects.get(recipient=accepted).sms_id is not None
    assert letsads_simulator.billed_count(accepted) == 1
    assert letsads_simulator.billed_count(crashing) == 0


# -- 3. An account error stops a round of messages without a campaign ------------------------------


@pytest.mark.django_db
@pytest.mark.letsads_simulator(balance=Decimal("0"))
def test_an_account_error_stops_claiming_for_messages_without_a_campaign(
    letsads_simulator, settings
):
    """No campaign to pause here: only the round's own stop keeps it from claiming and sending
    the rest, each request refused again.

    Kills: ``_Round._stop`` not stopping (``self.stopping = True`` → ``False``): the round would
    claim the last 10 messages too and send every batch, the gateway asked four times."""
    settings.LETSADS = {**settings.LETSADS, "CLAIM_SIZE": 10}
    make_outbox_messages(numbers(30))

    report = SendWorker(concurrency=1).run_once()

    assert report.stop_error is not None
    assert report.stop_error.code == "NOT_ENOUGH_MONEY"
    # Two claims of 10 filled the two places in flight; the second batch may have gone out.
    assert report.counts["claimed"] == 20
    assert 1 <= len(letsads_simulator.log()) <= 2
    assert report.counts["released"] == 20
    assert statuses() == {S.PENDING: 30}
    assert set(Message.objects.values_list("claim_token", flat=True)) == {""}


# -- 4. Releasing tells the project ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.letsads_simulator(balance=Decimal("0"))
def test_claims_released_after_an_account_error_send_status_changed(
    letsads_simulator, django_capture_on_commit_callbacks
):
    """Four texts make four batches; two are in flight when the first is refused, the other two
    (at least) are released unsent by ``claims.release``. Every message's return to ``pending``
    is signalled with the refusal's code.

    Kills: the ``notify`` of ``claims.release`` dropped, or given the wrong statuses or code."""
    recipients = numbers(20)
    for i in range(4):
        make_outbox_messages(recipients[i * 5 : i * 5 + 5], text=f"Code {i}")
    signalled: list[tuple[str, str, str, str]] = []

    def receiver(
        sender: Any, message: Message, old_status: str, new_status: str, code: str, **kwargs: Any
    ) -> None:
        signalled.append((message.recipient, old_status, new_status, code))

    status_changed.connect(receiver, sender=Message)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = SendWorker(concurrency=1).run_once()
    finally:
        status_changed.disconnect(receiver, sender=Message)

    assert report.counts["claimed"] == 20
    assert len(letsads_simulator.log()) <= 2  # so at least 10 were released unsent
    assert statuses() == {S.PENDING: 20}
    returned = Counter(
        r
        for r, old, new, code in signalled
        if (old, new, code) == (S.SENDING, S.PENDING, "NOT_ENOUGH_MONEY")
    )
    assert returned == Counter(recipients)
