"""PostgreSQL statements for the send worker's two hot writes: claiming and accepting.

The ORM versions in :mod:`claims` are correct everywhere, but on PostgreSQL they cost a round
trip per statement and a bound parameter per id, and the coordinator thread (which does all the
database work while the pool does HTTP) became the bound of a campaign (``docs/benchmarks.rst``).
Here each write is one statement: ids travel as one array, and the history rows are inserted by
the same statement through a data-modifying CTE, so they can never disagree with the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router

from django_letsads.models import Message, StatusEvent
from django_letsads.status import Status

MSG = Message._meta.db_table
EV = StatusEvent._meta.db_table


def applies() -> bool:
    return connections[router.db_for_write(Message)].vendor == "postgresql"


def _execute(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connections[router.db_for_write(Message)].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def claim_rows(ids: list[int], token: str, now: datetime) -> list[tuple[Any, ...]]:
    """Mark the (already locked) pending ``ids`` as ``sending`` under ``token``, write their
    ``pending → sending`` events, and return ``(id, recipient, campaign_id, sender, text)``."""
    sql = f"""
        WITH upd AS (
            UPDATE {MSG} SET status = %s, claimed_at = %s, claim_token = %s
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
        [Status.SENDING, now, token, ids, Status.PENDING, Status.PENDING, Status.SENDING, now],
    )


def owned(ids: list[int], token: str) -> dict[int, str]:
    """Lock and return ``id → status`` of the ``ids`` still held under ``token``."""
    sql = f"""
        SELECT id, status FROM {MSG}
        WHERE id = ANY(%s::bigint[]) AND claim_token = %s AND status IN (%s, %s)
        FOR UPDATE
    """  # noqa: S608 - table names from _meta, every value bound
    return {
        int(pk): str(status)
        for pk, status in _execute(sql, [ids, token, Status.SENDING, Status.UNKNOWN])
    }


def write_queued(
    queued: dict[int, int], now: datetime, next_poll_at: datetime | None
) -> list[tuple[int, str]]:
    """Accept ``queued`` (message id → gateway id) and write one event per message from its
    previous status (``sending``, or ``unknown`` after an expired lease); returns
    ``(id, old status)`` of the rows changed. The rows must be locked by :func:`owned`."""
    sql = f"""
        WITH v AS (
            SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, sms_id)
        ), old AS (
            SELECT m.id, m.status FROM {MSG} m JOIN v ON v.id = m.id
        ), upd AS (
            UPDATE {MSG} m SET status = %s, sms_id = v.sms_id, sent_at = %s, next_poll_at = %s,
                error_code = '', error_message = ''
            FROM v JOIN old ON old.id = v.id
            WHERE m.id = v.id
            RETURNING m.id, old.status AS old_status
        ), ev AS (
            INSERT INTO {EV} (message_id, old_status, new_status, code, note, created_at)
            SELECT id, old_status, %s, '', '', %s FROM upd
        )
        SELECT id, old_status FROM upd
    """  # noqa: S608 - table names from _meta, every value bound
    rows = _execute(
        sql,
        [list(queued), list(queued.values()), Status.QUEUED, now, next_poll_at, Status.QUEUED, now],
    )
    return [(int(pk), str(old)) for pk, old in rows]
