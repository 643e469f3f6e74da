"""The send and poll rounds refresh the planner's statistics of the message table when stale."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from django_letsads.models import Message
from django_letsads.worker import pgsql
from tests.factories import make_campaign, numbers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _last_analyze() -> object:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
            "WHERE relid = %s::regclass",
            [Message._meta.db_table],
        )
        return cursor.fetchone()[0]


def test_an_import_since_the_last_analyze_makes_the_round_analyze_the_table_once():
    if connection.vendor != "postgresql":
        pytest.skip("statistics are PostgreSQL's")
    pgsql.refresh_stale_statistics()  # whatever earlier tests left
    before = _last_analyze()
    make_campaign(numbers(pgsql.STALE_ROWS + 500))

    # PostgreSQL publishes a backend's row counts within about a second of its commit.
    deadline = time.monotonic() + 5
    analysed = pgsql.refresh_stale_statistics()
    while not analysed and time.monotonic() < deadline:
        time.sleep(0.2)
        analysed = pgsql.refresh_stale_statistics()

    assert analysed
    assert _last_analyze() != before
    assert pgsql.refresh_stale_statistics() is False  # fresh now: no second ANALYZE


def test_a_few_new_rows_do_not_make_the_round_analyze():
    if connection.vendor != "postgresql":
        pytest.skip("statistics are PostgreSQL's")
    time.sleep(1.2)  # let earlier tests' row counts arrive, then start from fresh statistics
    pgsql.refresh_stale_statistics()
    make_campaign(numbers(20))
    time.sleep(1.2)
    assert pgsql.refresh_stale_statistics() is False


def test_elsewhere_nothing_is_analysed():
    if connection.vendor == "postgresql":
        pytest.skip("the other databases' case")
    make_campaign(numbers(pgsql.STALE_ROWS + 500))
    assert pgsql.refresh_stale_statistics() is False
