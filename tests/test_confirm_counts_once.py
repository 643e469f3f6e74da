"""A confirm of Send campaign counts a personalised campaign's figures once.

Before, one confirm POST computed them three times: for the cost estimate, for the fingerprint
(under the campaign lock) and again while leaving recipients out. Now they are computed once,
under the lock, and serve all three; the fingerprint check still refuses a changed campaign
(``tests/test_admin_personalised.py``, ``tests/test_admin_confirmation.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from django_letsads import campaigns, field_stats, leaving_out, personalisation
from django_letsads.models import Campaign, Message
from django_letsads.status import Status
from tests.test_admin_personalised import FILLER, ROWS, campaign_with, confirm, hidden, open_send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

#: Recipients who all get a text: nobody is left out.
EVERYONE_SENT = ROWS[:4]


def reads_values(queries: CaptureQueriesContext) -> int:
    """The queries that read recipients' values (``Message.data``'s fields) from the database."""
    marker = "JSON_TYPE(" if connection.vendor == "sqlite" else "->>"
    return sum(marker in query["sql"] for query in queries.captured_queries)


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[list[bool]]:
    """The ways of sending each computation of the figures counted, one list per call."""
    calls: list[list[bool]] = []
    real = personalisation.distributions

    def counted(campaign: Campaign, modes: Sequence[bool], **kwargs: Any) -> Any:
        calls.append(list(modes))
        return real(campaign, modes, **kwargs)

    monkeypatch.setattr(personalisation, "distributions", counted)
    return calls


def test_a_confirm_computes_the_figures_once(
    superuser_client: Client, computations: list[list[bool]]
) -> None:
    campaign = campaign_with(FILLER + ", {name}", EVERYONE_SENT)
    shown = hidden(open_send(superuser_client, campaign))
    computations.clear()

    with CaptureQueriesContext(connection) as queries:
        confirm(superuser_client, campaign, shown)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
    assert computations == [[False]]  # once, as it sends; the other choice is not needed
    # Nothing else reads the values: only the action's check for unknown fields and that one.
    with CaptureQueriesContext(connection) as expected:
        field_stats.unknown_fields(campaign)
        personalisation.distributions(campaign, [False])
    assert reads_values(queries) == reads_values(expected)


def test_a_refused_confirm_shows_the_figures_counted_under_the_lock(
    superuser_client: Client, computations: list[list[bool]]
) -> None:
    campaign = campaign_with(FILLER + ", {name}", EVERYONE_SENT)
    shown = hidden(open_send(superuser_client, campaign))
    Message.objects.filter(campaign=campaign).first().delete()  # type: ignore[union-attr]
    computations.clear()

    page = confirm(superuser_client, campaign, shown)

    assert "The campaign changed since you looked" in page
    # As sent, under the lock; then only the other choice (transliterated), for the page.
    assert computations == [[False], [True]]
    assert Message.objects.filter(campaign=campaign, status=Status.PENDING).count() == 3


def test_leaving_out_with_figures_that_leave_nobody_out_reads_nothing() -> None:
    campaign = campaign_with(FILLER + ", {name}", EVERYONE_SENT)
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        counted = personalisation.text_distribution(campaign)
        with CaptureQueriesContext(connection) as queries:
            left_out = leaving_out.leave_out(campaign, counted)

    assert left_out == leaving_out.LeftOut()
    assert len(queries) == 0


def test_leaving_out_with_figures_still_cancels_what_they_count() -> None:
    campaign = campaign_with(FILLER + ", {name}", ROWS)
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        counted = personalisation.text_distribution(campaign)
        left_out = leaving_out.leave_out(campaign, counted)

    assert left_out == leaving_out.LeftOut(missing=2, too_long=1)
    assert (counted.missing, counted.too_long) == (2, 1)


@pytest.mark.django_db(transaction=True)
def test_figures_from_outside_the_starting_transaction_are_refused() -> None:
    campaign = campaign_with("Hi {name}", [{"name": "Ann"}])
    counted = personalisation.text_distribution(campaign)

    with pytest.raises(ValueError, match="caller's transaction"):
        campaigns.start_campaign(campaign.pk, counted=counted)

    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DRAFT
