"""The {unsubscribe_url} link: short signed tokens, rendering per message, and the page behind it."""

from __future__ import annotations

import re

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from django_letsads.models import Campaign, Message, OptOut
from django_letsads.optout import is_opted_out
from django_letsads.rendering import longest_rendering
from django_letsads.unsubscribe import MAX_TOKEN_LENGTH, make_token, read_token
from django_letsads.worker import SendWorker
from tests.factories import make_campaign, make_outbox_messages, numbers

S = Message.Status
BASE = "https://shop.example/sms/"
LINK = re.compile(re.escape(BASE) + r"([0-9A-Za-z]+)")


@pytest.fixture
def base_url(settings):
    settings.LETSADS = {**settings.LETSADS, "UNSUBSCRIBE_BASE_URL": BASE}


# -- tokens -------------------------------------------------------------------------------------


@pytest.mark.parametrize("message_id", [1, 61, 62, 1_234_567, 2**31, 62**6 - 1])
def test_a_token_is_at_most_12_characters_and_reads_back(message_id):
    token = make_token(message_id)

    assert len(token) <= MAX_TOKEN_LENGTH
    assert token.isalnum()
    assert token.isascii()
    assert read_token(token) == message_id


def test_forged_truncated_and_altered_tokens_are_refused():
    token = make_token(1_234_567)
    altered_signature = token[:-1] + ("A" if token[-1] != "A" else "B")
    altered_id = ("2" if token[0] != "2" else "3") + token[1:]

    for bad in [token[:-1], token[1:], altered_signature, altered_id, "0" + token, token + "x"]:
        assert read_token(bad) is None, bad
    for bad in ["", "abc", "!" * 10, "a/b", "ЖЖЖЖЖЖЖЖ"]:
        assert read_token(bad) is None


def test_the_signature_depends_on_the_secret_key_and_survives_rotation(settings):
    token = make_token(42)
    settings.SECRET_KEY = "a-new-key"
    assert read_token(token) is None
    settings.SECRET_KEY_FALLBACKS = ["tests-only-not-secret"]
    assert read_token(token) == 42


# -- rendering in the worker --------------------------------------------------------------------


@pytest.mark.django_db
def test_each_recipient_gets_its_own_link_stored_as_the_text_sent(letsads_simulator, base_url):
    campaign = make_campaign(numbers(3), text="Sale -20%! Stop: {unsubscribe_url}")

    SendWorker().run_once()

    sends = letsads_simulator.sends()
    assert len(sends) == 3  # three different texts: one request each
    for entry in sends:
        (recipient,) = entry.recipients
        message = campaign.messages.get(recipient=recipient)
        assert message.status == S.QUEUED
        assert message.text == entry.text == message.effective_text
        token = LINK.fullmatch(entry.text.removeprefix("Sale -20%! Stop: ")).group(1)
        assert len(token) <= MAX_TOKEN_LENGTH
        assert read_token(token) == message.pk


@pytest.mark.django_db
def test_identical_renderings_still_share_requests(letsads_simulator):
    campaign = make_campaign(numbers(120), text="Price {{50}} {name|friend}!")

    SendWorker().run_once()

    assert len(letsads_simulator.sends()) == 3  # 50 + 50 + 20
    assert {entry.text for entry in letsads_simulator.sends()} == {"Price {50} friend!"}
    # Differs from the campaign's text, so it is stored per message.
    assert set(campaign.messages.values_list("text", flat=True)) == {"Price {50} friend!"}


@pytest.mark.django_db
def test_a_claim_of_more_than_a_thousand_renderings_stores_every_one(letsads_simulator, base_url):
    campaign = make_campaign(numbers(1200), text="Stop: {unsubscribe_url}")

    report = SendWorker(concurrency=16).run_once()  # claims of 1,600

    # Texts are stored when claimed, whatever the gateway answers later (a loaded machine may
    # time a request out): every claimed message has its own.
    assert report.counts["claimed"] == 1200
    stored = dict(campaign.messages.values_list("id", "text"))
    assert all(text == "Stop: " + BASE + make_token(pk) for pk, text in stored.items())


@pytest.mark.django_db
def test_texts_without_braces_are_not_copied_to_the_messages(letsads_simulator, base_url):
    campaign = make_campaign(numbers(3), text="Plain text")
    make_outbox_messages(["380671112233"], text="Code {1234")  # not a campaign: never a template

    SendWorker().run_once()

    assert set(campaign.messages.values_list("text", flat=True)) == {""}
    assert {entry.text for entry in letsads_simulator.sends()} == {"Plain text", "Code {1234"}


@pytest.mark.django_db
def test_a_transliterated_campaign_is_rendered_first_then_transliterated(
    letsads_simulator, base_url
):
    campaign = make_campaign(numbers(1), text="Вітаємо, {name|друже}! Стоп: {unsubscribe_url}")
    Campaign.objects.filter(pk=campaign.pk).update(transliterate=True)

    SendWorker().run_once()

    message = campaign.messages.get()
    [entry] = letsads_simulator.sends()
    assert entry.text == f"Vitaiemo, druzhe! Stop: {BASE}{make_token(message.pk)}"
    assert message.text == entry.text


@pytest.mark.django_db
def test_a_field_without_value_or_default_fails_the_message_instead_of_sending_a_hole(
    letsads_simulator,
):
    campaign = make_campaign(numbers(2), text="Hi {name}!")  # made in code: the form refuses it

    SendWorker().run_once()

    assert set(campaign.messages.values_list("status", "error_code")) == {
        (S.FAILED, "MISSING_FIELD")
    }
    assert letsads_simulator.sends() == []


@pytest.mark.django_db
def test_a_text_that_is_not_a_template_is_sent_as_written(letsads_simulator):
    campaign = make_campaign(numbers(2), text="Sale {50% off")  # from before placeholders

    SendWorker().run_once()

    assert {entry.text for entry in letsads_simulator.sends()} == {"Sale {50% off"}
    assert set(campaign.messages.values_list("status", "text")) == {(S.QUEUED, "")}


@pytest.mark.django_db
def test_without_a_base_url_the_campaign_pauses_and_nothing_goes_out_without_a_link(
    letsads_simulator,
):
    campaign = make_campaign(numbers(3), text="Stop: {unsubscribe_url}")
    make_outbox_messages(["380671112233"])

    SendWorker().run_once()

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert "UNSUBSCRIBE_BASE_URL" in campaign.pause_reason
    assert set(campaign.messages.values_list("status", flat=True)) == {S.PENDING}
    assert letsads_simulator.sent_recipients() == ["380671112233"]  # others still go out


# -- the page -----------------------------------------------------------------------------------


@pytest.fixture
def link_message(db) -> Message:
    campaign = make_campaign(["380501234567"], text="Stop: {unsubscribe_url}")
    return campaign.messages.get()


def url_of(message: Message) -> str:
    return "/sms/" + make_token(message.pk)


@pytest.mark.django_db
def test_get_shows_one_button_and_changes_nothing(link_message):
    client = Client(enforce_csrf_checks=True)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url_of(link_message))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<button") == 1
    assert 'method="post"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "380 •••• 4567" in page
    assert "380501234567" not in page
    assert "<script" not in page
    assert not any(
        q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for q in queries.captured_queries
    )
    assert not OptOut.objects.exists()
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_post_with_the_page_form_opts_the_number_out_for_that_campaign(link_message):
    client = Client(enforce_csrf_checks=True)
    page = client.get(url_of(link_message)).content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = client.post(url_of(link_message), {"csrfmiddlewaretoken": csrf})

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    entry = OptOut.objects.get()
    assert (entry.number, entry.source, entry.campaign_id) == (
        "380501234567",
        "link",
        link_message.campaign_id,
    )
    assert "already unsubscribed" in client.get(url_of(link_message)).content.decode()


@pytest.mark.django_db
def test_post_without_the_csrf_token_is_refused(link_message):
    response = Client(enforce_csrf_checks=True).post(url_of(link_message))

    assert response.status_code == 403
    assert not is_opted_out("380501234567")


@pytest.mark.django_db
@pytest.mark.parametrize("mangle", [lambda t: t[:-1], lambda t: t[:-1] + "0", lambda t: "z" + t])
def test_a_tampered_token_gets_a_not_valid_page_and_opts_nobody_out(link_message, mangle):
    url = "/sms/" + mangle(make_token(link_message.pk))
    client = Client()

    for response in (client.get(url), client.post(url)):
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()
        assert "Traceback" not in response.content.decode()
    assert not OptOut.objects.exists()


@pytest.mark.django_db
def test_a_link_of_a_deleted_message_is_not_valid(link_message):
    url = url_of(link_message)
    Message.objects.filter(pk=link_message.pk).delete()

    assert Client().get(url).status_code == 404


@pytest.mark.django_db
def test_the_page_is_translated(link_message):
    response = Client().get(url_of(link_message), headers={"accept-language": "uk"})

    assert 'lang="uk"' in response.content.decode()
    assert "Unsubscribe" not in response.content.decode()


# -- bad input ----------------------------------------------------------------------------------


def test_the_longest_rendering_counts_the_whole_link(settings):
    settings.LETSADS = {**settings.LETSADS, "UNSUBSCRIBE_BASE_URL": BASE}
    assert longest_rendering("Stop: {unsubscribe_url}") == "Stop: " + BASE + "x" * 12
    assert longest_rendering("{{plain}}") == "{plain}"


@pytest.mark.django_db
def test_the_form_refuses_the_link_without_a_base_url(admin_client):
    response = admin_client.post(
        "/admin/django_letsads/campaign/add/",
        {"name": "P", "sender": "Shop", "text": "Stop: {unsubscribe_url}", "scheduled_at": ""},
    )

    assert "LETSADS[&#x27;UNSUBSCRIBE_BASE_URL&#x27;] is not set" in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Hi {name", "The “{” at position 4 is never closed"),
        ("Hi {first name}", "The field name in {first name} at position 4"),
        ("Hi {user.name}", "The field name in {user.name} at position 4"),
    ],
)
def test_the_form_refuses_bad_templates_with_a_clear_error(admin_client, text, error):
    response = admin_client.post(
        "/admin/django_letsads/campaign/add/",
        {"name": "P", "sender": "Shop", "text": text, "scheduled_at": ""},
    )

    assert error in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.django_db
def test_the_form_checks_the_length_with_the_link(admin_client, settings):
    settings.LETSADS = {**settings.LETSADS, "UNSUBSCRIBE_BASE_URL": BASE}
    text = "a" * 440 + " {unsubscribe_url}"  # 458 as typed, 477 with the link

    response = admin_client.post(
        "/admin/django_letsads/campaign/add/",
        {"name": "P", "sender": "Shop", "text": text, "scheduled_at": ""},
    )

    assert "the limit is 459" in response.content.decode()


def check_ids(**kwargs) -> list[str]:
    return sorted(m.id for m in run_checks(**kwargs) if (m.id or "").startswith("django_letsads."))


@pytest.mark.django_db
def test_system_check_warns_about_campaigns_that_need_the_missing_base_url():
    make_campaign(numbers(1), text="Stop: {unsubscribe_url}", state=Campaign.State.DRAFT)

    assert "django_letsads.W040" in check_ids(databases=["default"])
    assert "django_letsads.W040" not in check_ids()  # database checks only when asked
    with override_settings(LETSADS={"UNSUBSCRIBE_BASE_URL": BASE}):
        assert "django_letsads.W040" not in check_ids(databases=["default"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (BASE, []),
        ("shop.example/sms/", ["django_letsads.E040"]),
        ("https://shop.example/sms", ["django_letsads.W041"]),
    ],
)
def test_system_check_of_the_base_url(value, expected):
    with override_settings(LETSADS={"UNSUBSCRIBE_BASE_URL": value}):
        found = [i for i in check_ids() if i in ("django_letsads.E040", "django_letsads.W041")]
    assert found == expected
