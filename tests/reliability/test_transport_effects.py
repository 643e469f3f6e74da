"""What a gateway that breaks after the headers did to the rest of the app, and does now.

Before, ``requests`` exceptions left the client raw: ``letsads_balance`` printed a traceback, the
admin campaign list answered 500, ``letsads_send`` reported the batch as crashed (its messages
``unknown`` only after the lease, with ``CLAIM_EXPIRED``), and the poller's round died.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from django_letsads.admin.balance import forget_balance
from django_letsads.models import Message
from django_letsads.status import Status
from django_letsads.worker import PollWorker, SendWorker
from tests.factories import make_outbox_messages, numbers
from tests.reliability import hostile
from tests.reliability.hostile import hostile_server

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]


@pytest.fixture
def cut_short_gateway(settings):
    with hostile_server(hostile.cut_short) as server:
        settings.LETSADS = {**settings.LETSADS, "API_URL": server.url, "TIMEOUT": 3}
        settings.SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
        forget_balance()
        yield server
    forget_balance()


def test_letsads_balance_reports_a_broken_answer_as_a_command_error(cut_short_gateway) -> None:
    with pytest.raises(CommandError, match="CONNECTION_LOST"):
        call_command("letsads_balance")


def test_the_admin_campaign_list_still_answers_when_the_balance_answer_breaks(
    cut_short_gateway,
) -> None:
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    response = client.get(reverse("admin:django_letsads_campaign_changelist"))
    assert response.status_code == 200
    assert len(cut_short_gateway.bodies) == 1


def test_a_broken_send_answer_makes_its_messages_unknown_at_once_with_the_cause(
    cut_short_gateway,
) -> None:
    make_outbox_messages(numbers(3))
    report = SendWorker(concurrency=1).run_once()
    assert report.counts.get("crashed", 0) == 0
    assert set(Message.objects.values_list("status", "error_code")) == {
        (Status.UNKNOWN, "CONNECTION_LOST")
    }
    SendWorker(concurrency=1).run_once()
    assert len(cut_short_gateway.bodies) == 1  # never sent again


def test_a_broken_status_answer_is_retried_later_and_the_poller_goes_on(cut_short_gateway) -> None:
    make_outbox_messages(numbers(2))
    for i, pk in enumerate(Message.objects.values_list("id", flat=True)):
        Message.objects.filter(id=pk).update(
            status=Status.QUEUED, sms_id=5000 + i, next_poll_at=timezone.now() - timedelta(1)
        )
    report = PollWorker(concurrency=1).run_once()
    assert report.counts["poll_errors"] == 2
    assert set(Message.objects.values_list("status", flat=True)) == {Status.QUEUED}
    assert all(m.next_poll_at > timezone.now() for m in Message.objects.all())
