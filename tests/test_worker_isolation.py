"""One answer the database refuses must not spoil the answers written with it (issue 14, item 5).

The gateway repeating an id it gave before (or two answers sharing one) makes the unique index
on ``sms_id`` refuse the write. Only the messages of the offending answer may end ``unknown``;
the others keep their ids as ``queued``; nothing is sent again.
"""

from __future__ import annotations

import re
import socket
from itertools import count

import pytest

from django_letsads.dispatch import BatchResult, Outcome
from django_letsads.models import Message
from django_letsads.status import Status
from django_letsads.worker import SendWorker
from django_letsads.worker.claims import claim
from django_letsads.worker.isolation import SMS_ID_CONFLICT, write_answers
from tests.factories import make_outbox_messages, numbers
from tests.reliability import hostile
from tests.reliability.hostile import DECL, HostileServer, hostile_server

pytestmark = pytest.mark.django_db

TAKEN = 555


def accepted(recipients: list[str], ids: list[int]) -> BatchResult:
    return BatchResult(
        {r: Outcome(Status.QUEUED, sms_id=i) for r, i in zip(recipients, ids, strict=True)},
        requests=1,
    )


def test_a_repeated_id_makes_only_its_own_answer_unknown() -> None:
    Message.objects.create(recipient="380679999999", status=Status.QUEUED, sms_id=TAKEN)
    for i, number in enumerate(numbers(4)):
        make_outbox_messages([number], text=f"text {i}")
    claimed = claim(10, "tok")
    items = [
        ([m], accepted([m.recipient], [TAKEN if i == 2 else 1000 + i]), False)
        for i, m in enumerate(claimed)
    ]

    applied = write_answers("tok", items)

    assert (applied.queued, applied.unknown) == (3, 1)
    rows = dict(Message.objects.filter(id__in=[m.id for m in claimed]).values_list("id", "status"))
    assert [rows[m.id] for m in claimed] == [S.QUEUED, S.QUEUED, S.UNKNOWN, S.QUEUED]
    bad = Message.objects.get(id=claimed[2].id)
    assert (bad.error_code, bad.sms_id) == (SMS_ID_CONFLICT, None)
    assert list(
        Message.objects.filter(id__in=[claimed[i].id for i in (0, 1, 3)])
        .order_by("id")
        .values_list("sms_id", flat=True)
    ) == [1000, 1001, 1003]


def test_two_answers_sharing_an_id_keep_the_first_and_make_the_second_unknown() -> None:
    for i, number in enumerate(numbers(2)):
        make_outbox_messages([number], text=f"text {i}")
    first, second = claim(10, "tok")
    items = [
        ([first], accepted([first.recipient], [777]), False),
        ([second], accepted([second.recipient], [777]), False),
    ]

    applied = write_answers("tok", items)

    assert (applied.queued, applied.unknown) == (1, 1)
    assert Message.objects.get(id=first.id).sms_id == 777
    assert Message.objects.get(id=second.id).error_code == SMS_ID_CONFLICT


S = Status


def gateway_repeating(taken_for: str) -> hostile.Behaviour:
    """Answers each send with fresh ids, except that the first recipient of a text containing
    ``taken_for`` gets ``TAKEN``, an id the gateway gave before."""
    ids = count(10_000)

    def behave(conn: socket.socket, server: HostileServer) -> None:
        request = server.bodies[-1].decode()
        recipients = re.findall(r"<recipient>(\d+)</recipient>", request)
        given = [next(ids) for _ in recipients]
        if taken_for in request:
            given[0] = TAKEN
        body = (
            DECL
            + (
                "<response><name>Complete</name><description>queued</description>"
                + "".join(f"<sms_id>{i}</sms_id>" for i in given)
                + "</response>"
            ).encode()
        )
        # This server closes each connection after its answer, so it says so: otherwise a client
        # may reuse the connection before the close reaches it, and lose the next request.
        conn.sendall(hostile.head(Content_Length=len(body), Connection="close") + body)

    return behave


def test_the_worker_keeps_the_neighbours_of_an_answer_with_a_repeated_id(settings) -> None:
    Message.objects.create(recipient="380679999999", status=Status.QUEUED, sms_id=TAKEN)
    for i in range(4):
        make_outbox_messages(numbers(50, start=100 * i), text=f"text {i}")
    with hostile_server(gateway_repeating("text 2")) as server:
        settings.LETSADS = {**settings.LETSADS, "API_URL": server.url}
        report = SendWorker(concurrency=4).run_once()
        SendWorker(concurrency=4).run_once()  # nothing is sent again

    assert len(server.bodies) == 4
    assert report.counts["queued"] == 150
    assert report.counts["unknown"] == 50
    by_text = {
        text: set(Message.objects.filter(text=text).values_list("status", "error_code"))
        for text in (f"text {i}" for i in range(4))
    }
    assert by_text["text 2"] == {(S.UNKNOWN, SMS_ID_CONFLICT)}
    for text in ("text 0", "text 1", "text 3"):
        assert by_text[text] == {(S.QUEUED, "")}
    assert not Message.objects.filter(status=S.SENDING).exists()
