"""Keeping the Send confirmation true until it is confirmed.

An admin opens **Send campaign** (1 recipient, 1 segment); someone else then edits the draft (a
450-character text, 500 more numbers); the admin confirms, and 501 recipients times 3 segments go out. Two
guards:

* :func:`send_fingerprint` digests what the page showed of a campaign (text, sender, recipients
  to send to, and for a personalised text the segments, distinct texts and recipients left
  out). The page posts it back; the action recomputes it with the campaign row locked and
  starts nothing if it differs ("the campaign changed since you looked").
* While a confirmation page is open (:data:`HOLD_SECONDS` at most), users without the send
  permission cannot change that draft: :func:`hold` marks it in Django's cache, which
  ``CampaignAdmin.has_change_permission`` asks through :func:`is_held`. With a per-process cache
  (``LocMemCache``) the mark is seen only by the process that showed the page; the fingerprint
  holds everywhere.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import QueryDict
from django.utils.crypto import constant_time_compare

from django_letsads.campaigns import status_counts
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


def personal_summary(campaign: Campaign) -> str:
    """What the fingerprint covers of a personalised campaign's recipients (``""`` otherwise)."""
    if not is_personalised(campaign):
        return ""
    return text_distribution(campaign).summary()


def field_name(campaign_id: int) -> str:
    """The name of the hidden input that carries a campaign's fingerprint."""
    return f"{FIELD_PREFIX}{campaign_id}"


def changed_since_shown(post: QueryDict, selected: list[Campaign]) -> list[Campaign]:
    """The campaigns whose text, sender or recipients differ from what the page showed.

    A POST without a fingerprint did not come from the confirmation page: nothing was shown,
    so it counts as changed. Locks the rows: call it inside the transaction that starts them.
    """
    changed = []
    locked = {
        c.pk: c
        for c in Campaign.objects.select_for_update().filter(pk__in=[c.pk for c in selected])
    }
    counts = status_counts(locked)
    for campaign in selected:
        current = locked.get(campaign.pk)
        if current is None:
            continue  # deleted meanwhile: start_campaign reports it
        posted = post.get(field_name(campaign.pk), "")
        fingerprint = send_fingerprint(
            current, counts[current.pk][Status.PENDING], personal_summary(current)
        )
        if not constant_time_compare(posted, fingerprint):
            changed.append(current)
    return changed


def _key(campaign_id: int) -> str:
    return f"django_letsads:confirming:{campaign_id}"


def hold(campaign_ids: list[int]) -> None:
    cache.set_many({_key(pk): True for pk in campaign_ids}, HOLD_SECONDS)


def release(campaign_ids: list[int]) -> None:
    cache.delete_many([_key(pk) for pk in campaign_ids])


def is_held(campaign_id: int) -> bool:
    return bool(cache.get(_key(campaign_id)))
