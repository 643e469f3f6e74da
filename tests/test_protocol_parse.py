"""Answers parsed by defusedxml's parser with ElementTree's C tree builder (``protocol.safe_tree``)
read exactly as through ``SafeET.fromstring``, and are refused as it refuses them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from unittest import mock

import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_letsads import protocol
from django_letsads.exceptions import BadResponseError

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

#: Text and markup that may stand in element content: references, CDATA, line ends, letters.
text = st.lists(
    st.one_of(
        st.sampled_from(
            ["&amp;", "&lt;", "&#65;", "&#x42;", " ", "\n", "\r\n", "\t", "<![CDATA[<&]]>"]
        ),
        st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="&<"),
    ),
    max_size=12,
).map("".join)
names = st.sampled_from(["name", "description", "sms_id", "currency", "other", "p:name", "x"])
attributes = st.lists(
    st.tuples(st.sampled_from(["a", "b", "p:c", "xmlns:q"]), text),
    max_size=2,
    unique_by=lambda a: a[0],
)


@st.composite
def element(draw: st.DrawFn, depth: int = 0) -> str:
    tag = draw(names)
    attrs = "".join(f' {k}="{v.replace(chr(34), "&quot;")}"' for k, v in draw(attributes))
    inner = draw(text)
    if depth < 2:
        for child in draw(st.lists(element(depth + 1), max_size=3)):
            inner += child + draw(text)
    extra = draw(st.sampled_from(["", "<!-- a comment -->", "<?pi data?>"]))
    return f"<{tag}{attrs}>{inner}{extra}</{tag}>"


@st.composite
def document(draw: st.DrawFn) -> bytes:
    root = draw(st.sampled_from(["response", "p:response", "other"]))
    namespaces = ' xmlns:p="urn:p" xmlns:q="urn:q"'
    children = "".join(draw(st.lists(element(), max_size=6)))
    return (DECLARATION + f"<{root}{namespaces}>{children}</{root}>").encode()


def fromstring(body: bytes) -> ET.Element:
    """The reference: defusedxml's own ``fromstring``."""
    return SafeET.fromstring(body, forbid_dtd=True)


def read(body: bytes, tree: Callable[[bytes], ET.Element]) -> object:
    """What ``parse_response`` makes of ``body`` with ``tree`` as its parser."""
    with mock.patch.object(protocol, "safe_tree", tree):
        try:
            return protocol.parse_response(body)
        except BadResponseError as exc:
            return exc.code, exc.message


@given(document())
def test_an_answer_parses_into_the_tree_defusedxml_builds(body: bytes) -> None:
    assert read(body, protocol.safe_tree) == read(body, fromstring)


@pytest.mark.parametrize(
    "body",
    [
        b'<!DOCTYPE r [<!ENTITY a "b">]><response>&a;</response>',
        b'<!DOCTYPE r SYSTEM "http://example.invalid/r.dtd"><response/>',
        b"<response>&undefined;</response>",
        b"<response><name>cut",
        b"<html><body>502</body></html>",
        b"not xml at all",
        b'<response xmlns="urn:default"><name>Complete</name></response>',
        DECLARATION.encode() + b"<response><name>Complete</name><sms_id>1</sms_id></response>",
    ],
)
def test_hostile_and_broken_answers_are_refused_as_defusedxml_refuses_them(body: bytes) -> None:
    assert read(body, protocol.safe_tree) == read(body, fromstring)
