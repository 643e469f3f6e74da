"""Deleting campaigns: their messages and history go with them, in a few statements at any size,
never while a worker is sending them; the admin asks first, with counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.signals import pre_delete
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_letsads.campaigns import delete_campaign
from django_letsads.models import Campaign, Message, StatusEvent
from django_letsads.status import Status
from django_letsads.transitions import change_status
from tests.factories import make_campaign, numbers, staff_client

pytestmark = pytest.mark.django_db


def finished(count: int, start: int = 0) -> Campaign:
    """A done campaign whose messages have a history (pending → cancelled)."""
    campaign = make_campaign(numbers(count, start), state=Campaign.State.DONE)
    change_status(campaign.messages.all(), Status.PENDING, Status.CANCELLED, note="test")
    return campaign


def queries_to_delete(campaign: Campaign) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert delete_campaign(campaign.pk).deleted
    return len(queries)


def test_a_campaign_goes_with_its_messages_and_their_history_and_nothing_else():
    doomed, kept = finished(20), finished(5, start=100)

    result = delete_campaign(doomed.pk)

    assert (result.deleted, result.messages) == (True, 20)
    assert not Campaign.objects.filter(pk=doomed.pk).exists()
    assert not Message.objects.filter(campaign_id=doomed.pk).exists()
    assert StatusEvent.objects.count() == 5  # the kept campaign's history only
    assert kept.messages.count() == 5


def test_the_number_of_statements_does_not_grow_with_the_campaign():
    assert queries_to_delete(finished(500)) == queries_to_delete(finished(5, start=1000))


def test_a_connected_delete_receiver_is_called_for_every_message():
    seen: list[int] = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    campaign = finished(4)
    ids = sorted(campaign.messages.values_list("pk", flat=True))
    pre_delete.connect(receiver, sender=Message)
    try:
        assert delete_campaign(campaign.pk).messages == 4
    finally:
        pre_delete.disconnect(receiver, sender=Message)

    assert sorted(seen) == ids
    assert not StatusEvent.objects.exists()


def test_a_sending_campaign_is_kept():
    campaign = make_campaign(numbers(3), state=Campaign.State.SENDING)

    result = delete_campaign(campaign.pk)

    assert not result.deleted
    assert "pause or cancel" in result.reason
    assert campaign.messages.count() == 3


def test_a_campaign_with_messages_in_flight_is_kept():
    campaign = make_campaign(numbers(3), state=Campaign.State.PAUSED)
    Message.objects.filter(pk=campaign.messages.first().pk).update(status=Status.SENDING)

    result = delete_campaign(campaign.pk)

    assert not result.deleted
    assert "a worker is sending" in result.reason
    assert campaign.messages.count() == 3


# -- the admin --------------------------------------------------------------------------------


def delete_url(campaign: Campaign) -> str:
    return reverse("admin:django_letsads_campaign_delete", args=[campaign.pk])


def test_admin_confirmation_counts_the_messages_instead_of_listing_them(admin_client):
    campaign = finished(30)

    page = admin_client.get(delete_url(campaign)).content.decode()

    assert "with 30 messages and their history" in page
    assert "380500000007" not in page  # no line per message
    assert "Cannot delete" not in page


def test_admin_deletes_a_campaign_with_its_messages(admin_client):
    campaign = finished(30)

    response = admin_client.post(delete_url(campaign), {"post": "yes"})

    assert response.status_code == 302
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not Message.objects.exists()
    assert not StatusEvent.objects.exists()


def test_admin_refuses_to_delete_a_sending_campaign(admin_client):
    campaign = make_campaign(numbers(3), state=Campaign.State.SENDING)

    page = admin_client.get(delete_url(campaign)).content.decode()
    response = admin_client.post(delete_url(campaign), {"post": "yes"})

    assert "Cannot delete" in page
    assert "pause or cancel it first" in page
    assert "Cannot delete" in response.content.decode()  # the same page again, nothing done
    assert campaign.messages.count() == 3


def test_admin_bulk_delete_takes_every_selected_campaign(admin_client):
    first, second, kept = finished(3), finished(4, start=10), finished(2, start=20)

    response = admin_client.post(
        reverse("admin:django_letsads_campaign_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(Campaign.objects.values_list("pk", flat=True)) == [kept.pk]
    assert Message.objects.count() == 2


def test_admin_delete_needs_the_delete_permission():
    client = staff_client("view_campaign", "change_campaign", name="editor")
    campaign = finished(3)

    response = client.post(delete_url(campaign), {"post": "yes"})

    assert response.status_code == 403
    assert campaign.messages.count() == 3


def test_admin_says_why_in_the_users_language(admin_client):
    campaign = make_campaign(numbers(3), state=Campaign.State.SENDING)

    page = admin_client.get(delete_url(campaign), HTTP_ACCEPT_LANGUAGE="uk").content.decode()

    assert "спершу призупиніть" in page


def test_admin_bulk_confirmation_queries_do_not_grow_with_the_campaigns(admin_client):
    def confirmation_queries(campaigns: list[Campaign]) -> int:
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.post(
                reverse("admin:django_letsads_campaign_changelist"),
                {"action": "delete_selected", "_selected_action": [c.pk for c in campaigns]},
            ).content.decode()
        assert "and their history" in page
        return len(queries)

    few = [finished(2, start=10 * i) for i in range(2)]
    many = [finished(2, start=100 + 10 * i) for i in range(6)]

    assert confirmation_queries(few) == confirmation_queries(many)
