"""The gateway's side of the XML: reading a request body, writing an answer.

Requests are read with defusedxml's parser only (:func:`protocol.safe_tree`, as the client reads
answers); hostile or malformed XML is ``WRONG_DATA_FORMAT``, as the real gateway answers. Answers
are written as text, byte for byte what ElementTree writes (:func:`protocol.write_flat`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # its ParseError only: requests are read with defusedxml
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException

from django_letsads import protocol

SEND, STATUS, BALANCE, INVALID = "send", "status", "balance", "invalid"


@dataclass(slots=True)
class ParsedRequest:
    """What the gateway read from a body. ``error`` is set when it cannot even tell the kind."""

    kind: str
    error: str | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    text: str | None = None
    recipients: tuple[str, ...] = ()
    sms_id: str | None = None


def parse_request(body: bytes) -> ParsedRequest:
    """Read a body the way the gateway does; hostile or malformed XML is WRONG_DATA_FORMAT."""
    if not body or not body.strip():
        return ParsedRequest(INVALID, error="NO_DATA")
    try:
        root = protocol.safe_tree(body)
    except (DefusedXmlException, ET.ParseError, ValueError):
        return ParsedRequest(INVALID, error="WRONG_DATA_FORMAT")
    if root.tag != "request":
        return ParsedRequest(INVALID, error="REQUEST_FORMAT")
    login = root.findtext("auth/login")
    password = root.findtext("auth/password")
    login = login.strip() if login is not None else None
    message = root.find("message")
    if message is not None:
        recipients = tuple((el.text or "").strip() for el in message.findall("recipient"))
        sender = message.findtext("from")
        return ParsedRequest(
            SEND,
            login=login,
            password=password,
            sender=sender.strip() if sender is not None else None,
            text=message.findtext("text"),
            recipients=recipients,
        )
    sms_id = root.findtext("sms_id")
    if sms_id is not None:
        return ParsedRequest(STATUS, login=login, password=password, sms_id=sms_id.strip())
    if root.find("balance") is not None:
        return ParsedRequest(BALANCE, login=login, password=password)
    return ParsedRequest(INVALID, error="REQUEST_FORMAT", login=login, password=password)


def build_answer(name: str, description: str, children: tuple[tuple[str, str], ...] = ()) -> bytes:
    """An answer as the gateway writes it: ``name``, ``description``, then ``children``."""
    return protocol.write_flat(
        "response", (("name", name), ("description", description), *children)
    )


def error_answer(code: str) -> bytes:
    """The gateway's error answer for ``code``."""
    return build_answer(protocol.NAME_ERROR, code)
