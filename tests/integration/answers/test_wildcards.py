"""Wildcards (semantics §2.4, following RFC 4592 for the finer cases of §9 item 4), on the wire: `*`
covers its own level and deeper under the query name; an existing name, a name with other types and
an empty non-terminal (and names below it) never fall back to it, nor does its parent; a literal `*`
query answers the wildcard itself; a `*` alias to the apex gives missing names the apex A. A real
server on 127.0.0.1 serves `ZONE_FILES` (tests/support/lookup_zones.py); dnspython asks over UDP and
over TCP, and each test asserts the header flags, the rcode and all three sections.
"""

from __future__ import annotations

import pytest

from tests.support.lookup_zones import apex_ns_texts
from tests.support.wire_checks import Ask, Expected, assert_reply, nodata, nxdomain, positive


@pytest.mark.parametrize(
    "name", ["zenith.apps.example.test", "a.zenith.apps.example.test", "p.a.z.apps.example.test"]
)
def test_wildcard_covers_its_level_and_deeper(ask: Ask, name: str) -> None:
    """`*.apps` answers names at its level and deeper, owner = the query name."""
    assert_reply(ask(name), positive({f"{name}. 30 IN A 192.0.2.80"}))


def test_exact_name_wins_over_wildcard(ask: Ask) -> None:
    """An existing name answers its own record, not the wildcard's."""
    reply = ask("exact.apps.example.test")
    assert_reply(reply, positive({"exact.apps.example.test. 300 IN A 192.0.2.81"}))


def test_wildcard_does_not_match_its_parent(ask: Ask) -> None:
    """`*.apps` does not answer `apps` itself: NODATA (an empty non-terminal)."""
    assert_reply(ask("apps.example.test"), nodata())


def test_existing_name_with_other_types_is_nodata(ask: Ask) -> None:
    """A name with only TXT asked for A is NODATA, not the wildcard's A."""
    assert_reply(ask("texty.apps.example.test"), nodata())


def test_empty_non_terminal_blocks_wildcard(ask: Ask) -> None:
    """An empty non-terminal is NODATA and names below it are NXDOMAIN, not the wildcard."""
    assert_reply(ask("branch.apps.example.test"), nodata())
    assert_reply(ask("x.branch.apps.example.test"), nxdomain())


def test_literal_star_query_matches_wildcard_record(ask: Ask) -> None:
    """A query for `*.apps` itself answers the wildcard record set under `*.apps`."""
    reply = ask("*.apps.example.test")
    assert_reply(reply, positive({"*.apps.example.test. 30 IN A 192.0.2.80"}))


def test_wildcard_alias_to_apex(ask: Ask) -> None:
    """`*` aliased to the apex answers missing names with the apex A under the query name."""
    reply = ask("a.b.trick.test")
    expected = Expected(
        answer={"a.b.trick.test. 300 IN A 192.0.2.90"}, authority=apex_ns_texts("trick.test")
    )
    assert_reply(reply, expected)
