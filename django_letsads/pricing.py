"""What sending campaigns will cost, before anything is spent.

The gateway bills per segment per recipient, and the encoding decides the segments, so the
estimate counts the segments of the text each message will carry (:func:`message_texts`, through
:func:`~django_letsads.translit.outgoing_text`, exactly as the worker sends it) and multiplies by
the price of the campaign's account (:func:`price_of`: its own ``PRICE_PER_SEGMENT``, else the
shared ``LETSADS["PRICE_PER_SEGMENT"]``). Without a price the segments are still counted.

A personalised text (placeholders, :mod:`django_letsads.merge`) is priced per recipient: the
segments of each distinct rendering times the recipients who get it
(:func:`django_letsads.personalisation.distributions`), the recipients who will be left out
(a missing value, too long a text) not counted.

For each campaign the estimate also prices the other choice (as written / transliterated), so a
person sees what transliteration saves. When the total exceeds the known balance, the estimate is
``over_balance``: the admin then asks for an explicit extra confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django_letsads import personalisation
from django_letsads.bulk_rendering import piecewise_safe
from django_letsads.conf import LetsAdsSettings
from django_letsads.gsm7 import ucs2_characters
from django_letsads.models import Campaign
from django_letsads.personalisation import TextDistribution, template_of
from django_letsads.rendering import longest_rendering
from django_letsads.status import Status
from django_letsads.text import GSM7, analyze
from django_letsads.translit import outgoing_text

#: The POST field of the "send anyway" tick an over-balance confirmation requires.
SEND_ANYWAY_FIELD = "letsads_send_anyway"


@dataclass(frozen=True)
class CampaignPrice:
    """One campaign's pending messages: the segments and cost of what will be sent.

    ``other_segments``/``other_cost`` price the other choice (transliterated when the campaign
    sends the text as written, as written when it transliterates); ``None`` when transliteration
    would not change the text. ``still_ucs2`` lists the characters that keep a transliterated text
    UCS-2 (an emoji, a typographic dash), to say why it did not get cheaper.
    """

    campaign: Campaign
    messages: int
    encoding: str
    segments_per_message: int
    segments: int
    cost: Decimal | None
    other_segments: int | None
    other_cost: Decimal | None
    still_ucs2: tuple[str, ...]
    #: Per recipient, for a text with placeholders (``None`` for a plain text).
    distribution: TextDistribution | None = None
    #: The price of one segment for the campaign's account (:func:`price_of`).
    price: Decimal | None = None

    @property
    def transliterated(self) -> bool:
        return bool(self.campaign.transliterate)

    @property
    def still_ucs2_display(self) -> str:
        """The characters with their code points (a no-break space is invisible on its own)."""
        return ", ".join(f"{ch} (U+{ord(ch):04X})" for ch in self.still_ucs2)


@dataclass(frozen=True)
class PriceEstimate:
    """The estimate for a selection of campaigns, with the balance it is compared with.

    ``price``: the price of one segment when every campaign's account has the same one (the
    admin's selection is of one account), else ``None``; each row has its own.
    """

    rows: Sequence[CampaignPrice]
    price: Decimal | None
    balance: Decimal | None
    currency: str = ""

    @property
    def segments(self) -> int:
        return sum(row.segments for row in self.rows)

    @property
    def priced(self) -> bool:
        """Whether every campaign's account has a price (then there is a total)."""
        return bool(self.rows) and all(row.price is not None for row in self.rows)

    @property
    def total(self) -> Decimal | None:
        if not self.priced:
            return None
        return sum((row.cost or Decimal(0) for row in self.rows), Decimal(0))

    @property
    def balance_after(self) -> Decimal | None:
        if self.total is None or self.balance is None:
            return None
        return self.balance - self.total

    @property
    def over_balance(self) -> bool:
        after = self.balance_after
        return after is not None and after < 0


def message_texts(campaign: Campaign, pending: int) -> list[tuple[str, int]]:
    """(text as written, number of messages) for the ``pending`` messages of ``campaign``.

    Every message of a campaign carries the campaign's text today; the one place to change when
    messages get texts of their own (personalisation), so the estimate stays exact. A text with
    placeholders (``{unsubscribe_url}``) counts as its longest rendering.
    """
    return [(longest_rendering(campaign.text), pending)] if pending else []


def _segments(texts: Sequence[tuple[str, int]], transliterate: bool) -> tuple[int, list[str]]:
    total = 0
    still_ucs2: list[str] = []
    for written, count in texts:
        info = analyze(outgoing_text(transliterate, written))
        total += info.segments * count
        if transliterate and info.encoding != GSM7:
            still_ucs2 += ucs2_characters(outgoing_text(True, written))
    return total, list(dict.fromkeys(still_ucs2))


def price_of(alias: str) -> Decimal | None:
    """The price of one segment for the account ``alias``: its own ``PRICE_PER_SEGMENT``, else
    the shared one (an alias ``LETSADS`` no longer has: the shared one)."""
    return LetsAdsSettings(alias).PRICE_PER_SEGMENT


def is_personalised(campaign: Campaign) -> bool:
    """True when the campaign's text has placeholders: its recipients get texts of their own."""
    template = template_of(campaign.text)
    return template is not None and template.has_placeholders


def campaign_price(
    campaign: Campaign,
    pending: int,
    price: Decimal | None,
    shown: Sequence[TextDistribution] | None = None,
) -> CampaignPrice:
    """Segments and cost of sending ``pending`` messages of ``campaign`` as it is set up.

    A personalised campaign is counted per recipient; ``shown`` are its distributions as sent
    and the other choice, when the caller has them already.
    """
    if is_personalised(campaign):
        return _personalised_price(campaign, price, shown)
    texts = message_texts(campaign, pending)
    segments, still_ucs2 = _segments(texts, campaign.transliterate)
    other, _ = _segments(texts, not campaign.transliterate)
    changes = outgoing_text(True, campaign.text) != campaign.text
    info = analyze(outgoing_text(campaign.transliterate, campaign.text))
    return CampaignPrice(
        campaign=campaign,
        messages=pending,
        encoding=info.encoding,
        segments_per_message=info.segments,
        segments=segments,
        cost=None if price is None else price * segments,
        other_segments=other if changes else None,
        other_cost=None if price is None or not changes else price * other,
        still_ucs2=tuple(still_ucs2),
        price=price,
    )


def shown_distributions(
    campaign: Campaign, sent: TextDistribution | None = None
) -> list[TextDistribution]:
    """A personalised campaign's distributions as the confirmation shows them: as it sends, then
    the other choice when that can be priced. ``sent``: the first, when the caller has it."""
    modes = [campaign.transliterate]
    template = template_of(campaign.text)
    # The other choice, transliterated, is priced only when each part can be transliterated
    # once (no word runs across a placeholder's edge): otherwise every distinct text would be
    # transliterated whole, tens of seconds for a million.
    if campaign.transliterate or (template is not None and piecewise_safe(template)):
        modes.append(not campaign.transliterate)
    if sent is None:
        return personalisation.distributions(campaign, modes)
    if len(modes) == 1:
        return [sent]
    return [sent, *personalisation.distributions(campaign, modes[1:])]


def _personalised_price(
    campaign: Campaign, price: Decimal | None, shown: Sequence[TextDistribution] | None
) -> CampaignPrice:
    if shown is None:
        shown = shown_distributions(campaign)
    sent = shown[0]
    other = shown[1] if len(shown) > 1 else None
    segments = sent.total_segments
    changes = other is not None and (sent.longest, sent.shortest) != (
        other.longest,
        other.shortest,
    )
    still_ucs2 = ucs2_characters(sent.longest) if campaign.transliterate else []
    return CampaignPrice(
        campaign=campaign,
        messages=sent.recipients,
        encoding=", ".join(sorted(sent.encodings)) or analyze(sent.longest).encoding,
        segments_per_message=max(sent.segments, default=0),
        segments=segments,
        cost=None if price is None else price * segments,
        other_segments=other.total_segments if other is not None and changes else None,
        other_cost=(
            None if price is None or other is None or not changes else price * other.total_segments
        ),
        still_ucs2=tuple(still_ucs2),
        distribution=sent,
        price=price,
    )


def estimate(
    campaigns: Sequence[Campaign],
    counts: Mapping[int, Mapping[str, int]],
    *,
    balance: Decimal | None = None,
    currency: str = "",
    shown: Mapping[int, Sequence[TextDistribution]] | None = None,
) -> PriceEstimate:
    """The estimate for ``campaigns``, given their message counts per status
    (:func:`django_letsads.campaigns.status_counts`) and the account ``balance`` if known;
    ``shown``: the distributions of personalised campaigns, by id, if already computed. Each
    campaign is priced at its account's price (:func:`price_of`)."""
    shown = shown or {}
    prices = {alias: price_of(alias) for alias in {c.account for c in campaigns}}
    rows = [
        campaign_price(c, counts[c.pk][Status.PENDING], prices[c.account], shown.get(c.pk))
        for c in campaigns
    ]
    price = next(iter(set(prices.values()))) if len(set(prices.values())) == 1 else None
    return PriceEstimate(rows=rows, price=price, balance=balance, currency=currency)
