"""Every admin page of the app renders in the markup of the Django it runs on.

CI runs this module on the newest Django and on Django 5.2: Django 6 made the admin's breadcrumbs
an ordered list (``<ol class="breadcrumbs">``), 5.2 styles only ``<div class="breadcrumbs">``, and
a page that uses the other one's markup shows a numbered list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from django_letsads.models import Campaign
from django_letsads.status import Status
from django_letsads.transitions import change_status
from django_letsads.unsubscribe import make_token
from tests.factories import make_campaign, numbers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_balance")]

CHANGELIST = "admin:django_letsads_campaign_changelist"
TEMPLATES = Path(__file__).resolve().parent.parent / "django_letsads" / "templates"
BREADCRUMBS = re.compile(r'<(ol|div) class="breadcrumbs">(.*?)</\1>', re.DOTALL)


def breadcrumbs(page: str) -> tuple[str, str]:
    found = BREADCRUMBS.search(page)
    assert found, "no breadcrumbs on the page"
    return found.group(1), found.group(2)


def django_breadcrumbs_tag(client: Client) -> str:
    """The element Django's own admin pages use for breadcrumbs on this version."""
    return breadcrumbs(client.get(reverse("admin:index") + "password_change/").content.decode())[0]


@pytest.mark.parametrize(
    "action", ["send_campaigns", "cancel_campaigns", "resend_unknown_messages"]
)
def test_confirmation_breadcrumbs_use_the_markup_of_this_django(superuser_client, action):
    campaign = make_campaign(numbers(2), state=Campaign.State.DRAFT, name="Spring")
    first = campaign.messages.order_by("pk").first()
    assert first is not None
    change_status(campaign.messages.filter(pk=first.pk), Status.PENDING, Status.UNKNOWN)

    page = superuser_client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [campaign.pk]}
    ).content.decode()

    tag, inner = breadcrumbs(page)
    assert tag == django_breadcrumbs_tag(superuser_client)
    if tag == "div":  # Django 5.2: links separated by &rsaquo;, no list items
        assert "<li" not in inner
        assert inner.count("&rsaquo;") == 3
    else:
        assert inner.count("<li") == 4


def app_templates() -> set[str]:
    return {str(path.relative_to(TEMPLATES)) for path in TEMPLATES.rglob("*.html")}


def test_every_template_of_the_app_is_rendered_by_its_admin_pages(superuser_client):
    """Walks every admin page of the app (lists, forms, confirmations) and records the
    templates they render: a template no page reaches would go untested on one Django."""
    from django.test.signals import template_rendered

    # A personalised text: its confirmation shows the per-recipient figures too.
    draft = make_campaign(
        numbers(2), state=Campaign.State.DRAFT, name="Spring", text="Sale, {name|friend}!"
    )
    draft.messages.update(data={"name": "Ann"})
    done = make_campaign(numbers(1, start=50), state=Campaign.State.DONE, name="Winter")
    message = done.messages.get()
    rendered: set[str] = set()

    def record(sender: object, template: object, **kwargs: object) -> None:
        rendered.add(str(getattr(template, "name", "")))

    pages = [
        reverse(CHANGELIST),
        reverse("admin:django_letsads_campaign_add"),
        reverse("admin:django_letsads_campaign_change", args=[draft.pk]),
        reverse("admin:django_letsads_campaign_change", args=[done.pk]),
        reverse("admin:django_letsads_message_changelist"),
        reverse("admin:django_letsads_message_change", args=[message.pk]),
        reverse("admin:django_letsads_optout_changelist"),
        reverse("admin:django_letsads_optout_import"),
        # Not an admin page, but a template of the app: the unsubscribe link's page.
        "/sms/" + make_token(message.pk),
    ]
    template_rendered.connect(record)
    try:
        for url in pages:
            assert superuser_client.get(url).status_code == 200, url
        response = superuser_client.post(
            reverse(CHANGELIST), {"action": "send_campaigns", "_selected_action": [draft.pk]}
        )
        assert response.status_code == 200
    finally:
        template_rendered.disconnect(record)

    assert app_templates() <= rendered


def test_a_new_campaign_starts_with_the_configured_sender(superuser_client, settings):
    settings.LETSADS = {**settings.LETSADS, "SENDER": "MyShop"}

    page = superuser_client.get(reverse("admin:django_letsads_campaign_add")).content.decode()

    assert re.search(r'<input [^>]*name="sender"[^>]*value="MyShop"', page)


def test_an_existing_campaign_keeps_its_own_sender(superuser_client, settings):
    settings.LETSADS = {**settings.LETSADS, "SENDER": "MyShop"}
    campaign = make_campaign([], state=Campaign.State.DRAFT, sender="Other")

    page = superuser_client.get(
        reverse("admin:django_letsads_campaign_change", args=[campaign.pk])
    ).content.decode()

    assert re.search(r'<input [^>]*name="sender"[^>]*value="Other"', page)


def title_and_h1(page: str) -> tuple[str, str]:
    """The page's own part of ``<title>`` (after the object's name on a change page), and h1."""
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    h1 = re.search(r"<h1>(.*?)</h1>", page, re.DOTALL)
    assert title
    assert h1
    return title.group(1).split(" | ")[-2].strip(), h1.group(1).strip()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["Campaigns", "New campaign", "Edit campaign", "Campaign", "Messages", "Message"]),
        (
            "uk",
            [
                "Кампанії",
                "Нова кампанія",
                "Редагування кампанії",
                "Кампанія",
                "Повідомлення",
                "Повідомлення",
            ],
        ),
        (
            "ru",
            [
                "Кампании",
                "Новая кампания",
                "Редактирование кампании",
                "Кампания",
                "Сообщения",
                "Сообщение",
            ],
        ),
    ],
)
def test_admin_pages_have_titles_of_their_own(superuser_client, language, expected):
    """Not Django's "Select campaign to change", which Ukrainian and Russian get in the wrong
    case ("Виберіть кампанія щоб змінити")."""
    draft = make_campaign(numbers(1), state=Campaign.State.DRAFT)
    done = make_campaign(numbers(1, start=10), state=Campaign.State.DONE)
    message = done.messages.get()
    urls = [
        reverse(CHANGELIST),
        reverse("admin:django_letsads_campaign_add"),
        reverse("admin:django_letsads_campaign_change", args=[draft.pk]),
        reverse("admin:django_letsads_campaign_change", args=[done.pk]),
        reverse("admin:django_letsads_message_changelist"),
        reverse("admin:django_letsads_message_change", args=[message.pk]),
    ]

    titles = [
        title_and_h1(superuser_client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode())
        for url in urls
    ]

    assert titles == [(title, title) for title in expected]


def test_the_add_button_of_the_list_says_new_campaign_in_ukrainian(superuser_client):
    page = superuser_client.get(reverse(CHANGELIST), HTTP_ACCEPT_LANGUAGE="uk").content.decode()

    assert re.search(r'class="addlink">\s*Нова кампанія\s*</a>', page)
    assert "кампанія</a>" not in page.replace("Нова кампанія</a>", "")


def test_a_finished_campaign_has_no_save_buttons(superuser_client):
    done = make_campaign(numbers(1), state=Campaign.State.DONE)
    draft = make_campaign(numbers(1, start=5), state=Campaign.State.DRAFT)

    finished = superuser_client.get(
        reverse("admin:django_letsads_campaign_change", args=[done.pk])
    ).content.decode()
    editable = superuser_client.get(
        reverse("admin:django_letsads_campaign_change", args=[draft.pk])
    ).content.decode()

    assert 'name="_save"' not in finished
    assert 'name="_continue"' not in finished
    assert 'name="_addanother"' not in finished
    assert 'name="_save"' in editable


def test_the_counter_sits_under_the_textarea_in_one_box(superuser_client):
    page = superuser_client.get(reverse("admin:django_letsads_campaign_add")).content.decode()

    box = re.search(r'<div class="letsads-sms-text">(.*?)</script>\s*</div>', page, re.DOTALL)
    assert box
    assert box.group(1).index("<textarea") < box.group(1).index('id="id_text_counter"')


def test_confirmation_aligns_text_left_and_numbers_right(superuser_client):
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT, name="Spring")

    page = superuser_client.post(
        reverse(CHANGELIST), {"action": "send_campaigns", "_selected_action": [campaign.pk]}
    ).content.decode()

    head = re.findall(r'<th scope="col" class="(\w+)">', page)
    row = re.findall(r'<t[hd] (?:scope="row" )?class="(\w+)">', page.split("<tbody>")[1])
    assert head == ["text", "text", "num", "num", "num", "num", "text", "num", "num"]
    assert row[:9] == head
    assert re.search(r'<div class="letsads-buttons">\s*<input type="submit"', page)


@pytest.mark.parametrize("language", ["en", "uk", "ru"])
def test_the_import_help_says_the_same_in_every_language(language):
    """Each language names the same header words, separators and encoding, and the importer
    recognises every header word the help names."""
    from django.utils import translation

    from django_letsads.admin.forms import CampaignForm
    from django_letsads.importing import import_recipients

    with translation.override(language):
        help_text = str(CampaignForm.base_fields["recipients_file"].help_text)
    named = re.search(r"\((phone, name, [^)]*)\)", help_text)
    assert named
    assert named.group(1) == "phone, name, телефон, ім\u2019я, имя"
    for detail in [
        "UTF-8",
        "«,»" if language != "en" else "','",
        "«;»" if language != "en" else "';'",
    ]:
        assert detail in help_text
    for phone_header, name_header in [
        ("phone", "name"),
        ("телефон", "ім\u2019я"),
        ("телефон", "имя"),
    ]:
        campaign = make_campaign([], state=Campaign.State.DRAFT)
        report = import_recipients(
            campaign, f"{phone_header};{name_header}\n0501234567;Olena\n", kind="csv"
        )
        assert report.added == 1
        assert campaign.messages.get().recipient_name == "Olena"
