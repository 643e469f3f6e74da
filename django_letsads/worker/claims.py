"""The send worker's database side: claim, apply results, release, recover.

The invariant that keeps money safe: a message is committed as ``sending`` (with this round's
``claim_token``) *before* its request goes out, and results are written back only to rows that
still carry that token. A message whose request may have reached the gateway is never put back to
``pending`` by code; only a person can do that (``campaigns.resend_unknown``).
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from django_letsads import optout, rendering, scheduling
from django_letsads.campaigns import pause_campaigns
from django_letsads.dispatch import BatchResult
from django_letsads.merge import has_placeholders
from django_letsads.models import Campaign, Message
from django_letsads.status import Status
from django_letsads.transitions import notify, record_events
from django_letsads.translit import outgoing_text
from django_letsads.worker import pgsql

logger = logging.getLogger(__name__)

#: Error code of messages whose worker vanished while holding them.
CLAIM_EXPIRED = "CLAIM_EXPIRED"


@dataclass(frozen=True)
class Claimed:
    """A claimed message, as much of it as sending needs (no model instance)."""

    id: int
    recipient: str
    campaign_id: int | None
    sender: str
    text: str


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
    ``Campaign.account`` it is; those get it as their ``Message.account`` in the same
    transaction, so the poller asks with the account that sent them. None claims every
    account's.
    """
    now = now or timezone.now()
    after = after or {}
    with transaction.atomic():
        # Quiet hours, expiry and paces decide which campaigns may give messages now.
        window = scheduling.claimable_campaigns(now)
        if account is not None:
            window.campaign_ids = account_campaigns(window.campaign_ids, account)
        while True:
            ids = _sendable_ids(limit, after, window, account)
            if not ids:
                return []
            # Numbers on the stop list are cancelled here, before the claim; should a whole
            # claim be opted out, look further rather than report nothing left to send.
            ids = optout.cancel_opted_out(ids, now)
            if not ids:
                continue
            claimed, transliterated = _claim_ids(ids, token, now)
            if account is not None:
                stamp_account([m.id for m in claimed if m.campaign_id is not None], account)
            window.record(Counter(m.campaign_id for m in claimed))
            claimed = rendering.render_claimed(claimed, token, now, transliterated)
            if claimed:
                return claimed


def account_campaigns(campaign_ids: list[int], account: str) -> list[int]:
    """Those of ``campaign_ids`` (in their order) that send with the account ``account``."""
    if not campaign_ids:
        return []
    mine = set(
        Campaign.objects.filter(pk__in=campaign_ids, account=account).values_list("pk", flat=True)
    )
    return [pk for pk in campaign_ids if pk in mine]


def stamp_account(ids: list[int], account: str) -> None:
    """Record on claimed campaign messages the account that sends them (``Message.account``):
    the campaign's account may change while it is paused, so it is taken at the claim."""
    if ids:
        Message.objects.filter(id__in=ids).exclude(account=account).update(account=account)


def _sendable_ids(
    limit: int,
    after: dict[int | None, int],
    window: scheduling.ClaimWindow,
    account: str | None = None,
) -> list[int]:
    sources: list[int | None] = [None, *window.campaign_ids]
    per_source: list[list[int]] = []
    for campaign_id in sources:
        qs = Message.objects.filter(status=Status.PENDING)
        if campaign_id is None:
            qs = qs.filter(campaign__isnull=True)
            if account is not None:
                qs = qs.filter(account=account)
            size = limit
        else:
            qs = qs.filter(campaign_id=campaign_id)
            size = window.limit(campaign_id, limit)
        if campaign_id in after:
            qs = qs.filter(id__gt=after[campaign_id])
        qs = qs.order_by("id")
        if _skip_locked():
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        per_source.append(list(qs.values_list("id", flat=True)[:size]))
    return list(heapq.merge(*per_source))[:limit]


def _claim_ids(ids: list[int], token: str, now: datetime) -> tuple[list[Claimed], set[int]]:
    if pgsql.applies():
        rows = pgsql.claim_rows(ids, token, now)
    else:
        Message.objects.filter(id__in=ids, status=Status.PENDING).update(
            status=Status.SENDING, claimed_at=now, claim_token=token
        )
        # Select by these ids *and* the token: a round claims several times under one
        # token, and rows of its earlier claims still in flight must not be handed out again.
        rows = list(
            Message.objects.filter(id__in=ids, claim_token=token, status=Status.SENDING)
            .order_by("id")
            .values_list("id", "recipient", "campaign_id", "sender", "text")
        )
        record_events([row[0] for row in rows], Status.PENDING, Status.SENDING, when=now)
    campaigns: dict[int, tuple[str, str]] = {}
    #: Campaigns whose texts are rendered per message, then transliterated (last, as sent).
    transliterated: set[int] = set()
    for pk, sender, text, translit in Campaign.objects.filter(
        pk__in={row[2] for row in rows if row[2] is not None}
    ).values_list("id", "sender", "text", "transliterate"):
        if translit and has_placeholders(text):
            transliterated.add(pk)
        else:
            text = outgoing_text(translit, text)
        campaigns[pk] = (sender, text)
    notify([row[0] for row in rows], Status.PENDING, Status.SENDING)
    claimed = []
    for pk, recipient, campaign_id, sender, text in rows:
        if campaign_id is not None:
            sender, text = campaigns[campaign_id]
        claimed.append(Claimed(pk, recipient, campaign_id, sender, text))
    return claimed, transliterated


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
        by_recipient: dict[str, list[Claimed]] = defaultdict(list)
        for message in batch:
            by_recipient[message.recipient].append(message)
        unsent = set(result.unsent) if release_unsent else set()
        for recipient, outcome in result.outcomes.items():
            for message in by_recipient.get(recipient, ()):
                if outcome.status == Status.QUEUED and outcome.sms_id is not None:
                    queued[message.id] = outcome.sms_id
                else:
                    status = Status.PENDING if recipient in unsent else outcome.status
                    others[(status, outcome.error_code or "", outcome.reason)].append(message.id)
    applied = Applied()
    stale: list[tuple[int, Status]] = []
    with transaction.atomic():
        if queued:
            accepted = _write_queued(queued, token, now)
            applied.queued = len(accepted)
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
    """Lock the ``ids`` still held under ``token``; returns their current status."""
    return dict(
        Message.objects.select_for_update()
        .filter(id__in=ids, claim_token=token, status__in=(Status.SENDING, Status.UNKNOWN))
        .values_list("id", "status")
    )


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
