"""Keeping the Send confirmation true until it is confirmed.

An admin opens **Send campaign** (1 recipient, 1 segment); someone else then edits the draft (a
450-character text, 500 more numbers); the admin confirms, and 501 recipients times 3 segments go out. Two
guards:

* :func:`send_fingerprint` digests what the page showed of a campaign (text, sender, recipients
  to send to, and for a personalised text the segments, distinct texts and recipients left
  out). The page posts it back; the action recomputes it with the campaign row locked
  (:func:`lock_selection`, which counts everything the confirm needs once) and starts nothing
  if it differs ("the campaign changed since you looked").
* While a confirmation page is open (:data:`HOLD_SECONDS` at most), users without the send
  permission cannot change that draft: :func:`hold` marks it in Django's cache, which
  ``CampaignAdmin.has_change_permission`` asks through :func:`is_held`. With a per-process cache
  (``LocMemCache``) the mark is seen only by the process that showed the page; the fingerprint
  holds everywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.http import QueryDict
from django.utils.crypto import constant_time_compare

from django_letsads import optout
from django_letsads.campaigns import status_counts
from django_letsads.distribution import TextDistribution
from django_letsads.models import Campaign
from django_letsads.personalisation import text_distribution
from django_letsads.pricing import is_personalised
from django_letsads.status import Status

#: How long an open confirmation keeps a draft from being edited by people who cannot send it.
HOLD_SECONDS = 15 * 60
FIELD_PREFIX = "letsads_fingerprint_"


def send_fingerprint(campaign: Campaign, recipients: int, personal: str = "") -> str:
    """A digest of what a Send confirmation shows of ``campaign``: text, sender, whether it is
    transliterated, recipients, account and, for a personalised text, ``personal``: the summary
    of its distribution (:meth:`~django_letsads.personalisation.TextDistribution.summary`:
    segments, distinct texts, recipients left out), which an import of more data would change."""
    shown = "\x00".join(
        (
            str(campaign.pk),
            campaign.sender,
            campaign.text,
            str(campaign.transliterate),
            str(recipients),
            campaign.account,
            personal,
        )
    )
    return hashlib.sha256(shown.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def sendable_counts(
    selected: Iterable[Campaign],
) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
    """Message counts per campaign and status, and per campaign the pending messages whose
    numbers are on the stop list: the worker will skip them, so what is confirmed (recipients,
    segments, price) leaves them out of ``pending``."""
    ids = [c.pk for c in selected]
    counts = status_counts(ids)
    stopped = optout.pending_opted_out(ids)
    for pk, count in stopped.items():
        counts[pk][Status.PENDING] -= count
    return counts, stopped


@dataclass(frozen=True)
class LockedSelection:
    """The selected campaigns as they are now, their rows locked until the transaction ends, and
    everything the confirm checks and starts them with, counted once.

    ``campaigns``: the current rows in the selection's order (one deleted meanwhile is left out:
    starting it reports it); ``counts``/``stopped``: :func:`sendable_counts`; ``figures``: each
    personalised campaign's distribution as it sends
    (:func:`~django_letsads.personalisation.text_distribution`).
    """

    campaigns: list[Campaign]
    counts: dict[int, dict[str, int]]
    stopped: dict[int, int]
    figures: dict[int, TextDistribution]

    def summary(self, campaign_id: int) -> str:
        """What the fingerprint covers of a campaign's recipients (``""``: not personalised)."""
        figures = self.figures.get(campaign_id)
        return "" if figures is None else figures.summary()

    def all_pending(self, campaign_id: int) -> int:
        """All pending messages, stop list or not, as the fingerprint counts them."""
        return self.counts[campaign_id][Status.PENDING] + self.stopped.get(campaign_id, 0)


def lock_selection(selected: list[Campaign]) -> LockedSelection:
    """Lock the rows of ``selected`` and count, once, what the confirm checks and starts.

    Call it inside the transaction that starts them: nothing that changes a campaign's
    recipients can then run until it ends (an import waits for the row lock), so the figures
    stay true for :func:`changed_since_shown`, the cost check and
    :func:`~django_letsads.campaigns.start_campaign`.
    """
    rows = {
        c.pk: c
        for c in Campaign.objects.select_for_update().filter(pk__in=[c.pk for c in selected])
    }
    current = [rows[c.pk] for c in selected if c.pk in rows]
    counts, stopped = sendable_counts(current)
    figures = {c.pk: text_distribution(c) for c in current if is_personalised(c)}
    return LockedSelection(current, counts, stopped, figures)


def field_name(campaign_id: int) -> str:
    """The name of the hidden input that carries a campaign's fingerprint."""
    return f"{FIELD_PREFIX}{campaign_id}"


def changed_since_shown(post: QueryDict, locked: LockedSelection) -> list[Campaign]:
    """The campaigns whose text, sender or recipients differ from what the page showed.

    A POST without a fingerprint did not come from the confirmation page: nothing was shown,
    so it counts as changed. ``locked``: :func:`lock_selection`, in the transaction that starts
    them.
    """
    changed = []
    for campaign in locked.campaigns:
        posted = post.get(field_name(campaign.pk), "")
        fingerprint = send_fingerprint(
            campaign, locked.all_pending(campaign.pk), locked.summary(campaign.pk)
        )
        if not constant_time_compare(posted, fingerprint):
            changed.append(campaign)
    return changed


def _key(campaign_id: int) -> str:
    return f"django_letsads:confirming:{campaign_id}"


def hold(campaign_ids: list[int]) -> None:
    cache.set_many({_key(pk): True for pk in campaign_ids}, HOLD_SECONDS)


def release(campaign_ids: list[int]) -> None:
    cache.delete_many([_key(pk) for pk in campaign_ids])


def is_held(campaign_id: int) -> bool:
    return bool(cache.get(_key(campaign_id)))
