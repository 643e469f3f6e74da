"""The send worker's hot statements: what one claim writes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_letsads.models import Message
from django_letsads.status import Status
from django_letsads.worker import claims
from tests.factories import make_campaign, numbers


@pytest.mark.django_db
def test_the_claim_writes_the_account_in_its_own_statement(settings):
    """One statement changes the claimed rows: a separate ``UPDATE … SET account`` per claim
    looked every claimed row up a second time, for a value it almost never changes."""
    campaign = make_campaign(numbers(30))
    Message.objects.filter(campaign=campaign).update(account="elsewhere")

    with CaptureQueriesContext(connection) as queries:
        claimed = claims.claim(50, "round-1", account="default")

    assert len(claimed) == 30
    table = Message._meta.db_table
    changes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("UPDATE", "WITH"))
        and f"UPDATE {table}" in q["sql"].replace('"', "")
    ]
    assert len(changes) == 1, changes
    assert set(Message.objects.values_list("status", "account")) == {(Status.SENDING, "default")}


@pytest.mark.django_db
def test_a_campaign_deleted_while_a_claim_runs_is_skipped(monkeypatch):
    """The claim reads the window's campaigns in a statement of its own: one deleted between the
    two (and committed by another connection) is not there any more, and the account's claim
    goes on with the others instead of failing the round."""
    from django_letsads import scheduling

    campaign = make_campaign(numbers(5))
    window = scheduling.claimable_campaigns

    def with_a_vanished_campaign(now=None):
        found = window(now)
        found.campaign_ids = [*found.campaign_ids, campaign.pk + 1000]
        return found

    monkeypatch.setattr(scheduling, "claimable_campaigns", with_a_vanished_campaign)

    claimed = claims.claim(50, "round-1", account="default")

    assert sorted(m.id for m in claimed) == sorted(
        Message.objects.filter(campaign=campaign).values_list("id", flat=True)
    )
