"""Every admin page of the app renders in the markup of the Django it runs on.

CI runs this module on the newest Django and on Django 5.2: Django 6 made the admin's breadcrumbs
an ordered list (``<ol class="breadcrumbs">``), 5.2 styles only ``<div class="breadcrumbs">``, and
a page that uses the other one's markup shows a numbered list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from django_letsads.admin.balance import forget_balance
from django_letsads.models import Campaign
from django_letsads.status import Status
from django_letsads.transitions import change_status
from tests.factories import make_campaign, numbers

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:django_letsads_campaign_changelist"
TEMPLATES = Path(__file__).resolve().parent.parent / "django_letsads" / "templates"
BREADCRUMBS = re.compile(r'<(ol|div) class="breadcrumbs">(.*?)</\1>', re.DOTALL)


@pytest.fixture(autouse=True)
def _fresh_balance():
    forget_balance()
    yield
    forget_balance()


@pytest.fixture
def superuser_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    return client


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

    draft = make_campaign(numbers(2), state=Campaign.State.DRAFT, name="Spring")
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
