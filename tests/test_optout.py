"""The stop list: the API, the import's skip, the worker's re-check and ``respect_opt_out``."""

from __future__ import annotations

import pytest

from django_letsads import send_sms
from django_letsads.backends.outbox import SmsBackend as OutboxBackend
from django_letsads.exceptions import InvalidRecipientError
from django_letsads.importing import import_recipients
from django_letsads.models import Campaign, Message, OptOut, StatusEvent
from django_letsads.optout import is_opted_out, opt_in, opt_out, pending_opted_out
from django_letsads.signals import opted_in, opted_out
from django_letsads.worker import SendWorker
from tests.factories import make_campaign, numbers

S = Message.Status
pytestmark = pytest.mark.django_db


# -- the API ------------------------------------------------------------------------------------


def test_opt_out_normalises_the_number_and_is_idempotent():
    assert opt_out("+380 (50) 123-45-67", reason="asked by phone", source="admin") is True
    assert opt_out("0501234567", reason="again") is False

    entry = OptOut.objects.get()
    assert (entry.number, entry.reason, entry.source) == ("380501234567", "asked by phone", "admin")
    assert is_opted_out("380501234567")
    assert not is_opted_out("380671234567")


def test_opt_out_without_source_is_api():
    opt_out("380501234567")
    assert OptOut.objects.get().source == OptOut.Source.API


def test_opt_in_takes_the_number_off_the_list():
    opt_out("380501234567")

    assert opt_in("+380501234567") is True
    assert opt_in("+380501234567") is False
    assert not is_opted_out("380501234567")


def test_an_invalid_number_raises_the_same_error_as_send_sms_validation():
    with pytest.raises(InvalidRecipientError) as caught:
        opt_out("hello")
    assert caught.value.code == "INVALID_NUMBER"
    [result] = send_sms("x", ["hello"])
    assert result.error_code == caught.value.code
    with pytest.raises(InvalidRecipientError):
        opt_in("12")
    assert not OptOut.objects.exists()


def test_signals_are_sent_once_per_change_after_commit(django_capture_on_commit_callbacks):
    seen: list[tuple[str, str]] = []

    def out(sender, number, source, **kwargs):
        seen.append(("out", number + "/" + source))

    def back(sender, number, **kwargs):
        seen.append(("in", number))

    opted_out.connect(out)
    opted_in.connect(back)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            opt_out("0501234567", source="link")
            opt_out("0501234567")  # already there: no signal
            opt_in("0501234567")
            opt_in("0501234567")  # not there: no signal
    finally:
        opted_out.disconnect(out)
        opted_in.disconnect(back)

    assert seen == [("out", "380501234567/link"), ("in", "380501234567")]


# -- enforced at import -------------------------------------------------------------------------


def test_the_import_leaves_opted_out_numbers_out_and_reports_them():
    opt_out("380501234567")
    opt_out("380671234567")
    campaign = Campaign.objects.create(name="Sale", sender="Shop", text="Hi")

    report = import_recipients(campaign, "0501234567\n380931234567\n+380 67 123 45 67\nbad\n")

    assert (report.added, report.opted_out, report.rejected_count) == (1, 2, 1)
    assert report.total == 4
    assert list(campaign.messages.values_list("recipient", flat=True)) == ["380931234567"]
    campaign.refresh_from_db()
    assert campaign.opted_out_recipients == 2


def test_the_import_counts_opted_out_numbers_in_every_chunk():
    listed = numbers(7)
    for number in listed[::2]:
        opt_out(number)
    campaign = Campaign.objects.create(name="Sale", sender="Shop", text="Hi")

    report = import_recipients(campaign, "\n".join(listed), chunk_size=2)

    assert (report.added, report.opted_out) == (3, 4)


# -- enforced at claim time ---------------------------------------------------------------------


def test_a_number_opted_out_between_two_rounds_is_cancelled_and_never_sent(letsads_simulator):
    recipients = numbers(100)
    campaign = make_campaign(recipients)
    SendWorker(limit=50).run_once()
    late = recipients[70]
    assert campaign.messages.get(recipient=late).status == S.PENDING

    opt_out(late)
    report = SendWorker().run_once()

    message = campaign.messages.get(recipient=late)
    assert (message.status, message.error_code) == (S.CANCELLED, "OPTED_OUT")
    assert message.final_at is not None
    assert list(message.events.values_list("old_status", "new_status", "code")) == [
        (S.PENDING, S.CANCELLED, "OPTED_OUT")
    ]
    assert late not in letsads_simulator.sent_recipients()
    assert len(letsads_simulator.sent_recipients()) == 99
    assert report.counts["queued"] == 49
    assert campaign.messages.filter(status=S.QUEUED).count() == 99


def test_a_claim_made_only_of_opted_out_numbers_does_not_end_the_round(letsads_simulator, settings):
    settings.LETSADS = {**settings.LETSADS, "CLAIM_SIZE": 10}
    recipients = numbers(40)
    campaign = make_campaign(recipients)
    for number in recipients[:25]:  # more than two whole claims
        opt_out(number)

    SendWorker(concurrency=1).run_once()

    assert campaign.messages.filter(status=S.CANCELLED, error_code="OPTED_OUT").count() == 25
    assert sorted(letsads_simulator.sent_recipients()) == recipients[25:]


def test_transactional_outbox_messages_ignore_the_list_unless_asked(letsads_simulator):
    opt_out("380501234567")
    outbox = OutboxBackend()

    plain = send_sms("Code 1", ["380501234567"], connection=outbox)
    respectful = send_sms(
        "News", ["380501234567", "380671234567"], connection=outbox, respect_opt_out=True
    )
    SendWorker().run_once()

    assert plain[0].status == S.PENDING
    assert [(r.status, r.error_code) for r in respectful] == [
        (S.CANCELLED, "OPTED_OUT"),
        (S.PENDING, None),
    ]
    sent = sorted((e.text, r) for e in letsads_simulator.sends() for r in e.recipients)
    assert sent == [("Code 1", "380501234567"), ("News", "380671234567")]


def test_respect_opt_out_with_the_gateway_backend(letsads_simulator, settings):
    settings.SMS_BACKEND = "django_letsads.backends.letsads.SmsBackend"
    opt_out("380501234567")

    results = send_sms(
        "News", ["+380 50 123 45 67", "380671234567", "nonsense"], respect_opt_out=True
    )

    assert [(r.recipient, r.status, r.error_code) for r in results] == [
        ("380501234567", S.CANCELLED, "OPTED_OUT"),
        ("380671234567", S.QUEUED, None),
        ("nonsense", S.FAILED, "INVALID_NUMBER"),
    ]
    assert letsads_simulator.sent_recipients() == ["380671234567"]
    assert send_sms("Code", ["380501234567"])[0].status == S.QUEUED  # default: transactional


def test_pending_opted_out_counts_what_the_worker_will_skip():
    first = make_campaign(numbers(5), state=Campaign.State.DRAFT)
    second = make_campaign(numbers(5, start=100), state=Campaign.State.DRAFT)
    opt_out(numbers(5)[1])
    opt_out(numbers(5)[3])

    assert pending_opted_out([first.pk, second.pk]) == {first.pk: 2}
    assert StatusEvent.objects.count() == 0  # counting changes nothing


def test_deleting_a_campaign_keeps_the_opt_outs_it_caused():
    from django_letsads.campaigns import delete_campaign

    campaign = make_campaign(numbers(2), state=Campaign.State.DONE)
    opt_out(numbers(2)[0], source="link", campaign_id=campaign.pk)

    assert delete_campaign(campaign.pk).deleted

    entry = OptOut.objects.get()
    assert (entry.number, entry.campaign_id) == (numbers(2)[0], None)


def test_an_unknown_source_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="link, admin, import, api"):
        opt_out("380501234567", source="sms-reply")
    assert not OptOut.objects.exists()
