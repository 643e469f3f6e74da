"""The send worker's results: each batch's outcome written back to the messages it claimed.

Only rows still holding the round's ``claim_token`` are written, so a message a person has
meanwhile resent is never overwritten by a late answer (it is reported as stale instead); a row
the lease recovery already declared ``unknown`` still holds the token, so a late acceptance can
still attach its gateway id. Acceptances, nearly every answer, take one statement per write on
PostgreSQL (:func:`~django_letsads.worker.pgsql.write_queued`); anything else is rare and goes
through a plain lock-then-update.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from django_letsads.dispatch import BatchResult
from django_letsads.models import Message
from django_letsads.status import Status
from django_letsads.transitions import notify, record_events
from django_letsads.worker import pgsql
from django_letsads.worker.claimed import Claimed

logger = logging.getLogger(__name__)


@dataclass
class Applied:
    queued: int = 0
    failed: int = 0
    unknown: int = 0
    released: int = 0
    stale: int = 0


def apply_result(
    token: str,
    batch: Sequence[Claimed],
    result: BatchResult,
    *,
    release_unsent: bool,
    now: datetime | None = None,
) -> Applied:
    """Write a batch's outcome to its messages, in one transaction.

    ``release_unsent`` puts the recipients the gateway provably did not take (an account error,
    the gateway unreachable) back to ``pending`` instead of ``failed``.

    Only rows still holding ``token`` are written. A row the lease recovery already declared
    ``unknown`` still holds it, so a late answer can still attach its id; a row a person has
    meanwhile resent does not, and is reported as stale (a possible duplicate).
    """
    return apply_results(token, [(batch, result, release_unsent)], now=now)


def apply_results(
    token: str,
    items: Sequence[tuple[Sequence[Claimed], BatchResult, bool]],
    *,
    now: datetime | None = None,
) -> Applied:
    """:func:`apply_result` for several batches ``(batch, result, release_unsent)`` at once.

    One transaction and one statement of each kind for all of them: the send worker writes every
    batch that finished while it was busy together, so its database round trips per message fall
    as the load grows instead of capping the rate. The rules per message are those of
    :func:`apply_result`.
    """
    now = now or timezone.now()
    queued: dict[int, int] = {}
    others: dict[tuple[Status, str, str], list[int]] = defaultdict(list)
    for batch, result, release_unsent in items:
        outcomes = result.outcomes
        unsent = set(result.unsent) if release_unsent else set()
        # Message by message (a recipient's outcome is that of each of its messages): the
        # writer's CPU per message is mostly this loop.
        for pk, recipient, _, _, _ in batch:
            outcome = outcomes.get(recipient)
            if outcome is None:
                continue
            if outcome.status == Status.QUEUED and outcome.sms_id is not None:
                queued[pk] = outcome.sms_id
            else:
                status = Status.PENDING if recipient in unsent else outcome.status
                others[(status, outcome.error_code or "", outcome.reason)].append(pk)
    applied = Applied()
    stale: list[tuple[int, Status]] = []
    with transaction.atomic():
        if queued:
            accepted = _write_queued(queued, token, now)
            applied.queued = len(accepted)
            if len(accepted) < len(queued):
                stale += [(pk, Status.QUEUED) for pk in queued if pk not in accepted]
        # Anything but an acceptance is rare (errors): the plain lock-then-update will do.
        owned = _lock_owned([pk for ids in others.values() for pk in ids], token) if others else {}
        for (status, code, reason), ids in others.items():
            mine = [pk for pk in ids if pk in owned]
            stale += [(pk, status) for pk in ids if pk not in owned]
            if not mine:
                continue
            _write_other(mine, owned, status, code, reason, now)
            if status == Status.PENDING:
                applied.released += len(mine)
            elif status == Status.FAILED:
                applied.failed += len(mine)
            else:
                applied.unknown += len(mine)
    for pk, result_status in stale:
        logger.warning(
            "Message %s changed hands before its result (%s) arrived; it may have been resent.",
            pk,
            result_status,
        )
    applied.stale = len(stale)
    return applied


def _first_poll_at(now: datetime) -> datetime | None:
    from django_letsads.conf import letsads_settings

    schedule = letsads_settings.POLL_SCHEDULE
    return now + timedelta(seconds=schedule[0]) if schedule else None


def _by_old_status(ids: Iterable[int], owned: dict[int, str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for pk in ids:
        groups[owned[pk]].append(pk)
    return groups


def _lock_owned(ids: list[int], token: str) -> dict[int, str]:
    """Lock the ``ids`` still held under ``token``; returns their current status.

    Written out, as in :func:`~django_letsads.worker.claims.claim`: on SQLite every answer is locked here first.
    """
    if not ids:
        return {}
    connection = connections[router.db_for_write(Message)]
    msg, pk = map(connection.ops.quote_name, (Message._meta.db_table, "id"))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, status FROM {msg} WHERE {pk} IN ({', '.join(['%s'] * len(ids))}) "  # noqa: S608 - names from _meta, values bound
            f"AND claim_token = %s AND status IN (%s, %s){lock}",
            [*ids, token, Status.SENDING.value, Status.UNKNOWN.value],
        )
        return {int(row[0]): row[1] for row in cursor.fetchall()}


def _write_queued(queued: dict[int, int], token: str, now: datetime) -> set[int]:
    """Mark ``queued`` (message id → gateway id) accepted where the row still holds ``token``
    (``sending``, or ``unknown`` after an expired lease); returns the ids accepted.

    Written as SQL rather than ``update(sms_id=Case(When(...), ...))``: the ORM resolves and
    copies each ``When`` per row, which cost about a millisecond of CPU per message and made the
    worker's single coordinator thread, not the network, the bound of a campaign (see
    ``docs/benchmarks.rst``). The statement is the same: one ``CASE`` over the ids.
    """
    next_poll_at = _first_poll_at(now)
    if pgsql.applies():
        accepted: set[int] = set()
        rest = queued
        for old in (Status.SENDING, Status.UNKNOWN):
            ids = pgsql.write_queued(rest, token, old, now, next_poll_at)
            notify(ids, old, Status.QUEUED)
            accepted.update(ids)
            if len(ids) == len(rest):  # all of them (the usual case): nothing left to look for
                break
            rest = {pk: sms_id for pk, sms_id in rest.items() if pk not in accepted}
            if not rest:
                break
        return accepted
    owned = _lock_owned(list(queued), token)
    mine = {pk: sms_id for pk, sms_id in queued.items() if pk in owned}
    if not mine:
        return set()
    connection = connections[router.db_for_write(Message)]
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(mine))
    cases = " ".join(["WHEN %s THEN %s"] * len(mine))
    sql = (
        f"UPDATE {quote(Message._meta.db_table)} SET "  # noqa: S608 - names from _meta, values bound
        f"{quote('status')} = %s, {quote('sms_id')} = CASE {quote('id')} {cases} END, "
        f"{quote('sent_at')} = %s, {quote('next_poll_at')} = %s, "
        f"{quote('error_code')} = '', {quote('error_message')} = '' "
        f"WHERE {quote('id')} IN ({marks})"
    )
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [Status.QUEUED.value]
    for pk, sms_id in mine.items():
        params += [pk, sms_id]
    params += [adapt(now), adapt(next_poll_at), *mine]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for old_status, group in _by_old_status(mine, owned).items():
        record_events(group, old_status, Status.QUEUED, when=now)
        notify(group, old_status, Status.QUEUED)
    return set(mine)


def _write_other(
    ids: list[int], owned: dict[int, str], status: Status, code: str, reason: str, now: datetime
) -> None:
    fields: dict[str, object] = {"error_code": code[:64], "error_message": reason[:255]}
    if status == Status.PENDING:
        fields.update(claim_token="", claimed_at=None)
    elif status == Status.FAILED:
        fields["final_at"] = now
    Message.objects.filter(id__in=ids).update(status=status, **fields)
    for old, group in _by_old_status(ids, owned).items():
        if old != status:
            record_events(group, old, status, code=code, when=now)
            notify(group, old, status, code)
