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


def _wait_for_row_counts() -> None:
    """Let this connection's backend publish its row counts: PostgreSQL does so when the backend
    goes idle at least a second after it last did (else only after ten idle seconds)."""
    time.sleep(1.1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_an_import_since_the_last_analyze_makes_the_round_analyze_the_table_once():
    if connection.vendor != "postgresql":
        pytest.skip("statistics are PostgreSQL's")
    _wait_for_row_counts()
    pgsql.refresh_stale_statistics()  # whatever earlier tests left
    before = _last_analyze()
    make_campaign(numbers(pgsql.STALE_ROWS * 3))
    _wait_for_row_counts()

    assert pgsql.refresh_stale_statistics() is True
    assert _last_analyze() != before
    assert pgsql.refresh_stale_statistics() is False  # fresh now: no second ANALYZE


def test_a_few_new_rows_do_not_make_the_round_analyze():
    if connection.vendor != "postgresql":
        pytest.skip("statistics are PostgreSQL's")
    _wait_for_row_counts()  # earlier tests' rows, then start from fresh statistics
    pgsql.refresh_stale_statistics()
    make_campaign(numbers(20))
    _wait_for_row_counts()
    assert pgsql.refresh_stale_statistics() is False


def test_elsewhere_nothing_is_analysed():
    if connection.vendor == "postgresql":
        pytest.skip("the other databases' case")
    make_campaign(numbers(pgsql.STALE_ROWS * 3))
    assert pgsql.refresh_stale_statistics() is False


@pytest.mark.parametrize("worker", ["send", "poll"])
def test_a_round_after_an_import_analyses_the_table_before_claiming(worker, letsads_simulator):
    if connection.vendor != "postgresql":
        pytest.skip("statistics are PostgreSQL's")
    from django_letsads.worker import PollWorker, SendWorker

    _wait_for_row_counts()
    pgsql.refresh_stale_statistics()
    before = _last_analyze()
    make_campaign(numbers(pgsql.STALE_ROWS * 3))
    _wait_for_row_counts()

    (SendWorker(limit=1) if worker == "send" else PollWorker()).run_once()

    assert _last_analyze() != before
