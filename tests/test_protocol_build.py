"""The send and status requests, written as text for speed, are byte for byte what ElementTree
makes of them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from django_letsads import protocol


def tree_build_send(
    login: str, password: str, sender: str, text: str, recipients: list[str]
) -> bytes:
    """The reference: the request built as an ElementTree and serialised."""
    root = ET.Element("request")
    auth = ET.SubElement(root, "auth")
    ET.SubElement(auth, "login").text = login
    ET.SubElement(auth, "password").text = password
    message = ET.SubElement(root, "message")
    ET.SubElement(message, "from").text = sender
    ET.SubElement(message, "text").text = text
    for recipient in recipients:
        ET.SubElement(message, "recipient").text = recipient
    return protocol.serialize(root)


# Characters XML can carry (no surrogates, no other control characters), with the ones that
# need escaping or care made likely.
xml_text = st.text(
    st.one_of(
        st.sampled_from("&<>\"'\r\n\t ;#"),
        st.characters(min_codepoint=0x20, blacklist_categories=("Cs",)),
    ),
    max_size=40,
)


@given(
    login=xml_text,
    password=xml_text,
    sender=xml_text,
    text=xml_text,
    recipients=st.lists(xml_text, max_size=5),
)
def test_build_send_writes_what_elementtree_writes(
    login: str, password: str, sender: str, text: str, recipients: list[str]
) -> None:
    assert protocol.build_send(login, password, sender, text, recipients) == tree_build_send(
        login, password, sender, text, recipients
    )


@given(login=xml_text, password=xml_text, sms_id=st.integers(1, 2**63 - 1) | xml_text)
def test_build_status_and_balance_write_what_elementtree_writes(
    login: str, password: str, sms_id: int | str
) -> None:
    root = ET.Element("request")
    auth = ET.SubElement(root, "auth")
    ET.SubElement(auth, "login").text = login
    ET.SubElement(auth, "password").text = password
    ET.SubElement(root, "sms_id").text = str(sms_id)
    assert protocol.build_status(login, password, sms_id) == protocol.serialize(root)
    root.remove(root[1])
    ET.SubElement(root, "balance")
    assert protocol.build_balance(login, password) == protocol.serialize(root)


def test_a_text_with_every_special_character_survives_a_round_trip() -> None:
    body = protocol.build_send("1", "p&<>", "Shop", 'a & b < c > d "e" \r\n', ["380501234567"])
    root = ET.fromstring(body)
    assert root.findtext("message/text") == 'a & b < c > d "e" \r\n'
    assert root.findtext("auth/password") == "p&<>"


@given(
    root=st.sampled_from(["response", "request"]),
    children=st.lists(
        st.tuples(st.sampled_from(["name", "description", "sms_id", "currency"]), xml_text),
        max_size=6,
    ),
)
def test_write_flat_writes_what_elementtree_writes(
    root: str, children: list[tuple[str, str]]
) -> None:
    tree = ET.Element(root)
    for tag, text in children:
        ET.SubElement(tree, tag).text = text
    assert protocol.write_flat(root, children) == protocol.serialize(tree)
