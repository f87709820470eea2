"""Positive answers (semantics §2.1, §2.2, §3.1, §1.1), on the wire: a simple record set answers
every value, in an order that varies between replies, with the apex NS (4 records, TTL 172800) in
authority; an NS query at the apex answers those four names with authority empty. A real server on
127.0.0.1 serves `ZONE_FILES` (tests/support/lookup_zones.py); dnspython asks over UDP and over TCP,
and each test asserts the header flags, the rcode and all three sections.
"""

from __future__ import annotations

from tests.support.lookup_zones import EXAMPLE_NS, WWW_ADDRESSES, www_a_texts
from tests.support.wire_checks import Ask, Expected, assert_reply, positive


def test_positive_answer_has_all_values_and_apex_ns(ask: Ask) -> None:
    """A simple A record set: every value, AA, the apex NS (4 records, TTL 172800) in authority."""
    reply = ask("www.example.test")
    assert_reply(reply, positive(www_a_texts("www.example.test.")))
    [apex_ns] = reply.authority
    assert (len(apex_ns), apex_ns.ttl) == (4, 172800)


def test_simple_values_come_in_random_order(ask: Ask) -> None:
    """Over many queries every value is always present and more than one order appears."""
    orders = set()
    for _ in range(40):
        reply = ask("www.example.test")
        order = tuple(rdata.to_text() for rdata in reply.answer[0])
        assert sorted(order) == sorted(WWW_ADDRESSES)
        orders.add(order)
    # 4 values: 24 orders; all 40 answers in one order would happen with odds of 24**-39.
    assert len(orders) > 1


def test_default_apex_ns_answer_is_not_repeated_in_authority(ask: Ask) -> None:
    """NS at the apex: the four awsdns names (TTL 172800) in answer, authority empty."""
    assert_reply(ask("example.test", "NS"), Expected(answer=set(EXAMPLE_NS)))
