"""Replies shared by names a zone does not hold (r53emu.server.sharedreplies): which names may
share one, and the values that name the question itself, which keep a reply to its own name."""

from __future__ import annotations

import random
from pathlib import Path

import dns.message
import dns.rdatatype
import pytest

from r53emu.geo.locator import Locator
from r53emu.model import names
from r53emu.model.catalog import Catalog
from r53emu.server.handler import QueryHandler
from r53emu.server.sharedreplies import SHARED, ChildLabels
from r53emu.zonefiles.loader import load_catalog

ZONE = """\
zone: share.test
record_sets:
  - {name: '*.w', type: MX, ttl: 60, records: ['10 mail.w.share.test.']}
  - {name: '*.c', type: CNAME, ttl: 60, records: [x.yy.c.share.test.]}
  - {name: '*.w', type: A, ttl: 60, records: [192.0.2.1]}
  - {name: held.w, type: A, ttl: 60, records: [192.0.2.2]}
  - {name: deep.ent.w, type: A, ttl: 60, records: [192.0.2.3]}
"""
CHILD = """\
zone: sub.w.share.test
record_sets:
  - {name: '@', type: A, ttl: 60, records: [192.0.2.4]}
"""


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    directory: Path = tmp_path_factory.mktemp("share")
    (directory / "share.yaml").write_text(ZONE)
    (directory / "child.yaml").write_text(CHILD)
    return load_catalog(directory)


def handler(zones: Catalog) -> QueryHandler:
    built = QueryHandler(zones, random.Random(1))
    built.locator = Locator(zones.client_locations)
    return built


def ask(answering: QueryHandler, name: str, rtype: str = "A") -> dns.message.Message:
    query = dns.message.make_query(name, rtype)
    wire = answering.handle(query.to_wire(), "127.0.0.1", "udp")
    assert wire is not None
    reply = dns.message.from_wire(wire)
    assert reply.id == query.id
    return reply


def shared_entries(answering: QueryHandler) -> int:
    assert answering.replies is not None
    return sum(key.startswith(SHARED) for key in answering.replies._entries)


def test_the_labels_held_under_a_parent_include_empty_non_terminals_and_zone_apexes(
    zones: Catalog,
) -> None:
    children = ChildLabels(zones)
    assert children.of(names.parse("w.share.test")) >= {b"*", b"held", b"ent", b"sub"}
    assert children.of(names.parse("share.test")) >= {b"w", b"c"}
    assert children.of(names.parse("test")) == {b"share"}
    assert children.of(names.parse("nothing.w.share.test")) == frozenset()


def test_names_of_one_length_share_a_reply_and_held_names_never_do(zones: Catalog) -> None:
    answering = handler(zones)
    assert [a.to_text() for a in ask(answering, "abcd.w.share.test.").answer] == [
        "abcd.w.share.test. 60 IN A 192.0.2.1"
    ]
    assert shared_entries(answering) == 1
    for name in ("WXYZ.w.share.test.", "q123.w.share.test."):
        assert [a.to_text() for a in ask(answering, name).answer] == [f"{name} 60 IN A 192.0.2.1"]
    assert shared_entries(answering) == 1
    # Held names of the same length: their own answers (a node, an empty non-terminal, a zone).
    assert ask(answering, "HELD.w.share.test.").answer[0].to_text().endswith("192.0.2.2")
    empty = ask(answering, "ent.w.share.test.")  # an empty non-terminal of length 3: NODATA
    assert (empty.rcode(), empty.answer) == (0, [])
    assert ask(answering, "sub.w.share.test.").answer[0].to_text().endswith("192.0.2.4")


def test_a_value_naming_the_question_is_the_same_in_every_shared_reply(zones: Catalog) -> None:
    """`mail.w.share.test MX` answers `10 mail.w.share.test.`: values are packed as stored
    (never as pointers to the question), so the names sharing that reply still get `mail`'s
    name in the value, and their own as the owner."""
    answering = handler(zones)
    mail = ask(answering, "mail.w.share.test.", "MX")
    assert mail.answer[0].to_text() == "mail.w.share.test. 60 IN MX 10 mail.w.share.test."
    for name in ("abcd", "EFGH"):
        other = ask(answering, f"{name}.w.share.test.", "MX")
        assert other.answer[0].to_text() == f"{name}.w.share.test. 60 IN MX 10 mail.w.share.test."
    # A CNAME whose target ends with the question's name (x.yy.c... for yy.c...).
    cname = ask(answering, "yy.c.share.test.")
    assert cname.answer[0].to_text() == "yy.c.share.test. 60 IN CNAME x.yy.c.share.test."
    other = ask(answering, "zz.c.share.test.")
    assert other.answer[0].to_text() == "zz.c.share.test. 60 IN CNAME x.yy.c.share.test."
    assert shared_entries(answering) == 2


def test_nxdomain_names_share_one_reply_per_length(zones: Catalog) -> None:
    answering = handler(zones)
    for n in range(100, 200):
        reply = ask(answering, f"n{n}.nothing.share.test.")
        assert reply.rcode() == 3
        assert reply.question[0].name.to_text() == f"n{n}.nothing.share.test."
        assert reply.authority[0].rdtype == dns.rdatatype.SOA
    assert shared_entries(answering) == 1


def test_names_several_labels_below_the_encloser_share_by_length(zones: Catalog) -> None:
    """`q1.r1.w...` and `q2.r2.w...` are answered by `*.w` alike (nothing below w is held
    there): one reply for every such name whose labels below `w` are as long; names below a
    held name (`x.held.w...`) have their own encloser and reply."""
    answering = handler(zones)
    for n in range(10, 60):
        name = f"q{n}.r{n}.w.share.test."
        assert [a.to_text() for a in ask(answering, name).answer] == [f"{name} 60 IN A 192.0.2.1"]
    assert shared_entries(answering) == 1
    below_held = ask(answering, "x.held.w.share.test.")
    assert below_held.rcode() == 3  # NXDOMAIN: held.w is held, no wildcard below it
    assert [a.to_text() for a in ask(answering, "x.abcd.w.share.test.").answer] == [
        "x.abcd.w.share.test. 60 IN A 192.0.2.1"
    ]
    assert shared_entries(answering) == 3
