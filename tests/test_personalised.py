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
