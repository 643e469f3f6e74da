"""Hostile or broken gateway answers, served by a tiny HTTP server inside the test.

Each must raise a clear ``LetsAdsError`` subclass from the client, and, run through the worker,
must never leave a message marked as accepted, sent or delivered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from django_letsads.client import LetsAdsClient
from django_letsads.exceptions import BadResponseError, LetsAdsError, TransportError
from django_letsads.models import Message
from django_letsads.status import Status
from django_letsads.worker import PollWorker, SendWorker
from tests.factories import make_outbox_messages, numbers

pytestmark = pytest.mark.reliability

S = Status
PASSWORD = "hostile-test-password"
DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'

BILLION_LAUGHS = DECL + (
    b'<!DOCTYPE response [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
    b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    b"<response><name>Complete</name><description>&d;</description><sms_id>1</sms_id>"
    b"<sms_id>2</sms_id></response>"
)
EXTERNAL_ENTITY = DECL + (
    b'<!DOCTYPE response [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<response><name>Complete</name><description>&x;</description><sms_id>1</sms_id>"
    b"<sms_id>2</sms_id></response>"
)
HTML = b"<html><head><title>Maintenance</title></head><body><p>Back soon<br></body></html>"


def complete(*ids: str) -> bytes:
    body = "".join(f"<sms_id>{i}</sms_id>" for i in ids)
    return (
        DECL
        + (
            f"<response><name>Complete</name><description>put into queue</description>{body}"
            "</response>"
        ).encode()
    )


#: name → (answer body to a send of two recipients, expected code)
SEND_ANSWERS = {
    "entity expansion": (BILLION_LAUGHS, "HOSTILE_XML"),
    "external entity": (EXTERNAL_ENTITY, "HOSTILE_XML"),
    "html page": (HTML, "MALFORMED_XML"),
    "empty body": (b"", "EMPTY_RESPONSE"),
    "wrong root": (DECL + b"<answer><name>Complete</name></answer>", "WRONG_ROOT"),
    "no name": (DECL + b"<response><description>x</description></response>", "NO_NAME"),
    "missing ids": (complete(), "ID_COUNT_MISMATCH"),
    "fewer ids": (complete("101"), "ID_COUNT_MISMATCH"),
    "more ids": (complete("101", "102", "103"), "ID_COUNT_MISMATCH"),
    "non-numeric ids": (complete("101", "abc"), "BAD_SMS_ID"),
    "zero id": (complete("101", "0"), "BAD_SMS_ID"),
    "status answer to a send": (
        DECL
        + b"<response><name>Status</name><description>MESSAGE_IS_SENT</description></response>",
        "UNEXPECTED_ANSWER",
    ),
    "cut-off xml": (complete("101", "102")[:60], "MALFORMED_XML"),
}
UNKNOWN_STATUS = DECL + (
    b"<response><name> Status</name><description>MESSAGE_TELEPORTED</description></response>"
)


class Hostile:
    """A gateway that answers every POST with ``body`` (and counts the requests)."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        self.requests = 0
        hostile = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hostile.requests += 1
                self.send_response(hostile.status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(hostile.body)))
                self.end_headers()
                self.wfile.write(hostile.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    server = Hostile()
    yield server
    server.close()


@pytest.fixture
def hostile_settings(hostile, settings):
    settings.LETSADS = {
        **settings.LETSADS,
        "API_URL": hostile.url,
        "PASSWORD": PASSWORD,
        "TIMEOUT": 2,
        "POLL_SCHEDULE": [600, 10800],
    }
    return settings


@pytest.mark.parametrize("case", list(SEND_ANSWERS))
def test_client_refuses_a_hostile_send_answer_with_a_clear_error(hostile, case):
    hostile.body, code = SEND_ANSWERS[case]
    client = LetsAdsClient("380501234567", PASSWORD, api_url=hostile.url, timeout=2)

    with pytest.raises(BadResponseError) as info:
        client.send("Test", "Hello", ["380501111111", "380502222222"])

    error = info.value
    assert isinstance(error, TransportError)
    assert isinstance(error, LetsAdsError)
    assert error.code == code
    # The gateway may have queued the texts: the caller must treat them as unknown.
    assert error.maybe_sent
    assert PASSWORD not in str(error)
    assert PASSWORD not in repr(error)
    assert "root:" not in str(error)  # the external entity was never resolved


def test_client_refuses_a_status_it_does_not_know(hostile):
    hostile.body = UNKNOWN_STATUS
    client = LetsAdsClient("380501234567", PASSWORD, api_url=hostile.url, timeout=2)

    with pytest.raises(BadResponseError) as info:
        client.status(101)

    assert info.value.code == "UNKNOWN_STATUS"
    assert "MESSAGE_TELEPORTED" in str(info.value)


def test_client_refuses_a_non_200_answer_even_with_a_valid_body(hostile):
    hostile.body, hostile.status = complete("101", "102"), 500
    client = LetsAdsClient("380501234567", PASSWORD, api_url=hostile.url, timeout=2)

    with pytest.raises(BadResponseError) as info:
        client.send("Test", "Hello", ["380501111111", "380502222222"])

    assert info.value.code == "HTTP_500"


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(SEND_ANSWERS))
def test_worker_marks_nothing_sent_on_a_hostile_send_answer(hostile, hostile_settings, case):
    hostile.body, code = SEND_ANSWERS[case]
    make_outbox_messages(numbers(2))

    SendWorker(concurrency=1).run_once()
    SendWorker(concurrency=1).run_once()  # a second round must not send them again

    rows = list(Message.objects.values_list("status", "error_code", "sms_id"))
    assert rows == [(S.UNKNOWN, code, None)] * 2
    assert hostile.requests == 1


@pytest.mark.django_db
def test_poller_never_marks_delivered_on_an_unknown_status_code(hostile, hostile_settings):
    hostile.body = UNKNOWN_STATUS
    make_outbox_messages(numbers(2))
    Message.objects.update(
        status=S.QUEUED, sms_id=None, next_poll_at=timezone.now() - timedelta(seconds=1)
    )
    for pk in Message.objects.values_list("id", flat=True):
        Message.objects.filter(id=pk).update(sms_id=1000 + pk)

    report = PollWorker(concurrency=1).run_once()

    assert report.counts["poll_errors"] == 2
    rows = list(Message.objects.values_list("status", "error_code", "poll_count", "final_at"))
    assert rows == [(S.QUEUED, "UNKNOWN_STATUS", 0, None)] * 2
    now = timezone.now()
    assert all(m.next_poll_at is not None and m.next_poll_at > now for m in Message.objects.all())
