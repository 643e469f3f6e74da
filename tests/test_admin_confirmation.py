"""The Send confirmation cannot go stale (issue 14, item 10): two sessions in the admin.

Admin A opens Send (1 recipient x 1 segment); someone else edits the draft (a 450-character
text, 500 more numbers); A confirms. Before, 501 x 3 segments went out. Now A is told the
campaign changed and sees the new figures; people without the send permission cannot edit a
draft while its confirmation is open.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from django_letsads.models import Campaign
from django_letsads.status import Status
from tests.factories import make_campaign, numbers, staff_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

CHANGELIST = reverse("admin:django_letsads_campaign_changelist")


def login(name: str, *codenames: str, superuser: bool = False) -> Client:
    if not superuser:
        return staff_client(*codenames, name=name)
    client = Client()
    client.force_login(User.objects.create_superuser(name, f"{name}@example.com", "pw"))
    return client


def open_send(client: Client, campaign: Campaign) -> dict[str, str]:
    """Open the Send confirmation; the hidden inputs its form would post back."""
    page = client.post(
        CHANGELIST, {"action": "send_campaigns", "_selected_action": [campaign.pk]}
    ).content.decode()
    assert "Send campaigns?" in page
    return dict(re.findall(r'<input type="hidden" name="(letsads_[^"]+)" value="([^"]+)"', page))


def confirm_send(client: Client, campaign: Campaign, hidden: dict[str, str]) -> str:
    data = {"action": "send_campaigns", "_selected_action": [campaign.pk], "post": "yes"}
    return client.post(CHANGELIST, {**data, **hidden}, follow=True).content.decode()


def edit(client: Client, campaign: Campaign, **changes: object) -> object:
    data = {
        "name": campaign.name,
        "sender": campaign.sender,
        "text": campaign.text,
        "scheduled_at": "",
        **changes,
    }
    return client.post(reverse("admin:django_letsads_campaign_change", args=[campaign.pk]), data)


def test_confirming_after_someone_else_changed_the_draft_sends_nothing() -> None:
    campaign = make_campaign(["380501234567"], text="Hi", state=Campaign.State.DRAFT)
    admin_a = login("a", superuser=True)
    admin_b = login("b", superuser=True)

    shown = open_send(admin_a, campaign)
    csv = "".join(f"{n}\n" for n in numbers(500, start=1000)).encode()
    edit(
        admin_b,
        campaign,
        text="Sale" + "!" * 446,  # 450 characters: 3 segments
        recipients_file=SimpleUploadedFile("more.csv", csv, "text/csv"),
    )
    campaign.refresh_from_db()
    assert len(campaign.text) == 450
    assert campaign.messages.count() == 501

    page = confirm_send(admin_a, campaign, shown)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT  # nothing starts
    assert "The campaign changed since you looked" in page
    # ... and the confirmation is shown again with what would go out now.
    assert "Send campaigns?" in page
    cells = re.findall(r'<td class="num">(.*?)</td>', page)
    assert cells[0] == "501"
    assert cells[-1] == "<strong>1503</strong>"

    # Confirming what is now shown sends it.
    again = dict(re.findall(r'<input type="hidden" name="(letsads_[^"]+)" value="([^"]+)"', page))
    confirm_send(admin_a, campaign, again)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
    assert campaign.messages.filter(status=Status.PENDING).count() == 501


def test_confirming_what_was_shown_sends_it() -> None:
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    admin = login("a", superuser=True)

    confirm_send(admin, campaign, open_send(admin, campaign))

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING


def test_a_confirmation_posted_without_a_fingerprint_sends_nothing() -> None:
    campaign = make_campaign(numbers(3), state=Campaign.State.DRAFT)
    admin = login("a", superuser=True)

    page = confirm_send(admin, campaign, {})

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
    assert "The campaign changed since you looked" in page


def test_people_without_the_send_permission_cannot_edit_a_draft_being_confirmed() -> None:
    campaign = make_campaign(["380501234567"], text="Hi", state=Campaign.State.DRAFT)
    sender = login("a", superuser=True)
    editor = login("e", "view_campaign", "change_campaign", "add_campaign")

    assert edit(editor, campaign, text="Before").status_code == 302  # may edit a plain draft
    campaign.refresh_from_db()
    shown = open_send(sender, campaign)

    response = edit(editor, campaign, text="During " * 60)

    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.text == "Before"
    page = editor.get(reverse("admin:django_letsads_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200  # still viewable, read-only
    assert 'name="text"' not in page.content.decode()
    # The confirmation still holds, and sends what was shown.
    confirm_send(sender, campaign, shown)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
