"""Personalised campaign texts end to end: recipient data rendered per message by the worker."""

from __future__ import annotations

import pytest

from django_letsads.models import Message, StatusEvent
from django_letsads.recipient_data import data_fields
from django_letsads.rendering import PERSONALISED, render_recipient
from django_letsads.worker import SendWorker
from tests.factories import make_campaign, numbers

S = Message.Status


def _give_data(campaign, rows):
    for number, data in rows.items():
        Message.objects.filter(campaign=campaign, recipient=number).update(data=data)


@pytest.mark.django_db
def test_the_worker_renders_each_recipients_data_and_stores_the_text_sent(letsads_simulator):
    a, b, c = numbers(3)
    campaign = make_campaign([a, b, c], text="Вітаємо, {name|клієнте}! Код {code}.")
    _give_data(campaign, {a: {"name": "Олена", "code": "A1"}, b: {"code": "B2"}, c: {"code": "B2"}})

    SendWorker().run_once()

    sent = {entry.text: sorted(entry.recipients) for entry in letsads_simulator.sends()}
    assert sent == {"Вітаємо, Олена! Код A1.": [a], "Вітаємо, клієнте! Код B2.": [b, c]}
    texts = dict(campaign.messages.values_list("recipient", "text"))
    assert texts == {a: "Вітаємо, Олена! Код A1.", b: "Вітаємо, клієнте! Код B2.", c: texts[b]}
    notes = set(
        StatusEvent.objects.filter(message__campaign=campaign, new_status=S.SENDING).values_list(
            "note", flat=True
        )
    )
    assert notes == {PERSONALISED}


@pytest.mark.django_db
def test_render_recipient_agrees_with_the_worker(letsads_simulator):
    [number] = numbers(1)
    text = "Hi {name|there}, {city}!"
    campaign = make_campaign([number], text=text)
    _give_data(campaign, {number: {"name": "Ann", "city": "Kyiv"}})

    SendWorker().run_once()

    assert campaign.messages.get().text == render_recipient(text, {"name": "Ann", "city": "Kyiv"})
    assert data_fields(campaign) == {"name", "city"}


# -- end to end: a CSV with a name and two more columns, sent through the simulator --------------

PAD = "x" * (160 - len("Hi Ann, Kyiv! Code B2."))  # Ann's text is 160 characters exactly


def _import_and_send(text, csv):
    from django_letsads.campaigns import start_campaign
    from django_letsads.importing import import_recipients
    from django_letsads.models import Campaign

    campaign = Campaign.objects.create(name="Promo", sender="Test", text=text)
    report = import_recipients(campaign, csv, kind="csv")
    assert report.rejected_count == 0
    assert start_campaign(campaign.pk).started
    SendWorker().run_once()
    return campaign


@pytest.mark.django_db
def test_a_csv_with_name_and_two_columns_is_rendered_exactly_and_grouped(letsads_simulator):
    from django_letsads.text import analyze

    same = numbers(110, start=100)
    csv = (
        "Name;Phone;City;Code\n"
        '"Олена ""Лена"" 🎉";380501111111;Київ;A1\n'
        "Ann;380501111112;Kyiv;B2\n"  # 160 GSM-7 characters: one segment
        "Zoë;380501111113;Kyiv;C3\n"  # ë is not GSM-7: this one text is UCS-2
        "Anna;380501111114;Kyiv;D4\n"  # one character more than fits one GSM-7 segment
        "Max;380501111116;;F6\n"  # no city: the default
        "Bob;380501111115;Lviv;\n"  # no code and {code} has no default: left out
        + "".join(f"Eve;{n};Odesa;E5\n" for n in same)
    )
    text = "Hi {name}, {city|friend}! Code {code}." + PAD
    balance = letsads_simulator.gateway.accounts[next(iter(letsads_simulator.gateway.accounts))]
    before = balance.balance

    campaign = _import_and_send(text, csv)

    by_recipient = {}
    for entry in letsads_simulator.sends():
        for recipient in entry.recipients:
            by_recipient[recipient] = entry.text
    assert by_recipient["380501111111"] == 'Hi Олена "Лена" 🎉, Київ! Code A1.' + PAD
    assert by_recipient["380501111112"] == "Hi Ann, Kyiv! Code B2." + PAD
    assert by_recipient["380501111113"] == "Hi Zoë, Kyiv! Code C3." + PAD
    assert by_recipient["380501111116"] == "Hi Max, friend! Code F6." + PAD
    assert "380501111115" not in by_recipient
    # One text per request; the 110 identical renderings share 50 + 50 + 10.
    eve = [e for e in letsads_simulator.sends() if e.text.startswith("Hi Eve")]
    assert sorted(len(e.recipients) for e in eve) == [10, 50, 50]
    assert len(letsads_simulator.sends()) == 5 + 3
    # Segments per recipient, right at the GSM-7 / UCS-2 boundary.
    segments = {n: analyze(t) for n, t in by_recipient.items()}
    assert (segments["380501111112"].encoding, segments["380501111112"].segments) == ("GSM-7", 1)
    assert (segments["380501111113"].encoding, segments["380501111113"].segments) == ("UCS-2", 3)
    assert (segments["380501111114"].encoding, segments["380501111114"].segments) == ("GSM-7", 2)
    billed = sum(info.segments for info in segments.values())
    assert before - balance.balance == billed * balance.price
    # What each message stored is what it was sent; the one without a code was left out when
    # the campaign started (cancelled, never claimed), and counted.
    stored = dict(campaign.messages.values_list("recipient", "text"))
    assert all(stored[n] == t for n, t in by_recipient.items())
    counts = campaign.status_counts()
    assert (counts[S.QUEUED], counts[S.CANCELLED], counts[S.FAILED]) == (115, 1, 0)
    left_out = campaign.messages.get(recipient="380501111115")
    assert left_out.error_code == "MISSING_FIELD"
    assert "{code}" in left_out.error_message


@pytest.mark.django_db
def test_the_admin_message_page_shows_the_text_sent_and_the_data(
    letsads_simulator, superuser_client
):
    from django.urls import reverse

    campaign = _import_and_send(
        "Hi {name}! {note|}", 'phone,name,note\n380501111111,<b>Олена</b>,"a ""q"""\n'
    )
    message = campaign.messages.get()
    assert message.text == 'Hi <b>Олена</b>! a "q"'

    page = superuser_client.get(reverse("admin:django_letsads_message_change", args=[message.pk]))

    html = page.content.decode()
    assert "Hi &lt;b&gt;Олена&lt;/b&gt;! a &quot;q&quot;" in html
    assert "name: &lt;b&gt;Олена&lt;/b&gt;" in html
    assert "note: a &quot;q&quot;" in html
    assert "<b>Олена</b>" not in html
    assert PERSONALISED in html


# -- the text cannot change under messages already sent -----------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["sending", "paused", "done", "cancelled"])
def test_a_started_campaign_refuses_a_new_text(state):
    from django_letsads.models import Campaign, CampaignLockedError

    campaign = make_campaign(numbers(1), text="Hi {name|there}", state=state)
    campaign.text = "Bye {name|there}"

    with pytest.raises(CampaignLockedError, match="text cannot change"):
        campaign.save()
    with pytest.raises(ValueError, match="transliterate"):
        Campaign.objects.get(pk=campaign.pk).__class__(
            **{**_fields(campaign), "text": "Hi {name|there}", "transliterate": True}
        ).save()
    assert Campaign.objects.get(pk=campaign.pk).text == "Hi {name|there}"
    campaign.refresh_from_db()
    campaign.max_per_minute = 10  # the pace may still change
    campaign.save()
    campaign.state = Campaign.State.DONE
    campaign.save(update_fields=["state"])


@pytest.mark.django_db
@pytest.mark.parametrize("state", ["draft", "scheduled"])
def test_a_campaign_not_yet_started_may_change_its_text(state):
    from django_letsads.models import Campaign

    campaign = make_campaign(numbers(1), text="Hi", state=state)
    campaign.text = "Hello {name|there}"
    campaign.state = Campaign.State.SENDING  # and start in the same save
    campaign.save()

    assert Campaign.objects.get(pk=campaign.pk).text == "Hello {name|there}"


def _fields(campaign):
    return {f.attname: getattr(campaign, f.attname) for f in campaign._meta.concrete_fields}


@pytest.mark.django_db
def test_the_admin_form_shows_the_text_of_a_sending_campaign_read_only(superuser_client):
    from django.urls import reverse

    campaign = make_campaign(numbers(1), text="Hi {name|there}")

    page = superuser_client.get(
        reverse("admin:django_letsads_campaign_change", args=[campaign.pk])
    ).content.decode()

    assert 'name="text"' not in page
    assert "Hi {name|there}" in page


@pytest.mark.django_db
def test_recipients_without_values_can_be_left_out_before_sending(letsads_simulator):
    from django_letsads.leaving_out import leave_out

    a, b, c = numbers(3)
    campaign = make_campaign([a, b, c], text="Hi {name|you}, code {code}")
    _give_data(campaign, {a: {"code": "1"}, b: {"code": ""}})

    assert leave_out(campaign).missing == 2

    SendWorker().run_once()
    assert [(e.text, e.recipients) for e in letsads_simulator.sends()] == [("Hi you, code 1", (a,))]
    assert dict(campaign.messages.values_list("recipient", "status")) == {
        a: S.QUEUED,
        b: S.CANCELLED,
        c: S.CANCELLED,
    }
    assert set(
        StatusEvent.objects.filter(message__recipient=b).values_list("new_status", "code")
    ) == {(S.CANCELLED, "MISSING_FIELD")}
