"""What a personalised campaign will send, before it is sent: per recipient, counted in bulk.

A campaign text with placeholders (:mod:`django_letsads.merge`) renders differently per recipient,
so its price, its segments and the number of requests it needs depend on the recipients' data
(``Message.data``). :func:`distributions` answers for a whole campaign, for the text as written
and transliterated, without rendering a million texts one row at a time, in one of two ways that
give the same figures:

* :mod:`django_letsads.sql_distribution` (PostgreSQL): the database measures every recipient's
  text (length in units, GSM-7 or not) and groups the recipients by it: a few groups, whatever
  the number of distinct texts, which it counts by hashing them.
* :mod:`django_letsads.combination_tally` (SQLite, and whatever SQL cannot measure exactly: see
  :mod:`django_letsads.sql_distribution`): the database groups the recipients by
  the values the text uses and each distinct combination is rendered once in Python.

Who is left out, as the confirmation says and :mod:`django_letsads.leaving_out` then does:

* ``MISSING_FIELD``: a placeholder without a default has no value (absent or empty);
* ``TEXT_TOO_LONG``: the recipient's rendering is over the gateway's limit.

The built-in ``{unsubscribe_url}`` differs per message; it is counted at its longest (the base
URL and the longest token), and makes every text distinct.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections
from django.db.models import QuerySet

from django_letsads import merge, sql_distribution
from django_letsads.bulk_rendering import data_fields_of
from django_letsads.bulk_rendering import required_fields as required_fields
from django_letsads.combination_tally import tally
from django_letsads.data_values import alias as alias
from django_letsads.data_values import combinations as combinations
from django_letsads.data_values import match as match
from django_letsads.data_values import missing_value as missing_value
from django_letsads.data_values import sampled_combinations
from django_letsads.data_values import sendable as sendable
from django_letsads.data_values import with_values as with_values
from django_letsads.distribution import SHOWN_NUMBERS as SHOWN_NUMBERS
from django_letsads.distribution import TEXT_TOO_LONG as TEXT_TOO_LONG
from django_letsads.distribution import TextDistribution as TextDistribution
from django_letsads.distribution import single
from django_letsads.models import Campaign, Message
from django_letsads.placeholders import MISSING_FIELD as MISSING_FIELD
from django_letsads.placeholders import UNSUBSCRIBE_URL
from django_letsads.translit import transliterate

#: Recipients read to guess whether values repeat, and the share of distinct combinations among
#: them above which measuring in SQL is faster than rendering each combination.
SAMPLE = 10_000
SQL_SHARE = 0.1


def _many(queryset: QuerySet[Message], fields: Sequence[str]) -> bool:
    """Whether the recipients' values look mostly distinct (a code each): then SQL measures
    faster than Python renders. Only the speed depends on it; the figures are the same."""
    if not fields:
        return False
    return sampled_combinations(queryset, fields, SAMPLE) > SAMPLE * SQL_SHARE


def template_of(text: str) -> merge.Template | None:
    """The parsed campaign text; ``None`` when it has no braces or is not a template (then every
    recipient gets the text as written)."""
    if not merge.has_placeholders(text):
        return None
    try:
        return merge.parse(text)
    except merge.TemplateError:
        return None


def text_distribution(
    campaign: Campaign, *, transliterated: bool | None = None
) -> TextDistribution:
    """What the campaign's sendable messages will be sent, counted per distinct text.

    ``transliterated`` defaults to the campaign's setting.
    """
    translit = campaign.transliterate if transliterated is None else transliterated
    return distributions(campaign, (translit,))[0]


def distributions(
    campaign: Campaign, modes: Sequence[bool], *, in_sql: bool | None = None
) -> list[TextDistribution]:
    """:func:`text_distribution` for each of ``modes`` (transliterated or not), the estimate
    pricing the other choice too. ``in_sql``: measure in the database, or render each
    combination (``False``); by default PostgreSQL measures when the values look mostly
    distinct (:func:`_many`). Either way the figures are the same (the tests compare them)."""
    template = template_of(campaign.text)
    queryset = sendable(campaign)
    if template is None or not template.has_placeholders:
        text = campaign.text if template is None else template.render({})
        count = queryset.count()
        return [single(transliterate(text) if mode else text, count) for mode in modes]
    fields = data_fields_of(template)
    # The link differs per message: every text is distinct.
    per_message = UNSUBSCRIBE_URL in template.fields
    if in_sql is None:
        in_sql = connections[queryset.db].vendor == "postgresql" and _many(queryset, fields)
    found: dict[bool, TextDistribution] = {}
    if in_sql and fields:
        found = sql_distribution.measured(template, queryset, fields, modes, per_message)
    rest = [mode for mode in dict.fromkeys(modes) if mode not in found]
    if rest:
        found.update(zip(rest, tally(template, queryset, fields, rest, per_message), strict=True))
    return [found[mode] for mode in modes]
