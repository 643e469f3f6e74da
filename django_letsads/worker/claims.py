"""The send worker's claims: take messages to send, give back those never sent, recover lost ones.

The invariant that keeps money safe: a message is committed as ``sending`` (with this round's
``claim_token``) *before* its request goes out, and results are written back only to rows that
still carry that token (:mod:`~django_letsads.worker.outcomes`, whose names are also reachable
from here). A message whose request may have reached the gateway is never put back to
``pending`` by code; only a person can do that (``campaigns.resend_unknown``).
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connections, router, transaction
from django.utils import timezone

from django_letsads import optout, rendering, scheduling
from django_letsads.campaigns import pause_campaigns
from django_letsads.merge import has_placeholders
from django_letsads.models import Campaign, Message
from django_letsads.status import Status
from django_letsads.transitions import notify, record_events
from django_letsads.translit import outgoing_text
from django_letsads.worker import pgsql
from django_letsads.worker.claimed import Claimed
from django_letsads.worker.outcomes import Applied, apply_result, apply_results

__all__ = [
    "CLAIM_EXPIRED",
    "Applied",
    "Claimed",
    "apply_result",
    "apply_results",
    "claim",
    "pause_for_account_error",
    "recover_expired_claims",
    "release",
]

logger = logging.getLogger(__name__)

#: Error code of messages whose worker vanished while holding them.
CLAIM_EXPIRED = "CLAIM_EXPIRED"


def _skip_locked() -> bool:
    return connections[router.db_for_write(Message)].features.has_select_for_update_skip_locked


def claim(
    limit: int,
    token: str,
    *,
    now: datetime | None = None,
    after: dict[int | None, int] | None = None,
    account: str | None = None,
) -> list[Claimed]:
    """Commit up to ``limit`` sendable messages as ``sending`` under ``token``; oldest first.

    Pending messages are looked up per source (each sending campaign, and messages with no
    campaign) on the index ``(campaign, status, id)``, so a large draft campaign never slows the
    search; the sources are merged by id, which keeps global creation order. On PostgreSQL (and
    other databases with ``SKIP LOCKED``) concurrent workers skip each other's rows; elsewhere
    the guarded UPDATE below is the claim, and SQLite's database lock serialises it.

    ``after`` (source → last id claimed from it) lets a round continue where its previous claim
    ended instead of walking again over the index entries of rows it already claimed, which
    would make each claim of a million-row campaign slower than the last.

    Campaign messages to numbers on the stop list are cancelled instead of claimed
    (:func:`~django_letsads.optout.cancel_opted_out`), and campaign texts with placeholders are
    rendered per message (:func:`~django_letsads.rendering.render_claimed`), in the same
    transaction.

    ``account`` (an alias of ``settings.LETSADS``) claims only that account's work: messages of
    no campaign whose ``Message.account`` it is, and messages of campaigns whose
    ``Campaign.account`` it is; those get it as their ``Message.account`` in the claim's own
    statement, so the poller asks with the account that sent them. None claims every
    account's.
    """
    now = now or timezone.now()
    after = after or {}
    with transaction.atomic():
        # Quiet hours, expiry and paces decide which campaigns may give messages now.
        window = scheduling.claimable_campaigns(now)
        campaigns = _campaigns(window.campaign_ids)
        if account is not None:
            # A campaign deleted since the window was read is not in ``campaigns``: left out.
            mine = {pk for pk, c in campaigns.items() if c.account == account}
            window.campaign_ids = [pk for pk in window.campaign_ids if pk in mine]
        while True:
            ids = _sendable_ids(limit, after, window, account)
            if not ids:
                return []
            # Numbers on the stop list are cancelled here, before the claim; should a whole
            # claim be opted out, look further rather than report nothing left to send.
            ids = optout.cancel_opted_out(ids, now)
            if not ids:
                continue
            claimed, transliterated = _claim_ids(ids, token, now, account, campaigns)
            if window.paces:
                window.record(Counter(m.campaign_id for m in claimed))
            claimed = rendering.render_claimed(claimed, token, now, transliterated)
            if claimed:
                return claimed


class _Campaign(NamedTuple):
    sender: str
    text: str
    transliterate: bool
    account: str


def _campaigns(campaign_ids: list[int]) -> dict[int, _Campaign]:
    """What a claim needs of the campaigns ``campaign_ids``: one query, written out (the ORM's
    two cost more CPU than the claim's statements). Read once per claim, before its messages:
    the window's campaigns are sending, and a started campaign's sender, text and
    transliteration never change (``Campaign.save``). Its account may change while it is
    paused, so nothing here is kept beyond the claim."""
    if not campaign_ids:
        return {}
    connection = connections[router.db_for_write(Campaign)]
    table = connection.ops.quote_name(Campaign._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, sender, text, transliterate, account FROM {table} "  # noqa: S608 - a name from _meta, values bound
            f"WHERE id IN ({', '.join(['%s'] * len(campaign_ids))})",
            campaign_ids,
        )
        rows = cursor.fetchall()
    return {
        int(pk): _Campaign(sender, text, bool(translit), account)
        for pk, sender, text, translit, account in rows
    }


def _sendable_ids(
    limit: int,
    after: dict[int | None, int],
    window: scheduling.ClaimWindow,
    account: str | None = None,
) -> list[int]:
    sources: list[int | None] = [None, *window.campaign_ids]
    per_source: list[list[int]] = []
    connection = connections[router.db_for_write(Message)]
    msg, pk, status, campaign, account_ = map(
        connection.ops.quote_name,
        (Message._meta.db_table, "id", "status", "campaign_id", "account"),
    )
    lock = " FOR UPDATE SKIP LOCKED" if _skip_locked() else ""
    with connection.cursor() as cursor:
        for campaign_id in sources:
            # Written out rather than through the ORM: compiling the query and turning each row
            # into a Python value was a good part of the coordinator's CPU per claim.
            conditions = [f"{status} = %s"]
            params: list[Any] = [Status.PENDING.value]
            if campaign_id is None:
                conditions.append(f"{campaign} IS NULL")
                if account is not None:
                    conditions.append(f"{account_} = %s")
                    params.append(account)
                size = limit
            else:
                conditions.append(f"{campaign} = %s")
                params.append(campaign_id)
                size = window.limit(campaign_id, limit)
            if campaign_id in after:
                conditions.append(f"{pk} > %s")
                params.append(after[campaign_id])
            cursor.execute(
                f"SELECT {pk} FROM {msg} WHERE {' AND '.join(conditions)} "  # noqa: S608 - names from _meta, values bound
                f"ORDER BY {pk} LIMIT %s{lock}",
                [*params, size],
            )
            per_source.append([row[0] for row in cursor.fetchall()])
    return list(heapq.merge(*per_source))[:limit]


def _claim_ids(
    ids: list[int],
    token: str,
    now: datetime,
    account: str | None,
    campaigns: dict[int, _Campaign],
) -> tuple[list[Claimed], set[int]]:
    """Mark ``ids`` as ``sending`` under ``token``, with their ``pending → sending`` events.

    ``account`` (when the round claims one account's work) is written as each message's
    ``Message.account`` by the same statement: the campaign's account may change while it is
    paused, so it is taken at the claim. The search only found messages of no campaign that
    already have it, so only campaign messages can change; a statement of its own for them
    cost every claimed row a second index lookup (``docs/benchmarks.rst``).
    """
    if pgsql.applies():
        rows = pgsql.claim_rows(ids, token, now, account)
    else:
        # Written out: the ORM's preparing of each id of an ``IN`` list cost more CPU than
        # SQLite's running of the statements.
        connection = connections[router.db_for_write(Message)]
        msg, id_ = map(connection.ops.quote_name, (Message._meta.db_table, "id"))
        marks = ", ".join(["%s"] * len(ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {msg} SET status = %s, claimed_at = %s, claim_token = %s, "  # noqa: S608 - names from _meta, values bound
                f"account = COALESCE(%s, account) WHERE {id_} IN ({marks}) AND status = %s",
                [
                    Status.SENDING.value,
                    connection.ops.adapt_datetimefield_value(now),
                    token,
                    account,
                    *ids,
                    Status.PENDING.value,
                ],
            )
            # Select by these ids *and* the token: a round claims several times under one
            # token, and rows of its earlier claims still in flight must not be handed out again.
            cursor.execute(
                f"SELECT {id_}, recipient, campaign_id, sender, text FROM {msg} "  # noqa: S608 - names from _meta, values bound
                f"WHERE {id_} IN ({marks}) AND claim_token = %s AND status = %s ORDER BY {id_}",
                [*ids, token, Status.SENDING.value],
            )
            rows = cursor.fetchall()
        record_events([row[0] for row in rows], Status.PENDING, Status.SENDING, when=now)
    # Per campaign, what its messages go out with; the texts rendered per message are
    # transliterated after rendering (last, as sent).
    sent_as: dict[int, tuple[str, str]] = {}
    transliterated: set[int] = set()
    for pk in {row[2] for row in rows} - {None}:
        campaign = campaigns[pk]
        text = campaign.text
        if campaign.transliterate and has_placeholders(text):
            transliterated.add(pk)
        else:
            text = outgoing_text(campaign.transliterate, text)
        sent_as[pk] = (campaign.sender, text)
    notify([row[0] for row in rows], Status.PENDING, Status.SENDING)
    # Straight from the rows (``id, recipient, campaign_id, sender, text``): per message, the
    # claim's CPU is mostly the making of these.
    make = Claimed._make
    claimed = [make(row if row[2] is None else (*row[:3], *sent_as[row[2]])) for row in rows]
    return claimed, transliterated


def release(token: str, ids: Sequence[int], *, code: str = "", note: str = "") -> int:
    """Put claimed messages whose request never went out back to ``pending``."""
    if not ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        owned = list(
            Message.objects.select_for_update()
            .filter(id__in=ids, claim_token=token, status=Status.SENDING)
            .values_list("id", flat=True)
        )
        if not owned:
            return 0
        count = Message.objects.filter(id__in=owned).update(
            status=Status.PENDING, claim_token="", claimed_at=None
        )
        record_events(owned, Status.SENDING, Status.PENDING, code=code, note=note, when=now)
        notify(owned, Status.SENDING, Status.PENDING, code)
    return count


def pause_for_account_error(campaign_ids: Iterable[int], code: str, message: str) -> int:
    """Pause the campaigns whose messages an account-level error stopped (reason shown in admin)."""
    return pause_campaigns({pk for pk in campaign_ids if pk is not None}, f"{code}: {message}")


def recover_expired_claims(lease_seconds: int, *, now: datetime | None = None) -> int:
    """Declare ``unknown`` the messages held as ``sending`` longer than the lease.

    Their worker died or hung mid-request: the gateway may or may not have queued them, so they
    are never resent automatically. Rows a live worker is writing right now are skipped.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds)
    with transaction.atomic():
        qs = Message.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff)
        if _skip_locked():
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ids = list(qs.order_by().values_list("id", flat=True)[:10000])
        if not ids:
            return 0
        count = Message.objects.filter(id__in=ids, status=Status.SENDING).update(
            status=Status.UNKNOWN,
            error_code=CLAIM_EXPIRED,
            error_message="The worker holding this message stopped before its fate was known.",
        )
        record_events(ids, Status.SENDING, Status.UNKNOWN, code=CLAIM_EXPIRED, when=now)
        notify(ids, Status.SENDING, Status.UNKNOWN, CLAIM_EXPIRED)
    logger.warning("%d message(s) held past the claim lease are now unknown", count)
    return count
