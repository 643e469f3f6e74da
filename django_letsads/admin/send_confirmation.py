"""What the Send and Schedule confirmations show: per campaign the recipients, the numbers left
out, the encoding and segments (for a personalised text, their distribution), the totals, the
balance and the cost estimate, and the fingerprints the confirm is checked against
(:mod:`~django_letsads.admin.confirming`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from django_letsads import pricing
from django_letsads.accounts import DEFAULT_ALIAS
from django_letsads.admin import confirming, display
from django_letsads.admin.balance import account_balance
from django_letsads.admin.views import Confirmation
from django_letsads.models import Campaign
from django_letsads.status import Status


def _send_confirmation(
    selected: list[Campaign],
    counts: dict[int, dict[str, int]],
    estimate: pricing.PriceEstimate,
    stopped: dict[int, int],
) -> Confirmation:
    rows = []
    total_recipients = 0
    for campaign, price in zip(selected, estimate.rows, strict=True):
        shown = price.distribution
        # A personalised text: the recipients left out (no value, too long) are not sent.
        recipients = counts[campaign.pk][Status.PENDING] if shown is None else shown.recipients
        total_recipients += recipients
        rows.append(
            [
                campaign.name,
                campaign.sender,
                recipients,
                campaign.invalid_recipients,
                campaign.duplicate_recipients,
                campaign.opted_out_recipients + stopped.get(campaign.pk, 0),
                price.encoding,
                price.segments_per_message if shown is None else shown.segments_display,
                price.segments,
            ]
        )
    # Campaigns without pending messages at all do not start (all opted out: they do, and end).
    empty = [c.name for c in selected if not counts[c.pk][Status.PENDING] + stopped.get(c.pk, 0)]
    confirming.hold([c.pk for c in selected])
    warnings = [display.expiry_warning(selected)]
    if empty:
        warnings.insert(
            0,
            _("These campaigns have no recipients and will not start: %(names)s.")
            % {"names": ", ".join(empty)},
        )
    return Confirmation(
        hidden=[
            (
                confirming.field_name(c.pk),
                # All pending messages, as changed_since_shown counts them on the confirm.
                confirming.send_fingerprint(
                    c,
                    counts[c.pk][Status.PENDING] + stopped.get(c.pk, 0),
                    "" if price.distribution is None else price.distribution.summary(),
                ),
            )
            for c, price in zip(selected, estimate.rows, strict=True)
        ],
        title=_("Send campaigns?"),
        action="send_campaigns",
        submit_label=_("Yes, send"),
        intro=[
            _(
                "The messages are queued for the worker, which sends them to LetsAds in batches. "
                "Invalid and duplicate numbers were left out when the recipients were imported."
            ),
        ],
        warning=" ".join(w for w in warnings if w),
        columns=[
            _("Campaign"),
            _("Sender"),
            _("Recipients"),
            _("Invalid numbers left out"),
            _("Duplicate numbers left out"),
            _("Opted-out numbers left out"),
            _("Encoding"),
            _("Segments per message"),
            _("Total segments"),
        ],
        rows=rows,
        totals=[_("Total"), "", total_recipients, "", "", "", "", "", estimate.segments],
        balance=account_balance(selected[0].account if selected else DEFAULT_ALIAS),
        estimate=estimate,
        extra={"personalised": [row for row in estimate.rows if row.distribution is not None]},
    )
