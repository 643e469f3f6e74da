"""The LetsAds XML documents: reading answers, and (from :mod:`~django_letsads.xml_requests`)
building requests, with no I/O.

Answers are parsed only with defusedxml (no DTDs, no entities, no external references).
"""

from __future__ import annotations

import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from django_letsads.exceptions import BadResponseError
from django_letsads.status import GATEWAY_STATUS_MAP
from django_letsads.xml_requests import XML_DECLARATION as XML_DECLARATION
from django_letsads.xml_requests import RequestBody as RequestBody
from django_letsads.xml_requests import build_balance as build_balance
from django_letsads.xml_requests import build_send as build_send
from django_letsads.xml_requests import build_status as build_status
from django_letsads.xml_requests import redact as redact
from django_letsads.xml_requests import serialize as serialize
from django_letsads.xml_requests import write_flat as write_flat

logger = logging.getLogger(__name__)

#: ``<name>`` values of the gateway's answers.
NAME_COMPLETE = "Complete"
NAME_STATUS = "Status"
NAME_BALANCE = "Balance"
NAME_ERROR = "Error"

#: Gateway ids are stored as signed 64-bit integers.
MAX_SMS_ID = 2**63 - 1
_SMS_ID_RE = re.compile(r"[0-9]{1,19}")


#: A balance: ASCII digits with a decimal point or a decimal comma (``12,50``), nothing else.
_AMOUNT_RE = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def parse_amount(value: str) -> Decimal:
    """A balance as the gateway writes it, ``123.45`` or ``12,50``; ``ValueError`` for anything
    else (thousands separators, exponents, other digits, ``NaN``: nothing to guess about money)."""
    if not _AMOUNT_RE.fullmatch(value):
        raise ValueError(value)
    return Decimal(value.replace(",", "."))


def parse_sms_id(value: str, scrub: Callable[[str], str] = str) -> int:
    """A gateway id: ASCII digits only, 1 to 2**63 - 1 (what the database can store)."""
    if not _SMS_ID_RE.fullmatch(value) or not 0 < int(value) <= MAX_SMS_ID:
        shown = scrub(value)[:40]
        raise BadResponseError(f"The gateway returned the id {shown!r}.", code="BAD_SMS_ID")
    return int(value)


@dataclass(frozen=True)
class Response:
    """A parsed ``<response>``: ``name`` and ``description`` stripped of surrounding whitespace."""

    name: str
    description: str
    sms_ids: Sequence[str] = field(default_factory=tuple)
    currency: str = ""


def safe_tree(body: bytes) -> ET.Element:
    """``body`` parsed by defusedxml's parser (no DTD, no entity declarations, no external
    references), its elements handed by expat straight to ElementTree's C tree builder.

    What ``SafeET.fromstring`` builds, for less CPU: the element handlers defusedxml's parser
    inherits are ElementTree's pure-Python ones, a third of parsing a send answer (two calls per
    id); all they add is the ``{`` of a namespaced tag, put back on the root (the only tag an
    error quotes; a namespaced child is not read either way). The defences are not touched.
    """
    builder = ET.TreeBuilder()
    parser = SafeET.XMLParser(target=builder, forbid_dtd=True)
    expat = parser.parser
    expat.ordered_attributes = False  # a dict of attributes, as the builder takes them
    expat.StartElementHandler = builder.start
    expat.EndElementHandler = builder.end
    parser.feed(body)
    root: ET.Element = parser.close()
    if "}" in root.tag:
        root.tag = "{" + root.tag
    return root


def parse_response(body: bytes) -> Response:
    """Read a gateway answer; anything that is not a well-formed, harmless ``<response>`` is a
    ``BadResponseError``."""
    if not body or not body.strip():
        raise BadResponseError("The gateway answered with an empty body.", code="EMPTY_RESPONSE")
    try:
        root = safe_tree(body)
    except DefusedXmlException as exc:
        raise BadResponseError(
            f"The gateway's answer was refused as hostile XML ({type(exc).__name__}).",
            code="HOSTILE_XML",
        ) from None
    except ET.ParseError as exc:
        raise BadResponseError(
            f"The gateway's answer is not well-formed XML ({exc}).", code="MALFORMED_XML"
        ) from None
    if root.tag != "response":
        raise BadResponseError(
            f"The gateway's answer has root <{root.tag}>, not <response>.", code="WRONG_ROOT"
        )
    name = (root.findtext("name") or "").strip()
    if not name:
        raise BadResponseError("The gateway's answer has no <name>.", code="NO_NAME")
    return Response(
        name=name,
        description=(root.findtext("description") or "").strip(),
        sms_ids=tuple((el.text or "").strip() for el in root.findall("sms_id")),
        currency=(root.findtext("currency") or "").strip(),
    )


# -- what the three answers say ----------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    amount: Decimal
    currency: str


class Once:
    """Remembers up to ``cap`` keys, so that a line is logged once per process per key, and a
    server inventing a new key per answer cannot grow it without end."""

    def __init__(self, cap: int = 32) -> None:
        self._seen: set[Hashable] = set()
        self._cap = cap
        self._lock = threading.Lock()

    def first(self, key: Hashable) -> bool:
        with self._lock:
            if key in self._seen or len(self._seen) >= self._cap:
                return False
            self._seen.add(key)
            return True


_status_names = Once()


# Each reader takes ``scrub``, which masks the account's password in the server's words before
# they are cut short and quoted in an error or a log line (a hostile server may echo it).


def read_send(response: Response, recipients: int, scrub: Callable[[str], str] = str) -> list[int]:
    """The ids of a send answer, strictly: money depends on every one of them."""
    if response.name != NAME_COMPLETE:
        raise BadResponseError(
            f"A send request was answered with <name>{scrub(response.name)[:80]}</name>.",
            code="UNEXPECTED_ANSWER",
        )
    if len(response.sms_ids) != recipients:
        raise BadResponseError(
            f"The gateway accepted the request but returned {len(response.sms_ids)} ids for "
            f"{recipients} recipients; the messages may have been queued.",
            code="ID_COUNT_MISMATCH",
        )
    # All at once while every id is good (per id, a call was most of the cost); a bad one is
    # found, and named, by ``parse_sms_id``.
    match = _SMS_ID_RE.fullmatch
    ids = [int(sms_id) for sms_id in response.sms_ids if match(sms_id)]
    if len(ids) < recipients or (ids and not (min(ids) > 0 and max(ids) <= MAX_SMS_ID)):
        ids = [parse_sms_id(sms_id, scrub) for sms_id in response.sms_ids]
    if len(set(ids)) != len(ids):
        raise BadResponseError(
            f"The gateway returned the same id twice among {ids!r}.", code="BAD_SMS_ID"
        )
    return ids


def read_status(response: Response, sms_id: int | str, scrub: Callable[[str], str] = str) -> str:
    """The status code of a status answer, read from ``<description>`` whatever ``<name>`` says.

    Integrations meet other spellings of ``Status`` and most read only the description; nothing
    is billed on a status request, so a known code is taken and another name logged once at INFO.
    """
    code = response.description
    if code not in GATEWAY_STATUS_MAP:
        if response.name != NAME_STATUS:
            raise BadResponseError(
                f"A status request was answered with <name>{scrub(response.name)[:80]}</name>.",
                code="UNEXPECTED_ANSWER",
            )
        raise BadResponseError(
            f"Unknown status code {scrub(code)[:80]!r} for message {sms_id}.",
            code="UNKNOWN_STATUS",
        )
    if response.name != NAME_STATUS and _status_names.first(response.name):
        logger.info(
            "LetsAds answered a status request with <name>%r</name>, not 'Status'; its status "
            "code is read all the same (said once per name).",
            scrub(response.name)[:60],
        )
    return code


def read_balance(response: Response, scrub: Callable[[str], str] = str) -> Balance:
    if response.name != NAME_BALANCE:
        raise BadResponseError(
            f"A balance request was answered with <name>{scrub(response.name)[:80]}</name>.",
            code="UNEXPECTED_ANSWER",
        )
    try:
        amount = parse_amount(response.description)
    except ValueError:
        raise BadResponseError(
            f"The balance {scrub(response.description)[:80]!r} is not a number (digits with a "
            "decimal point or comma, such as 123.45).",
            code="BAD_BALANCE",
        ) from None
    return Balance(amount=amount, currency=response.currency)
