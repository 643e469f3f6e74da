"""The outbox worker against the simulator over real HTTP: sending, results, recovery, polling."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_letsads.campaigns import poll_now, resume_campaign
from django_letsads.models import Campaign, Message, StatusEvent
from django_letsads.worker import PollWorker, SendWorker
from django_letsads.worker import claims as claims_module
from django_letsads.worker.batches import make_batches
from django_letsads.worker.claims import Claimed, claim
from tests.factories import make_campaign, make_outbox_messages, numbers

S = Message.Status
pytestmark = pytest.mark.django_db


def statuses(campaign: Campaign | None = None) -> dict[str, int]:
    qs = Message.objects.all() if campaign is None else campaign.messages.all()
    counts: dict[str, int] = {}
    for status in qs.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_campaign_goes_from_pending_to_delivered_with_every_event(letsads_simulator):
    recipients = numbers(1000)
    campaign = make_campaign(recipients)

    call_command("letsads_send", "--concurrency", "4")

    assert statuses(campaign) == {S.QUEUED: 1000}
    assert sorted(letsads_simulator.sent_recipients()) == sorted(recipients)
    assert len(letsads_simulator.sends()) == 20  # 50 recipients a request
    ids = list(campaign.messages.values_list("sms_id", flat=True))
    assert None not in ids
    assert len(set(ids)) == 1000
    # The text went out exactly, special characters included.
    assert {e.text for e in letsads_simulator.sends()} == {campaign.text}

    letsads_simulator.advance(3600)
    poll_now(campaign.messages.all())
    call_command("letsads_poll", "--concurrency", "8")

    counts = statuses(campaign)
    assert counts[S.DELIVERED] + counts[S.UNDELIVERED] == 1000
    assert counts[S.UNDELIVERED] == 100  # the simulator fails numbers ending 00-09
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DONE
    message = campaign.messages.filter(status=S.DELIVERED).first()
    assert message is not None
    assert message.gateway_status == "MESSAGE_IS_DELIVERED"
    history = list(message.events.values_list("old_status", "new_status"))
    assert history == [(S.PENDING, S.SENDING), (S.SENDING, S.QUEUED), (S.QUEUED, S.DELIVERED)]
    assert StatusEvent.objects.count() == 3000


def test_outbox_messages_without_campaign_are_sent_and_drafts_are_not(letsads_simulator):
    make_outbox_messages(["380671112233", "380671112244"])
    draft = make_campaign(numbers(3), state=Campaign.State.DRAFT)

    report = SendWorker().run_once()

    assert report.counts["queued"] == 2
    assert statuses(draft) == {S.PENDING: 3}
    assert sorted(letsads_simulator.sent_recipients()) == ["380671112233", "380671112244"]


def test_two_messages_to_one_number_are_two_requests_not_one_merged(letsads_simulator):
    make_outbox_messages(["380671112233", "380671112233"])

    SendWorker().run_once()

    assert statuses() == {S.QUEUED: 2}
    assert letsads_simulator.billed_count("380671112233") == 2
    assert len(set(Message.objects.values_list("sms_id", flat=True))) == 2


def test_incorrect_recipient_fails_alone_and_the_rest_is_sent_once(letsads_simulator):
    recipients = numbers(120)
    letsads_simulator.add_bad_recipients(recipients[7], recipients[60])
    campaign = make_campaign(recipients)

    SendWorker().run_once()

    failed = dict(campaign.messages.filter(status=S.FAILED).values_list("recipient", "error_code"))
    assert failed == {
        recipients[7]: f"INCORRECT_RECIPIENT_{recipients[7]}",
        recipients[60]: f"INCORRECT_RECIPIENT_{recipients[60]}",
    }
    assert statuses(campaign) == {S.QUEUED: 118, S.FAILED: 2}
    sent = letsads_simulator.sent_recipients()
    assert len(sent) == len(set(sent)) == 118


@pytest.mark.letsads_simulator(balance=Decimal("30"), price=Decimal("0.5"))
def test_not_enough_money_pauses_the_campaign_and_resume_completes_without_duplicates(
    letsads_simulator, settings
):
    campaign = make_campaign(numbers(200), text="Short text")

    with pytest.raises(CommandError, match="NOT_ENOUGH_MONEY"):
        call_command("letsads_send", "--concurrency", "1")

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert "NOT_ENOUGH_MONEY" in campaign.pause_reason
    counts = statuses(campaign)
    assert counts[S.QUEUED] == 50  # 30 UAH pays for one request of 50 at 0.50
    assert counts[S.PENDING] == 150
    assert S.UNKNOWN not in counts
    assert S.FAILED not in counts

    letsads_simulator.top_up(settings.LETSADS["LOGIN"], Decimal("1000"))
    assert resume_campaign(campaign.pk)
    call_command("letsads_send")

    assert statuses(campaign) == {S.QUEUED: 200}
    sent = letsads_simulator.sent_recipients()
    assert len(sent) == len(set(sent)) == 200


def test_wrong_password_releases_everything_and_stops(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "PASSWORD": "wrong"}
    make_outbox_messages(numbers(10))

    with pytest.raises(CommandError, match="AUTH_DATA"):
        call_command("letsads_send")

    assert statuses() == {S.PENDING: 10}
    assert letsads_simulator.sent_recipients() == []
    assert "wrong" not in str(list(Message.objects.values_list("error_message", flat=True)))


def test_gateway_down_leaves_messages_pending_not_unknown(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "CONNECT_RETRIES": 0}
    make_outbox_messages(numbers(120))
    letsads_simulator.down()

    report = SendWorker(concurrency=2).run_once()

    assert report.backoff
    assert statuses() == {S.PENDING: 120}
    letsads_simulator.up()
    SendWorker().run_once()
    assert statuses() == {S.QUEUED: 120}
    sent = letsads_simulator.sent_recipients()
    assert len(sent) == len(set(sent)) == 120


@pytest.mark.parametrize("fault", ["timeout", "drop", "truncated", "http_502"])
def test_an_ambiguous_fault_makes_its_batch_unknown_and_it_is_never_resent(
    letsads_simulator, settings, fault
):
    settings.LETSADS = {**settings.LETSADS, "TIMEOUT": 1}
    campaign = make_campaign(numbers(150))
    letsads_simulator.inject(fault, 1, only="send")

    SendWorker(concurrency=1).run_once()
    SendWorker(concurrency=1).run_once()  # a second run must not touch the unknown ones

    counts = statuses(campaign)
    assert counts == {S.QUEUED: 100, S.UNKNOWN: 50}
    unknown = campaign.messages.filter(status=S.UNKNOWN)
    assert all(m.error_code for m in unknown)
    # The gateway did process the faulty request (that is what makes it ambiguous) ...
    sent = letsads_simulator.sent_recipients()
    assert len(sent) == len(set(sent)) == 150
    # ... and nobody was sent twice.


def test_a_claim_older_than_the_lease_becomes_unknown_and_is_not_sent(letsads_simulator):
    make_outbox_messages(numbers(3))
    stale = claim(3, "dead-worker")
    assert len(stale) == 3
    Message.objects.update(claimed_at=timezone.now() - timedelta(hours=1))

    report = SendWorker().run_once()

    assert report.counts["expired_claims"] == 3
    assert statuses() == {S.UNKNOWN: 3}
    assert set(Message.objects.values_list("error_code", flat=True)) == {"CLAIM_EXPIRED"}
    assert letsads_simulator.sent_recipients() == []


def test_a_late_answer_after_the_lease_still_records_its_ids(letsads_simulator):
    from django_letsads.dispatch import send_batch
    from django_letsads.gateway import client_from_settings

    make_outbox_messages(numbers(2))
    claimed = claim(2, "slow-worker")
    result = send_batch(client_from_settings(), "Test", "Code 1234", [m.recipient for m in claimed])
    Message.objects.update(claimed_at=timezone.now() - timedelta(hours=1))
    claims_module.recover_expired_claims(600)
    assert statuses() == {S.UNKNOWN: 2}

    claims_module.apply_result("slow-worker", claimed, result, release_unsent=False)

    assert statuses() == {S.QUEUED: 2}
    assert None not in Message.objects.values_list("sms_id", flat=True)


def test_resend_unknown_needs_explicit_consent(letsads_simulator):
    make_outbox_messages(numbers(2))
    claim(2, "dead")
    Message.objects.update(claimed_at=timezone.now() - timedelta(hours=1))
    claims_module.recover_expired_claims(600)

    with pytest.raises(CommandError, match="--i-accept-duplicates"):
        call_command("letsads_send", "--resend-unknown")
    assert statuses() == {S.UNKNOWN: 2}

    call_command("letsads_send", "--resend-unknown", "--i-accept-duplicates")
    assert statuses() == {S.QUEUED: 2}


def test_dry_run_prints_and_changes_nothing(letsads_simulator, capsys):
    make_campaign(numbers(120))

    call_command("letsads_send", "--dry-run")

    out = capsys.readouterr().out
    assert "Would send 120 message(s) in 3 request(s)" in out
    assert statuses() == {S.PENDING: 120}
    assert letsads_simulator.log() == []


def test_limit_bounds_a_round(letsads_simulator):
    make_outbox_messages(numbers(30))
    SendWorker(limit=10).run_once()
    assert statuses() == {S.QUEUED: 10, S.PENDING: 20}


def test_make_batches_groups_by_text_and_never_repeats_a_recipient_in_a_batch():
    msgs = [
        Claimed(1, "380501", None, "A", "x"),
        Claimed(2, "380502", None, "A", "x"),
        Claimed(3, "380501", None, "A", "x"),
        Claimed(4, "380501", None, "B", "x"),
        Claimed(5, "380503", None, "A", "y"),
    ]
    batches = make_batches(msgs, 50)
    as_ids = [(s, t, [m.id for m in b]) for s, t, b in batches]
    assert as_ids == [("A", "x", [1, 2]), ("A", "x", [3]), ("B", "x", [4]), ("A", "y", [5])]
    many = [Claimed(i, f"38050{i:07d}", None, "A", "x") for i in range(120)]
    assert [len(b) for _, _, b in make_batches(many, 50)] == [50, 50, 20]


def test_poll_expires_a_message_without_final_status_after_the_schedule(
    letsads_simulator, settings
):
    settings.LETSADS = {**settings.LETSADS, "POLL_SCHEDULE": [600, 10800]}
    make_outbox_messages(numbers(1))
    SendWorker().run_once()

    poll_now(Message.objects.all())
    PollWorker().run_once()
    message = Message.objects.get()
    assert (message.status, message.poll_count) == (S.QUEUED, 1)
    poll_now(Message.objects.all())
    PollWorker().run_once()

    message.refresh_from_db()
    assert message.status == S.EXPIRED  # still in the gateway's queue after the whole schedule
    assert message.poll_count == 2
    assert message.gateway_status == "MESSAGE_IN_QUEUE"
    assert message.next_poll_at is None
    assert message.final_at is not None
    assert message.events.filter(old_status=S.QUEUED, new_status=S.EXPIRED).exists()


def test_poll_records_message_not_exist_and_does_not_loop_on_it(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "POLL_SCHEDULE": [600, 10800]}
    make_outbox_messages(numbers(1))
    SendWorker().run_once()
    Message.objects.update(sms_id=42)  # an id the gateway never issued

    poll_now(Message.objects.all())
    first = PollWorker().run_once()
    poll_now(Message.objects.all())
    second = PollWorker().run_once()
    poll_now(Message.objects.all())
    third = PollWorker().run_once()

    message = Message.objects.get()
    assert first.counts["not_found"] == 1
    assert second.counts["not_found"] == 1
    assert third.counts["polled"] == 0
    assert message.error_code == "MESSAGE_NOT_EXIST"
    assert message.status == S.EXPIRED


def test_poll_transport_fault_backs_off_without_counting_a_poll(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "TIMEOUT": 1}
    make_outbox_messages(numbers(1))
    SendWorker().run_once()
    poll_now(Message.objects.all())
    letsads_simulator.inject("http_502", 1, only="status")

    report = PollWorker().run_once()

    message = Message.objects.get()
    assert report.counts["poll_errors"] == 1
    assert message.poll_count == 0
    assert message.poll_failures == 1
    assert message.status == S.QUEUED
    assert message.next_poll_at is not None
    assert message.next_poll_at > timezone.now()


def test_deleting_a_campaign_deletes_its_messages_and_their_history(letsads_simulator):
    # The history has no database constraint (see StatusEvent.message): Django's cascade must
    # leave no event behind, and the other campaign's history must stay.
    doomed = make_campaign(numbers(30))
    kept = make_campaign(numbers(20, start=100))
    SendWorker().run_once()
    assert StatusEvent.objects.count() == 100

    doomed.delete()

    assert not Message.objects.filter(campaign_id=doomed.pk).exists()
    assert StatusEvent.objects.count() == 40
    assert set(StatusEvent.objects.values_list("message__campaign", flat=True)) == {kept.pk}
