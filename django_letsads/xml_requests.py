"""The LetsAds request documents, written as text: no I/O, no Django models.

Requests are what ElementTree makes of their trees (``&``, ``<`` and ``>`` escaped), written as
text by the same rules (:func:`build_send` is built for every 50 recipients, and ElementTree's
serialiser was a tenth of the send worker's CPU); tests hold them to ElementTree's bytes. The
simulator's answers are written the same way (:func:`write_flat`), so the client's requests and
the simulator's answers agree with :func:`serialize` to the byte.
:mod:`~django_letsads.protocol` re-exports every name here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from django.views.decorators.debug import sensitive_variables

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

_PASSWORD_RE = re.compile(rb"<password>.*?</password>", re.DOTALL)


def serialize(root: ET.Element) -> bytes:
    """UTF-8 bytes with the exact declaration the gateway documents.

    ElementTree leaves a carriage return in element text as it is, and an XML parser then folds it
    into a line feed; writing it as a character reference keeps ``\\r`` intact end to end.
    """
    body = ET.tostring(root, encoding="unicode").replace("\r", "&#13;")
    return XML_DECLARATION + body.encode("utf-8")


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


def write_flat(root: str, children: Iterable[tuple[str, str]]) -> bytes:
    """``<root><tag>text</tag>…</root>`` as :func:`serialize` writes that tree: the simulator's
    answers, one per request it serves (written as a tree, they were a large part of its CPU in
    the benchmarks, ``docs/benchmarks.rst``)."""
    inner = "".join([_element(tag, text) for tag, text in children])
    body = f"<{root}>{inner}</{root}>" if inner else f"<{root} />"
    return XML_DECLARATION + body.replace("\r", "&#13;").encode("utf-8")


@sensitive_variables()  # every local: the text being built holds the password
def _written(login: str, password: str, parts: list[str]) -> bytes:
    """``<request><auth>…</auth>`` + ``parts`` + ``</request>`` as :func:`serialize` writes it."""
    body = "".join(
        [
            "<request><auth>",
            _element("login", login),
            _element("password", password),
            "</auth>",
            *parts,
            "</request>",
        ]
    )
    del password  # out of the locals an error page would show (see ``RequestBody``)
    return XML_DECLARATION + body.replace("\r", "&#13;").encode("utf-8")


@sensitive_variables("password")
def build_send(
    login: str, password: str, sender: str, text: str, recipients: Iterable[str]
) -> bytes:
    """The send request: the bytes :func:`serialize` makes of the tree ``<request><auth>…
    </auth><message><from/><text/><recipient/>…</message></request>``, written directly."""
    numbers = list(recipients)
    joined = "".join(numbers)
    if all(numbers) and "&" not in joined and "<" not in joined and ">" not in joined:
        # The usual case, numbers of digits: one join instead of an element each.
        listed = f"<recipient>{'</recipient><recipient>'.join(numbers)}</recipient>"
    else:
        listed = "".join([_element("recipient", number) for number in numbers])
    message = [
        "<message>",
        _element("from", sender),
        _element("text", text),
        listed if numbers else "",
        "</message>",
    ]
    return _written(login, password, message)


@sensitive_variables("password")
def build_status(login: str, password: str, sms_id: int | str) -> bytes:
    """The status request ``<request><auth>…</auth><sms_id/></request>``, written directly: the
    poller builds one per message."""
    return _written(login, password, [_element("sms_id", str(sms_id))])


@sensitive_variables("password")
def build_balance(login: str, password: str) -> bytes:
    return _written(login, password, ["<balance />"])


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
