"""What each recipient of a campaign receives: its text rendered per message (:mod:`merge`).

The send worker calls :func:`render_claimed` once per claim, inside the claim's transaction.
Campaign texts without braces take no step at all; a text with placeholders is parsed once and
rendered per message, and the exact text is stored in ``Message.text`` before its request can
leave, so the admin shows what each person received. Messages whose renderings are identical
still share requests (the worker groups by text).

The values a placeholder can take: the recipient's data (``Message.data``: the columns of the
CSV row, :mod:`django_letsads.recipient_data`) and ``unsubscribe_url`` (:data:`FIELDS`), the
message's signed unsubscribe link (:mod:`django_letsads.unsubscribe`), which data cannot override.

:func:`render_recipient` renders one recipient's text from ``(text, data)``: the campaign
preview and price call it, and the worker renders with the same values, so they agree.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar

from django.db import connections, router

from django_letsads import merge, unsubscribe
from django_letsads.campaigns import pause_campaigns
from django_letsads.exceptions import LetsAdsConfigurationError
from django_letsads.models import Message, StatusEvent
from django_letsads.placeholders import FIELDS as FIELDS
from django_letsads.placeholders import MISSING_FIELD as MISSING_FIELD
from django_letsads.placeholders import UNSUBSCRIBE_URL as UNSUBSCRIBE_URL
from django_letsads.status import Status
from django_letsads.transitions import notify, record_events
from django_letsads.translit import outgoing_text

logger = logging.getLogger(__name__)

#: The note on the history event of a message whose text was rendered for it.
PERSONALISED = "personalised text"
#: The pause reason of a campaign whose link cannot be made (the base URL is not set).
NO_UNSUBSCRIBE_URL = "UNSUBSCRIBE_BASE_URL_MISSING"


class ClaimedMessage(Protocol):
    """What rendering needs of a claimed message (the worker's ``Claimed``, a named tuple)."""

    @property
    def id(self) -> int: ...

    @property
    def campaign_id(self) -> int | None: ...

    @property
    def text(self) -> str: ...

    def _replace(self, *, text: str) -> Self: ...


C = TypeVar("C", bound=ClaimedMessage)


def render_claimed(
    messages: list[C], token: str, now: datetime, transliterated: Collection[int] = ()
) -> list[C]:
    """``messages`` (just claimed under ``token``) with campaign texts rendered per message.

    The texts of the ``transliterated`` campaigns are transliterated after rendering, so that
    values and defaults are too; the text stored is the one sent.

    Messages that cannot be rendered are not returned: a missing value fails the message
    (``MISSING_FIELD``); a campaign whose link cannot be made goes back to ``pending`` and the
    campaign is paused with the reason, so nothing goes out without its unsubscribe link.
    """
    templates: dict[str, merge.Template] = {}
    for text in {m.text for m in messages if m.campaign_id is not None}:
        template = _template(text) if merge.has_placeholders(text) else None
        if template is not None:
            templates[text] = template
    if not templates and not transliterated:
        return messages
    if any(UNSUBSCRIBE_URL in t.fields for t in templates.values()):
        try:
            unsubscribe.base_url()
        except LetsAdsConfigurationError as exc:
            blocked = {text for text, t in templates.items() if UNSUBSCRIBE_URL in t.fields}
            messages = _hold_back(messages, blocked, token, str(exc))
            templates = {text: t for text, t in templates.items() if text not in blocked}
    out: list[C] = []
    written: dict[int, str] = {}
    missing: dict[str, list[int]] = defaultdict(list)
    personalised: list[int] = []
    data = _data_of(messages, templates)
    for message in messages:
        template = templates.get(message.text)
        if message.campaign_id is None or (
            template is None and message.campaign_id not in transliterated
        ):
            out.append(message)
            continue
        text = message.text
        if template is not None:
            try:
                text = template.render(
                    values_for(message.id, template.fields, data.get(message.id))
                )
            except merge.MissingValueError as exc:
                missing[exc.field].append(message.id)
                continue
            personalised.append(message.id)
        if message.campaign_id in transliterated:
            text = outgoing_text(True, text)
        if text != message.text:
            written[message.id] = text
            message = message._replace(text=text)
        out.append(message)
    _store_texts(written)
    _note_personalised(personalised, now)
    for field, ids in missing.items():
        _fail_missing(ids, field, now)
    return out


def values_for(message_id: int, fields: Sequence[str], data: object = None) -> dict[str, str]:
    """The values of ``fields`` for one message with ``data`` (only those the text uses)."""
    values = merge.template_values(data, fields)
    if UNSUBSCRIBE_URL in fields:
        values[UNSUBSCRIBE_URL] = unsubscribe.unsubscribe_url(message_id)
    return values


def render_recipient(
    text: str,
    data: Mapping[str, object] | None,
    *,
    unsubscribe_url: str | None = None,
    transliterate: bool = False,
) -> str:
    """The text one recipient with ``data`` receives: what the worker sends, for previews.

    ``text`` is a campaign text (:mod:`merge` syntax); ``data`` the recipient's ``Message.data``
    (``None``: no data). ``unsubscribe_url`` is the link to put in ``{unsubscribe_url}``; without
    it the longest link there can be stands in (for lengths and prices). ``transliterate``: the
    campaign's flag, applied after rendering, as the worker does.

    Raises :class:`merge.TemplateError` for a text that is not a valid template and
    :class:`merge.MissingValueError` when a placeholder without a default has no value (the
    worker fails such a message ``MISSING_FIELD``); nothing else, whatever ``data`` holds.
    """
    if merge.has_placeholders(text):
        template = merge.parse(text)
        values = merge.template_values(data, template.fields)
        if UNSUBSCRIBE_URL in template.fields:
            values[UNSUBSCRIBE_URL] = (
                unsubscribe_url if unsubscribe_url is not None else longest_unsubscribe_url()
            )
        text = template.render(values)
    return outgoing_text(True, text) if transliterate else text


def longest_unsubscribe_url() -> str:
    """A stand-in for the longest ``{unsubscribe_url}`` there can be (lengths, prices)."""
    base = unsubscribe.base_url() if _has_base_url() else "https://"
    return base + "x" * unsubscribe.MAX_TOKEN_LENGTH


def longest_rendering(text: str) -> str:
    """``text`` as rendered for the recipient who gets the longest version (for length checks
    and prices before sending); ``text`` itself if it is not a valid template."""
    template = _template(text)
    if template is None or not template.has_placeholders:
        return text if template is None else template.render({})
    values = dict.fromkeys(template.fields, "")
    if UNSUBSCRIBE_URL in template.fields:
        values[UNSUBSCRIBE_URL] = longest_unsubscribe_url()
    return merge.Template(
        tuple(
            p if isinstance(p, str) else merge.Placeholder(p.name, p.default or "")
            for p in template.parts
        )
    ).render(values)


def _has_base_url() -> bool:
    from django_letsads.conf import letsads_settings

    return bool(letsads_settings.UNSUBSCRIBE_BASE_URL)


def _template(text: str) -> merge.Template | None:
    """The parsed text; ``None`` for a text that is not a valid template (a campaign created
    before placeholders existed, in code): it is sent exactly as written, as it always was."""
    try:
        return merge.parse(text)
    except merge.TemplateError as exc:
        logger.warning("A campaign text is not a valid template (%s); sent as written", exc)
        return None


def _data_of(
    messages: Sequence[ClaimedMessage], templates: dict[str, merge.Template]
) -> dict[int, Any]:
    """``Message.data`` of the messages whose text uses a field of recipient data (one query)."""
    uses_data = {text for text, t in templates.items() if any(f not in FIELDS for f in t.fields)}
    ids = [m.id for m in messages if m.campaign_id is not None and m.text in uses_data]
    if not ids:
        return {}
    return dict(Message.objects.filter(id__in=ids).values_list("id", "data"))


def _note_personalised(ids: list[int], now: datetime) -> None:
    """Say in the history that these messages' texts were rendered for them: the note of the
    claim's ``pending → sending`` event, written moments ago in this transaction with ``now``
    (found by message, status and that time, on the message index), not a row of its own.

    Raw SQL with ``now`` bound as the claim bound it, so both databases compare the time as it
    was stored (the ORM would format it differently on SQLite)."""
    connection = connections[router.db_for_write(StatusEvent)]
    quote = connection.ops.quote_name
    table = quote(StatusEvent._meta.db_table)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        marks = ", ".join(["%s"] * len(chunk))
        sql = (
            f"UPDATE {table} SET {quote('note')} = %s WHERE {quote('message_id')} IN ({marks}) "  # noqa: S608 - names from _meta, values bound
            f"AND {quote('new_status')} = %s AND {quote('created_at')} = %s AND {quote('note')} = ''"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [PERSONALISED, *chunk, Status.SENDING, now])


def _store_texts(texts: dict[int, str]) -> None:
    """Write each message's rendered text: one ``UPDATE … CASE`` per thousand messages (the
    ORM's ``Case(When(…))`` costs a millisecond of CPU per row; see ``outcomes._write_queued``)."""
    connection = connections[router.db_for_write(Message)]
    quote = connection.ops.quote_name
    items = list(texts.items())
    for start in range(0, len(items), 1000):
        chunk = items[start : start + 1000]
        cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
        marks = ", ".join(["%s"] * len(chunk))
        sql = (
            f"UPDATE {quote(Message._meta.db_table)} SET {quote('text')} = "  # noqa: S608 - names from _meta, values bound
            f"CASE {quote('id')} {cases} END WHERE {quote('id')} IN ({marks})"
        )
        params: list[Any] = [value for pair in chunk for value in pair]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *(pk for pk, _ in chunk)])


def _fail_missing(ids: list[int], field: str, now: datetime) -> None:
    Message.objects.filter(id__in=ids, status=Status.SENDING).update(
        status=Status.FAILED,
        error_code=MISSING_FIELD,
        error_message=f"No value for {{{field}}} and no default."[:255],
        final_at=now,
    )
    record_events(ids, Status.SENDING, Status.FAILED, code=MISSING_FIELD, when=now)
    notify(ids, Status.SENDING, Status.FAILED, MISSING_FIELD)


def _hold_back(messages: list[C], texts: set[str], token: str, reason: str) -> list[C]:
    """Put the messages of campaigns with the ``texts`` back to ``pending``, pause those
    campaigns with ``reason``; returns the other messages."""
    held = [m for m in messages if m.campaign_id is not None and m.text in texts]
    ids = [m.id for m in held]
    Message.objects.filter(id__in=ids, claim_token=token, status=Status.SENDING).update(
        status=Status.PENDING, claim_token="", claimed_at=None
    )
    record_events(ids, Status.SENDING, Status.PENDING, code=NO_UNSUBSCRIBE_URL)
    notify(ids, Status.SENDING, Status.PENDING, NO_UNSUBSCRIBE_URL)
    pause_campaigns({m.campaign_id for m in held if m.campaign_id is not None}, reason)
    logger.error("Campaigns paused: %s", reason)
    keep = set(ids)
    return [m for m in messages if m.id not in keep]
