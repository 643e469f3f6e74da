"""The LetsAds XML documents: building requests and reading answers, with no I/O.

Requests are built with ElementTree, so ``&``, ``<`` and ``>`` in a text are escaped; the send
request, built for every 50 recipients, is written as text by the same rules instead
(:func:`build_send`: ElementTree's serialiser was a tenth of the send worker's CPU), and a test
holds it to ElementTree's bytes. Answers are parsed only with defusedxml (no DTDs, no entities). Both the client
and the simulator use the serialiser here, so they agree to the byte.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.views.decorators.debug import sensitive_variables

from django_letsads.exceptions import BadResponseError

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

#: ``<name>`` values of the gateway's answers.
NAME_COMPLETE = "Complete"
NAME_STATUS = "Status"
NAME_BALANCE = "Balance"
NAME_ERROR = "Error"

_PASSWORD_RE = re.compile(rb"<password>.*?</password>", re.DOTALL)


def serialize(root: ET.Element) -> bytes:
    """UTF-8 bytes with the exact declaration the gateway documents.

    ElementTree leaves a carriage return in element text as it is, and an XML parser then folds it
    into a line feed; writing it as a character reference keeps ``\\r`` intact end to end.
    """
    body = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return XML_DECLARATION + body.encode("utf-8")


@sensitive_variables("password")
def _request(login: str, password: str) -> ET.Element:
    root = ET.Element("request")
    auth = ET.SubElement(root, "auth")
    ET.SubElement(auth, "login").text = login
    ET.SubElement(auth, "password").text = password
    return root


def _escape(text: str) -> str:
    """Element text escaped as ElementTree escapes it."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _element(tag: str, text: str) -> str:
    """``<tag>text</tag>`` as ElementTree writes it (``<tag />`` when there is no text)."""
    return f"<{tag}>{_escape(text)}</{tag}>" if text else f"<{tag} />"


@sensitive_variables()  # every local: the text being built holds the password
def build_send(
    login: str, password: str, sender: str, text: str, recipients: Iterable[str]
) -> bytes:
    """The send request: the bytes :func:`serialize` makes of the tree ``<request><auth>…
    </auth><message><from/><text/><recipient/>…</message></request>``, written directly."""
    body = "".join(
        [
            "<request><auth>",
            _element("login", login),
            _element("password", password),
            "</auth><message>",
            _element("from", sender),
            _element("text", text),
            *[_element("recipient", recipient) for recipient in recipients],
            "</message></request>",
        ]
    )
    del password  # out of the locals an error page would show (see ``RequestBody``)
    return XML_DECLARATION + body.replace("\r", "&#13;").encode("utf-8")


@sensitive_variables("password")
def build_status(login: str, password: str, sms_id: int | str) -> bytes:
    root = _request(login, password)
    del password  # out of the locals an error page would show (see ``RequestBody``)
    ET.SubElement(root, "sms_id").text = str(sms_id)
    return serialize(root)


@sensitive_variables("password")
def build_balance(login: str, password: str) -> bytes:
    root = _request(login, password)
    del password  # out of the locals an error page would show (see ``RequestBody``)
    ET.SubElement(root, "balance")
    return serialize(root)


#: Gateway ids are stored as signed 64-bit integers.
MAX_SMS_ID = 2**63 - 1
_SMS_ID_RE = re.compile(r"[0-9]{1,19}")


def redact(body: bytes) -> str:
    """The request body as text with the password replaced, for logs and error messages."""
    return _PASSWORD_RE.sub(b"<password>********</password>", body).decode("utf-8", "replace")


class RequestBody:
    """A request body on its way to the gateway, whose ``repr`` hides the password.

    Error pages (Django's, with ``DEBUG = True``) and some loggers show the local variables of
    every frame of a traceback: the body travels through this package's frames only in this
    wrapper, so what they show is redacted.
    """

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def reveal(self) -> bytes:
        return self._data

    def __repr__(self) -> str:
        return f"<RequestBody {redact(self._data)}>"

    __str__ = __repr__


def parse_sms_id(value: str) -> int:
    """A gateway id: ASCII digits only, 1 to 2**63 - 1 (what the database can store)."""
    if not _SMS_ID_RE.fullmatch(value) or not 0 < int(value) <= MAX_SMS_ID:
        raise BadResponseError(f"The gateway returned the id {value[:40]!r}.", code="BAD_SMS_ID")
    return int(value)


@dataclass(frozen=True)
class Response:
    """A parsed ``<response>``: ``name`` and ``description`` stripped of surrounding whitespace."""

    name: str
    description: str
    sms_ids: Sequence[str] = field(default_factory=tuple)
    currency: str = ""


def parse_response(body: bytes) -> Response:
    """Read a gateway answer; anything that is not a well-formed, harmless ``<response>`` is a
    ``BadResponseError``."""
    if not body or not body.strip():
        raise BadResponseError("The gateway answered with an empty body.", code="EMPTY_RESPONSE")
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
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
