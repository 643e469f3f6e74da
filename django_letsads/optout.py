"""The stop list: numbers that no campaign may send to, and the checks that enforce it.

A number is enforced twice: the recipient import leaves it out (and counts it), and the send
worker checks again when it claims messages (:func:`cancel_opted_out`), so a number that opts
out after the import, or while its campaign is sending, is never sent to. Such messages become
``cancelled`` with ``error_code="OPTED_OUT"`` and a history row.

Messages sent with ``send_sms`` are transactional (codes, receipts) and ignore the list unless the
caller passes ``respect_opt_out=True``.

Numbers are stored normalised like recipients (international digits), so ``"+380 50 123 45 67"``
and ``"0501234567"`` are the same entry. :func:`opt_out` and :func:`opt_in` send the
``opted_out`` / ``opted_in`` signals after their transaction commits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Count, Exists, OuterRef

from django_letsads.models import Message, OptOut
from django_letsads.phones import normalize
from django_letsads.status import Status
from django_letsads.transitions import notify, record_events

logger = logging.getLogger(__name__)

#: ``Message.error_code`` of campaign messages left unsent because the number opted out.
OPTED_OUT = "OPTED_OUT"

#: Numbers per lookup statement: well below SQLite's limit of bound parameters.
_LOOKUP_CHUNK = 2000


def opt_out(
    number: str, reason: str = "", source: str = "", *, campaign_id: int | None = None
) -> bool:
    """Put ``number`` (as people write it) on the stop list; True if it was not on it yet.

    Idempotent: a number already on the list keeps its first entry (reason, source, time).
    ``source`` is one of ``OptOut.Source`` (``link``, ``admin``, ``import``, ``api``; ``""`` means
    ``api``); ``campaign_id`` is the campaign whose link was followed. An invalid number raises
    :class:`~django_letsads.exceptions.InvalidRecipientError`, as ``send_sms`` validation does.
    """
    digits = normalize(number)
    return bool(add_many([(digits, reason)], source=source, campaign_id=campaign_id))


def add_many(
    entries: Sequence[tuple[str, str]], *, source: str = "", campaign_id: int | None = None
) -> list[str]:
    """Add ``entries`` (normalised number, reason); returns the numbers not on the list before.

    One lookup and one insert per chunk; the unique index settles a race with another writer.
    """
    source = source or OptOut.Source.API
    if source not in OptOut.Source.values:
        raise ValueError(
            f"source must be one of {', '.join(OptOut.Source.values)} (or empty), not {source!r}"
        )
    added: list[tuple[str, str]] = []
    with transaction.atomic():
        for start in range(0, len(entries), _LOOKUP_CHUNK):
            chunk = dict(reversed(entries[start : start + _LOOKUP_CHUNK]))  # first reason wins
            known = set(OptOut.objects.filter(number__in=chunk).values_list("number", flat=True))
            new = [(n, reason) for n, reason in chunk.items() if n not in known]
            OptOut.objects.bulk_create(
                [
                    OptOut(number=n, reason=reason[:255], source=source, campaign_id=campaign_id)
                    for n, reason in new
                ],
                ignore_conflicts=True,
            )
            added += new
        if added:
            transaction.on_commit(lambda: _announce_out(added, source, campaign_id))
    return [n for n, _ in added]


def opt_in(number: str) -> bool:
    """Take ``number`` off the stop list; True if it was on it."""
    digits = normalize(number)
    with transaction.atomic():
        deleted, _ = OptOut.objects.filter(number=digits).delete()
        if deleted:
            transaction.on_commit(lambda: _announce_in([digits]))
    return bool(deleted)


def remove_many(entries: Iterable[OptOut]) -> int:
    """Take the given entries off the list (the admin's delete), with an ``opted_in`` each."""
    with transaction.atomic():
        rows = OptOut.objects.select_for_update().filter(pk__in=[entry.pk for entry in entries])
        numbers = list(rows.values_list("number", flat=True))
        deleted, _ = OptOut.objects.filter(number__in=numbers).delete()
        if numbers:
            transaction.on_commit(lambda: _announce_in(numbers))
    return deleted


def is_opted_out(number: str) -> bool:
    """True when ``number`` (as people write it) is on the stop list."""
    return OptOut.objects.filter(number=normalize(number)).exists()


def opted_out_among(numbers: Sequence[str], connection: Any = None) -> set[str]:
    """Those of the normalised ``numbers`` that are on the stop list.

    Plain SQL on ``connection`` (default: the one for ``OptOut``), so that the import can run it
    on the connection it shares with its insert thread.
    """
    connection = connection or connections[router.db_for_read(OptOut)]
    table = connection.ops.quote_name(OptOut._meta.db_table)
    found: set[str] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(numbers), _LOOKUP_CHUNK):
            chunk = list(numbers[start : start + _LOOKUP_CHUNK])
            if connection.vendor == "postgresql":
                sql = f"SELECT number FROM {table} WHERE number = ANY(%s)"  # noqa: S608 - name from _meta
                cursor.execute(sql, [chunk])
            else:
                marks = ", ".join(["%s"] * len(chunk))
                sql = f"SELECT number FROM {table} WHERE number IN ({marks})"  # noqa: S608 - name from _meta, values bound
                cursor.execute(sql, chunk)
            found.update(row[0] for row in cursor.fetchall())
    return found


def cancel_opted_out(ids: list[int], now: datetime) -> list[int]:
    """The worker's check: cancel those pending campaign messages of ``ids`` whose number is on
    the stop list (``OPTED_OUT``, with history); returns the ids left to claim, in order.

    Runs inside the claim's transaction, on rows it has locked. One indexed semi-join per claim,
    whatever the size of the list.
    """
    if not ids:
        return ids
    stopped = _stopped_ids(ids)
    if not stopped:
        return ids
    Message.objects.filter(id__in=stopped, status=Status.PENDING).update(
        status=Status.CANCELLED,
        error_code=OPTED_OUT,
        error_message="The number is on the stop list.",
        final_at=now,
    )
    record_events(stopped, Status.PENDING, Status.CANCELLED, code=OPTED_OUT, when=now)
    notify(stopped, Status.PENDING, Status.CANCELLED, OPTED_OUT)
    logger.info("%d message(s) not sent: their numbers opted out", len(stopped))
    skip = set(stopped)
    return [pk for pk in ids if pk not in skip]


def _stopped_ids(ids: list[int]) -> list[int]:
    """Those of ``ids`` that are pending campaign messages to a listed number.

    Plain SQL, the ids as one array on PostgreSQL: the ORM's compiling of an ``IN`` of a claim's
    ids cost as much as running it, on the worker's coordinator thread.
    """
    connection = connections[router.db_for_write(Message)]
    quote = connection.ops.quote_name
    msg, opt = quote(Message._meta.db_table), quote(OptOut._meta.db_table)
    params: list[Any]
    if connection.vendor == "postgresql":
        # The array as the text of its literal: psycopg adapts a list element by element in
        # Python (see ``worker.pgsql.int_array``).
        where, params = "m.id = ANY(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"]
    else:
        where, params = f"m.id IN ({', '.join(['%s'] * len(ids))})", [*ids]
    sql = (
        f"SELECT m.id FROM {msg} m WHERE {where} AND m.status = %s "  # noqa: S608 - names from _meta, values bound
        f"AND m.campaign_id IS NOT NULL AND EXISTS (SELECT 1 FROM {opt} o WHERE o.number = m.recipient)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, Status.PENDING.value])
        return [int(row[0]) for row in cursor.fetchall()]


def pending_opted_out(campaign_ids: Iterable[int]) -> dict[int, int]:
    """Per campaign, pending messages whose number is on the stop list (they will be skipped)."""
    rows = (
        Message.objects.filter(campaign__in=list(campaign_ids), status=Status.PENDING)
        .filter(Exists(OptOut.objects.filter(number=OuterRef("recipient"))))
        .order_by()
        .values("campaign")
        .annotate(n=Count("id"))
        .values_list("campaign", "n")
    )
    return {int(campaign): int(n) for campaign, n in rows}


def _announce_out(entries: list[tuple[str, str]], source: str, campaign_id: int | None) -> None:
    from django_letsads.signals import opted_out

    if not opted_out.has_listeners(OptOut):
        return
    for number, reason in entries:
        opted_out.send(
            sender=OptOut, number=number, reason=reason, source=source, campaign_id=campaign_id
        )


def _announce_in(numbers: list[str]) -> None:
    from django_letsads.signals import opted_in

    if not opted_in.has_listeners(OptOut):
        return
    for number in numbers:
        opted_in.send(sender=OptOut, number=number)
