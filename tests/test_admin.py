"""The admin: campaign list and form, recipient import, sending actions and their permissions."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_letsads.models import Campaign, Message, StatusEvent
from django_letsads.status import Status
from django_letsads.transitions import change_status
from tests.factories import make_campaign, numbers, staff_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_balance")]

CHANGELIST = "admin:django_letsads_campaign_changelist"


@pytest.fixture
def editor_client() -> Client:
    """Staff who may edit campaigns but not send them."""
    return staff_client(
        "view_campaign", "change_campaign", "add_campaign", "view_message", name="editor"
    )


def draft(count: int = 3, **kwargs) -> Campaign:
    return make_campaign(numbers(count), state=Campaign.State.DRAFT, **kwargs)


def changelist_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    return len(queries)


# -- list -------------------------------------------------------------------------------------


def test_campaign_list_shows_progress_counts_and_rate(superuser_client, letsads_simulator):
    campaign = make_campaign(numbers(4), name="Autumn")
    messages = campaign.messages.order_by("id")
    change_status(messages.filter(pk=messages[0].pk), Status.PENDING, Status.DELIVERED)
    change_status(messages.filter(pk=messages[1].pk), Status.PENDING, Status.UNDELIVERED)

    page = superuser_client.get(reverse(CHANGELIST)).content.decode()

    assert "Autumn" in page
    assert re.search(r'data-status="delivered"><i [^>]*></i>1 delivered', page)
    assert re.search(r'data-status="pending"><i [^>]*></i>2 pending', page)
    assert "50%" in page  # 1 delivered of 2 accepted
    assert 'id="letsads-balance"' in page
    assert "1000" in page  # the simulator's balance


def test_campaign_list_runs_the_same_queries_for_2_or_20_campaigns(superuser_client):
    for i in range(2):
        make_campaign(numbers(5, start=100 * i), name=f"c{i}")
    few = changelist_queries(superuser_client)

    for i in range(2, 20):
        make_campaign(numbers(5, start=100 * i), name=f"c{i}")
    many = changelist_queries(superuser_client)

    assert many == few
    assert many <= 12


def test_balance_failure_is_a_notice_not_an_error(superuser_client, settings):
    settings.LETSADS = {**settings.LETSADS, "API_URL": "http://127.0.0.1:9/"}

    response = superuser_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert "could not be fetched" in response.content.decode()
    assert settings.LETSADS["PASSWORD"] not in response.content.decode()


def test_detail_page_shows_counts_linked_to_filtered_messages(superuser_client):
    campaign = draft(2)

    page = superuser_client.get(
        reverse("admin:django_letsads_campaign_change", args=[campaign.pk])
    ).content.decode()

    assert f"?campaign__id__exact={campaign.pk}&amp;status__exact=pending" in page
    assert "0 invalid, 0 duplicate numbers" in page


# -- form and import --------------------------------------------------------------------------


def add_campaign(client: Client, **data) -> object:
    payload = {"name": "Promo", "sender": "Shop", "text": "Hello", "scheduled_at": ""}
    payload.update(data)
    return client.post(reverse("admin:django_letsads_campaign_add"), payload, follow=True)


def test_adding_a_campaign_imports_pasted_numbers_and_a_csv(superuser_client):
    upload = SimpleUploadedFile(
        "list.csv", "\ufeffphone;name\n380931234567;Olena\nnope;Bad\n".encode(), "text/csv"
    )

    response = add_campaign(
        superuser_client,
        recipients_text="380501234567, 0671234567\n380501234567",
        recipients_file=upload,
    )

    campaign = Campaign.objects.get(name="Promo")
    assert set(campaign.messages.values_list("recipient", flat=True)) == {
        "380501234567",
        "380671234567",
        "380931234567",
    }
    assert campaign.created_by is not None
    page = response.content.decode()
    assert "Pasted numbers: 2 added, 1 duplicate, 0 rejected." in page
    assert "File “list.csv”: 1 added, 0 duplicates, 1 rejected." in page
    assert "Line 3 “nope”: contains characters other than digits" in page


def test_text_over_the_limit_is_refused_with_the_numbers(superuser_client):
    response = add_campaign(superuser_client, text="Я" * 420)

    assert not Campaign.objects.exists()
    assert (
        "The text is 420 characters long in UCS-2; the limit is 402." in response.content.decode()
    )


def test_invalid_sender_is_refused(superuser_client):
    response = add_campaign(superuser_client, sender="Магазин")

    assert not Campaign.objects.exists()
    assert "The sender must be" in response.content.decode()


def test_crlf_from_the_browser_is_stored_as_one_character(superuser_client):
    add_campaign(superuser_client, text="line one\r\nline two")

    assert Campaign.objects.get().text == "line one\nline two"


def test_a_sending_campaign_keeps_its_text(superuser_client):
    campaign = make_campaign(numbers(1), text="Original")

    superuser_client.post(
        reverse("admin:django_letsads_campaign_change", args=[campaign.pk]),
        {"name": "x", "sender": "Shop", "text": "Changed", "recipients_text": "380671234567"},
    )

    campaign.refresh_from_db()
    assert campaign.text == "Original"
    assert campaign.messages.count() == 1


# -- send -------------------------------------------------------------------------------------


def run_action(client: Client, action: str, campaigns: list[Campaign], **extra) -> object:
    data = {"action": action, "_selected_action": [c.pk for c in campaigns], **extra}
    if extra.get("post") == "yes":
        # Confirm what the confirmation page shows: post back its hidden inputs (fingerprints).
        page = client.post(reverse(CHANGELIST), {**data, "post": ""}).content.decode()
        data.update(
            re.findall(r'<input type="hidden" name="(letsads_[^"]+)" value="([^"]+)"', page)
        )
    return client.post(reverse(CHANGELIST), data, follow=True)


def test_send_shows_a_confirmation_with_recipients_segments_and_balance(
    superuser_client, letsads_simulator
):
    campaign = draft(3, text="Знижка 20% на все! " * 5)  # 95 UCS-2 characters: 2 segments
    Campaign.objects.filter(pk=campaign.pk).update(invalid_recipients=4, duplicate_recipients=5)

    response = run_action(superuser_client, "send_campaigns", [campaign])

    page = response.content.decode()
    assert response.templates[0].name == "admin/django_letsads/confirm_action.html"
    numbers_ = re.findall(r'<td class="num">(.*?)</td>', page)
    texts = re.findall(r'<td class="text">(.*?)</td>', page)
    assert numbers_[:6] == ["3", "4", "5", "0", "2", "6"]
    assert texts[:2] == ["Test", "UCS-2"]
    assert "Account balance: 1000" in page
    assert 'name="csrfmiddlewaretoken"' in page
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT  # nothing happens before the confirmation


def test_confirming_starts_the_campaign_once(superuser_client):
    campaign = draft(3)

    first = run_action(superuser_client, "send_campaigns", [campaign], post="yes")
    second = run_action(superuser_client, "send_campaigns", [campaign], post="yes")

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
    assert "1 campaign is being sent" in first.content.decode()
    assert "only draft or scheduled campaigns can be sent" in second.content.decode()
    assert campaign.messages.filter(status=Status.PENDING).count() == 3
    assert not StatusEvent.objects.exists()  # the admin sent nothing itself


def test_send_refuses_campaigns_that_are_not_draft_or_scheduled(superuser_client):
    done = make_campaign(numbers(1), state=Campaign.State.DONE, name="Old")

    response = run_action(superuser_client, "send_campaigns", [done])

    assert "“Old” is done: only draft or scheduled campaigns can be sent." in (
        response.content.decode()
    )


def test_staff_without_the_permission_does_not_see_the_send_action(editor_client):
    draft(1)

    page = editor_client.get(reverse(CHANGELIST)).content.decode()

    assert 'value="send_campaigns"' not in page
    assert 'value="resend_unknown_messages"' not in page


def test_staff_without_the_permission_cannot_send_by_posting(editor_client):
    campaign = draft(2)

    response = run_action(editor_client, "send_campaigns", [campaign], post="yes")

    assert response.status_code in (200, 403)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_the_action_itself_refuses_a_user_without_the_permission(rf):
    from django.contrib import admin
    from django.core.exceptions import PermissionDenied

    from django_letsads.admin.send_action import send_campaigns

    campaign = draft(1)
    request = rf.post("/", {"post": "yes"})
    request.user = User.objects.create_user("intruder", is_staff=True)

    with pytest.raises(PermissionDenied):
        send_campaigns(admin.site._registry[Campaign], request, Campaign.objects.all())
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


def test_posting_the_confirmation_without_csrf_token_is_refused():
    campaign = draft(1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("su", "su@example.com", "pw"))

    response = client.post(
        reverse(CHANGELIST),
        {"action": "send_campaigns", "_selected_action": [campaign.pk], "post": "yes"},
    )

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT


# -- other actions ----------------------------------------------------------------------------


def test_cancel_confirms_then_cancels_pending_messages(superuser_client):
    campaign = make_campaign(numbers(3))

    page = run_action(superuser_client, "cancel_campaigns", [campaign]).content.decode()
    assert "Cancel campaigns?" in page
    run_action(superuser_client, "cancel_campaigns", [campaign], post="yes")

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED
    assert set(campaign.messages.values_list("status", flat=True)) == {Status.CANCELLED}


def test_resend_unknown_explains_the_risk_then_requeues(superuser_client):
    campaign = make_campaign(numbers(2), state=Campaign.State.DONE)
    change_status(campaign.messages.all(), Status.PENDING, Status.UNKNOWN)

    page = run_action(superuser_client, "resend_unknown_messages", [campaign]).content.decode()
    assert "sent and billed a second time" in page
    run_action(superuser_client, "resend_unknown_messages", [campaign], post="yes")

    assert set(campaign.messages.values_list("status", flat=True)) == {Status.PENDING}


def test_poll_now_makes_accepted_messages_due(superuser_client):
    campaign = make_campaign(numbers(2))
    first = campaign.messages.order_by("id").first()
    assert first is not None
    Message.objects.filter(pk=first.pk).update(status=Status.QUEUED, sms_id=77)

    response = run_action(superuser_client, "poll_campaigns_now", [campaign])

    assert "1 message will have its status polled" in response.content.decode()
    assert Message.objects.get(pk=first.pk).next_poll_at is not None


# -- messages ---------------------------------------------------------------------------------


def message_list_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:django_letsads_message_changelist"))
    assert response.status_code == 200
    return len(queries)


def test_message_list_has_no_n_plus_one(superuser_client):
    make_campaign(numbers(3), name="a")
    few = message_list_queries(superuser_client)
    for i in range(10):
        make_campaign(numbers(5, start=100 * (i + 1)), name=f"b{i}")

    assert message_list_queries(superuser_client) == few


def test_message_detail_is_read_only_with_its_history(superuser_client):
    campaign = make_campaign(numbers(1), text="Hi there")
    message = campaign.messages.get()
    change_status(campaign.messages.all(), Status.PENDING, Status.FAILED, code="INVALID_FROM")

    url = reverse("admin:django_letsads_message_change", args=[message.pk])
    page = superuser_client.get(url).content.decode()

    assert "Hi there" in page
    assert "INVALID_FROM" in page
    assert 'name="recipient"' not in page  # no editable inputs
    assert superuser_client.post(url, {"recipient": "1"}).status_code == 403


def test_message_search_understands_numbers_as_people_write_them(superuser_client):
    make_campaign(["380501234567", "380671234567"])

    page = superuser_client.get(
        reverse("admin:django_letsads_message_changelist"), {"q": "+380 (50) 123-45-67"}
    ).content.decode()

    assert "380501234567" in page
    assert "380671234567" not in page


def test_message_search_by_a_number_also_finds_that_gateway_id(superuser_client):
    campaign = make_campaign(["380671234567", "380681234567"])
    Message.objects.filter(campaign=campaign, recipient="380671234567").update(sms_id=501234567)

    page = superuser_client.get(
        reverse("admin:django_letsads_message_changelist"), {"q": "501234567"}
    ).content.decode()

    assert "380671234567" in page  # its gateway id is the term
    assert "380681234567" not in page


@pytest.mark.postgres
def test_message_search_for_a_whole_number_is_answered_from_an_index(rf, admin_user):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    from django.contrib.admin import site

    make_campaign(["380501234567", "380671234567"])
    request = rf.get("/", {"q": "+380 50 123 45 67"})
    request.user = admin_user
    queryset, _ = site._registry[Message].get_search_results(
        request, Message.objects.all(), "+380 50 123 45 67"
    )
    with connection.cursor() as cursor:  # a tiny table: make reading all of it look dear
        cursor.execute("SET LOCAL enable_seqscan = off")

    # Not a scan of every row (sequential, or of the primary key with a filter): a lookup.
    assert re.search(r"Index Cond: .*recipient.* = '380501234567'", queryset.explain())
    assert list(queryset.values_list("recipient", flat=True)) == ["380501234567"]


@pytest.mark.letsads_simulator(balance=Decimal("12.5"))
def test_campaign_list_balance_is_cached(superuser_client, letsads_simulator):
    superuser_client.get(reverse(CHANGELIST))
    letsads_simulator.set_balance(letsads_simulator_login(), Decimal("99"))

    page = superuser_client.get(reverse(CHANGELIST)).content.decode()

    assert "12.5" in page


def letsads_simulator_login() -> str:
    from django.conf import settings

    return str(settings.LETSADS["LOGIN"])


# -- translations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("uk", ["Надіслати кампанію", "очікує надсилання", "Баланс рахунку", "% доставлено"]),
        ("ru", ["Отправить кампанию", "ожидает отправки", "Баланс счёта", "% доставлено"]),
    ],
)
def test_campaign_list_is_translated(superuser_client, letsads_simulator, language, expected):
    make_campaign(numbers(2))

    page = superuser_client.get(reverse(CHANGELIST), HTTP_ACCEPT_LANGUAGE=language)

    content = page.content.decode()
    for phrase in expected:
        assert phrase in content


def test_send_confirmation_works_in_ukrainian(superuser_client):
    campaign = draft(2)

    response = superuser_client.post(
        reverse(CHANGELIST),
        {"action": "send_campaigns", "_selected_action": [campaign.pk]},
        HTTP_ACCEPT_LANGUAGE="uk",
    )

    page = response.content.decode()
    for phrase in ["Надіслати кампанії?", "Сегментів у повідомленні", "Так, надіслати"]:  # noqa: RUF001
        assert phrase in page
    assert "Не вдалося отримати баланс рахунку" in page  # noqa: RUF001
