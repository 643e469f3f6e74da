"""PostgreSQL statements for the send worker's two hot writes: claiming and accepting.

The ORM versions in :mod:`claims` are correct everywhere, but on PostgreSQL they cost a round
trip per statement and a bound parameter per id, and the coordinator thread (which does all the
database work while the pool does HTTP) became the bound of a campaign (``docs/benchmarks.rst``).
Here each write is one statement: ids travel as one array, and the history rows are inserted by
the same statement through a data-modifying CTE, so they can never disagree with the change.
Also here: keeping the planner's statistics of the message table fresh enough for those
statements to be planned on the indexes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router

from django_letsads.models import Message, StatusEvent
from django_letsads.status import Status

logger = logging.getLogger(__name__)

MSG = Message._meta.db_table
EV = StatusEvent._meta.db_table


def applies() -> bool:
    return connections[router.db_for_write(Message)].vendor == "postgresql"


def int_array(values: Iterable[int]) -> str:
    """``values`` as the text of a PostgreSQL array literal, for a ``%s::bigint[]`` parameter.

    psycopg adapts a Python list element by element in Python (a few microseconds each); the
    worker passes arrays of every claim's ids several times per message sent, so their text is
    built here in one ``join``. Only integers go in, so the literal needs no quoting.
    """
    return "{" + ",".join(map(str, map(int, values))) + "}"


def _execute(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connections[router.db_for_write(Message)].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


#: Like autovacuum's defaults (50 rows + 10 %), with a higher floor so that a ``--loop`` over a
#: small outbox does not analyse every few rounds.
STALE_ROWS = 1000
STALE_FRACTION = 0.1


def refresh_stale_statistics() -> bool:
    """``ANALYZE`` the message table if it changed enough for autovacuum to do so, but it has not.

    Right after an import of a campaign the planner still believes the table is as it was (empty,
    on a new installation), and plans the claims as if it were: a sequential scan of every message
    per claim, which made the first minute of a 100,000-recipient campaign several times slower
    until autovacuum caught up (``docs/benchmarks.rst``). One catalogue query per round decides;
    ``ANALYZE`` reads a fixed sample (about 30,000 rows), whatever the table's size. Without the
    right to analyse the table PostgreSQL only warns and the round goes on. Elsewhere: nothing.
    """
    if not applies():
        return False
    with connections[router.db_for_write(Message)].cursor() as cursor:
        cursor.execute(
            "SELECT greatest(c.reltuples, 0), s.n_mod_since_analyze FROM pg_class c "
            "JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = %s::regclass",
            [MSG],
        )
        row = cursor.fetchone()
        if row is None:
            return False
        rows, changed = row
        if changed < STALE_ROWS + STALE_FRACTION * rows:
            return False
        cursor.execute(f"ANALYZE {MSG}")
    logger.info("Analysed %s: %d rows changed since its statistics were taken", MSG, changed)
    return True


def claim_rows(
    ids: list[int], token: str, now: datetime, account: str | None = None
) -> list[tuple[Any, ...]]:
    """Mark the (already locked) pending ``ids`` as ``sending`` under ``token`` (and, unless
    ``account`` is None, as sent with that account), write their ``pending → sending`` events,
    and return ``(id, recipient, campaign_id, sender, text)``."""
    sql = f"""
        WITH upd AS (
            UPDATE {MSG} SET status = %s, claimed_at = %s, claim_token = %s,
                account = COALESCE(%s, account)
            WHERE id = ANY(%s::bigint[]) AND status = %s
            RETURNING id, recipient, campaign_id, sender, text
        ), ev AS (
            INSERT INTO {EV} (message_id, old_status, new_status, code, note, created_at)
            SELECT id, %s, %s, '', '', %s FROM upd
        )
        SELECT id, recipient, campaign_id, sender, text FROM upd ORDER BY id
    """  # noqa: S608 - table names from _meta, every value bound
    return _execute(
        sql,
        [
            Status.SENDING,
            now,
            token,
            account,
            int_array(ids),
            Status.PENDING,
            Status.PENDING,
            Status.SENDING,
            now,
        ],
    )


def write_queued(
    queued: dict[int, int],
    token: str,
    from_status: str,
    now: datetime,
    next_poll_at: datetime | None,
) -> list[int]:
    """Accept those of ``queued`` (message id → gateway id) still held in ``from_status`` under
    ``token``, with one ``from_status → queued`` event each; returns the ids changed.

    The condition is the lock: no ``SELECT … FOR UPDATE`` first. PostgreSQL re-checks it on the
    newest version of a row another transaction changed meanwhile, so a row the lease recovery
    has just made ``unknown`` is left alone here (and accepted by the call for ``unknown``), and
    its event always names the status it really left.
    """
    sql = f"""
        WITH upd AS (
            UPDATE {MSG} m SET status = %s, sms_id = v.sms_id, sent_at = %s, next_poll_at = %s,
                error_code = '', error_message = ''
            FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, sms_id)
            WHERE m.id = v.id AND m.claim_token = %s AND m.status = %s
            RETURNING m.id
        ), ev AS (
            INSERT INTO {EV} (message_id, old_status, new_status, code, note, created_at)
            SELECT id, %s, %s, '', '', %s FROM upd
        )
        SELECT id FROM upd
    """  # noqa: S608 - table names from _meta, every value bound
    rows = _execute(
        sql,
        [
            Status.QUEUED,
            now,
            next_poll_at,
            int_array(queued),
            int_array(queued.values()),
            token,
            from_status,
            from_status,
            Status.QUEUED,
            now,
        ],
    )
    return [int(pk) for (pk,) in rows]


def write_polled(
    rows: Sequence[tuple[Any, ...]], changes: Sequence[tuple[int, str, str, str]], now: datetime
) -> None:
    """Write poll answers: ``rows`` are ``(id, status, poll_count, poll_failures, next_poll_at,
    final_at, gateway_status, error_code, error_message)``, ``changes`` ``(id, old status, new
    status, code)`` of the rows whose status changes, each with its event.

    One statement of constant text, the rows as one JSON document: written with ``CASE`` per
    column (what the other databases get), a chunk of 500 answers was a statement with 8,000
    parameters, whose splitting and quoting in psycopg cost more CPU than the HTTP requests.
    """
    data = json.dumps(
        [
            [pk, status, polls, failures, _iso(next_at), _iso(final), gateway, code, message]
            for pk, status, polls, failures, next_at, final, gateway, code, message in rows
        ]
    )
    events = json.dumps(changes)
    sql = f"""
        WITH v AS (
            SELECT (r->>0)::bigint AS id, r->>1 AS status, (r->>2)::smallint AS poll_count,
                (r->>3)::smallint AS poll_failures, (r->>4)::timestamptz AS next_poll_at,
                (r->>5)::timestamptz AS final_at, r->>6 AS gateway_status, r->>7 AS error_code,
                r->>8 AS error_message
            FROM jsonb_array_elements(%s::jsonb) AS r
        ), upd AS (
            UPDATE {MSG} m SET status = v.status, poll_count = v.poll_count,
                poll_failures = v.poll_failures, next_poll_at = v.next_poll_at,
                final_at = v.final_at, gateway_status = v.gateway_status,
                error_code = v.error_code, error_message = v.error_message
            FROM v WHERE m.id = v.id
            RETURNING m.id
        )
        INSERT INTO {EV} (message_id, old_status, new_status, code, note, created_at)
        SELECT (e->>0)::bigint, e->>1, e->>2, e->>3, '', %s
        FROM jsonb_array_elements(%s::jsonb) AS e JOIN upd ON upd.id = (e->>0)::bigint
    """  # noqa: S608 - table names from _meta, every value bound
    with connections[router.db_for_write(Message)].cursor() as cursor:
        cursor.execute(sql, [data, now, events])


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
