"""The simulator reads requests and writes answers as it did with ElementTree, for less CPU.

:func:`wire.parse_request` reads with the client's parser (defusedxml's, elements handed to
ElementTree's C tree builder); :func:`wire.build_answer` writes text. Both are held here to what
``defusedxml.ElementTree.fromstring`` reads and ElementTree writes, hostile documents included.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from unittest import mock

import defusedxml.ElementTree as SafeET
import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_letsads import protocol
from django_letsads.simulator import wire
from tests.test_protocol_build import xml_text

HOSTILE = [
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><request>&b;'
    b"</request>",
    b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd"><request/>',
    b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><request>&e;</request>',
    b"<request><auth><login>1</login></auth>",
    b"not xml at all",
    b"<ns:request xmlns:ns='urn:x'/>",
    b"<request><message xmlns='urn:x'><recipient>1</recipient></message></request>",
]


def _reference_parse(body: bytes) -> wire.ParsedRequest:
    """``parse_request`` as it was, through ``SafeET.fromstring``."""
    with mock.patch.object(
        protocol, "safe_tree", lambda data: SafeET.fromstring(data, forbid_dtd=True)
    ):
        return wire.parse_request(body)


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_or_broken_requests_are_read_as_before(body: bytes) -> None:
    assert wire.parse_request(body) == _reference_parse(body)


def test_a_hostile_request_is_wrong_data_format() -> None:
    assert wire.parse_request(HOSTILE[0]).error == "WRONG_DATA_FORMAT"
    assert wire.parse_request(HOSTILE[2]).error == "WRONG_DATA_FORMAT"


#: The client's send and status requests, as it writes them.
requests = st.one_of(
    st.builds(
        protocol.build_send, xml_text, xml_text, xml_text, xml_text, st.lists(xml_text, max_size=5)
    ),
    st.builds(protocol.build_status, xml_text, xml_text, xml_text),
)


@given(body=requests)
def test_requests_are_read_as_before(body: bytes) -> None:
    parsed = wire.parse_request(body)
    assert parsed == _reference_parse(body)
    # Element text is escaped: only a send request has a ``<message>`` element.
    assert parsed.kind == (wire.SEND if b"<message>" in body else wire.STATUS)


@given(
    name=xml_text,
    description=xml_text,
    children=st.lists(st.tuples(st.sampled_from(["sms_id", "currency"]), xml_text), max_size=5),
)
def test_answers_are_written_as_elementtree_writes_them(
    name: str, description: str, children: list[tuple[str, str]]
) -> None:
    root = ET.Element("response")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "description").text = description
    for tag, value in children:
        ET.SubElement(root, tag).text = value
    assert wire.build_answer(name, description, tuple(children)) == protocol.serialize(root)
