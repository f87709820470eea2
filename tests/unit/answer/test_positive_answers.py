"""Positive answers (semantics §2.1, §2.2, §3.1, §1.1), in the pure lookup: a simple record set
answers with every value, in an order that varies between answers, and the apex NS record set in
authority; an SOA query at the apex answers the SOA at its own TTL, and an NS query there the
default four awsdns name servers at TTL 172800.
"""

from __future__ import annotations

from r53emu.model.catalog import Catalog
from tests.support.lookup_checks import ask, assert_answer
from tests.support.lookup_zones import EXAMPLE_NS, EXAMPLE_SOA, WWW_ADDRESSES, www_a_texts


def test_positive_answer_has_every_value_and_apex_ns(catalog: Catalog) -> None:
    """A simple record set answers with all its values, the apex NS in authority, no additional."""
    answer = ask(catalog, "www.example.test")
    assert_answer(answer, www_a_texts("www.example.test."))
    assert len(answer.authority) == 4
    assert answer.additional == ()


def test_simple_values_come_in_random_order(catalog: Catalog) -> None:
    """Simple routing returns every value each time, in an order that varies between answers."""
    orders = set()
    for seed in range(50):
        answer = ask(catalog, "www.example.test", seed=seed)
        values = tuple(rr.text for rr in answer.answer)
        assert sorted(values) == sorted(WWW_ADDRESSES)
        orders.add(values)
    assert len(orders) > 1


def test_apex_soa_query_answers_soa_at_its_own_ttl(catalog: Catalog) -> None:
    """An SOA query at the apex answers the stored SOA (TTL 900), apex NS in authority."""
    assert_answer(ask(catalog, "example.test", "SOA"), {EXAMPLE_SOA})


def test_default_apex_ns_answer(catalog: Catalog) -> None:
    """NS at a default apex: the four awsdns names at TTL 172800, no authority, no additional."""
    answer = ask(catalog, "example.test", "NS")
    assert_answer(answer, EXAMPLE_NS, authority=set())
    assert answer.additional == ()
