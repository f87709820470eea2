"""Alias records in the zone (semantics §4, §2.2), on the wire: an alias answers as its declared
type (never CNAME) under its own name with the final record's values and TTL, at the apex and
through chains, NODATA for other types; a CNAME-type alias to a CNAME answers that CNAME. A real
server on 127.0.0.1 serves `ZONE_FILES` (tests/support/lookup_zones.py); dnspython asks over UDP and
over TCP, and each test asserts the header flags, the rcode and all three sections.
"""

from __future__ import annotations

from tests.support.lookup_zones import WWW_ADDITIONAL, www_a_texts
from tests.support.wire_checks import Ask, assert_reply, nodata, positive


def test_alias_answers_with_own_name_type_and_target_ttl(ask: Ask) -> None:
    """An A alias answers as A (never CNAME) under its own name with the target's TTL 60."""
    assert_reply(ask("shop.example.test"), positive(www_a_texts("shop.example.test.")))


def test_alias_at_apex(ask: Ask) -> None:
    """An alias at the zone apex answers with the target's values under the apex name."""
    assert_reply(ask("example.test"), positive(www_a_texts("example.test.")))


def test_alias_chain_answers_final_records(ask: Ask) -> None:
    """alias -> alias -> records: the final values and TTL under the first alias's name."""
    assert_reply(ask("chain.example.test"), positive(www_a_texts("chain.example.test.")))


def test_alias_gives_nodata_for_other_types(ask: Ask) -> None:
    """An A alias answers NODATA for AAAA although its target has AAAA."""
    assert_reply(ask("shop.example.test", "AAAA"), nodata())


def test_cname_alias_to_cname_answers_the_cname(ask: Ask) -> None:
    """A CNAME-type alias to a CNAME answers that CNAME (value and TTL) under the alias name."""
    reply = ask("link.example.test")
    cname = {"link.example.test. 120 IN CNAME www.example.test."}
    assert_reply(reply, positive(cname, WWW_ADDITIONAL))
