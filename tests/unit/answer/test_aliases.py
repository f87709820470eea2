"""Alias records in the zone (semantics §4, §2.2), in the pure lookup: an alias answers as its
declared type under its own name with the values and TTL of the record finally reached (at the apex
and through chains too), gives NODATA to other types, and a CNAME-type alias to a CNAME answers that
CNAME.
"""

from __future__ import annotations

from r53emu.model import names
from r53emu.model.catalog import Catalog
from r53emu.model.query import Outcome
from tests.support.lookup_checks import ask, assert_answer, assert_negative, texts
from tests.support.lookup_zones import WWW_ADDITIONAL, www_a_texts


def test_alias_answers_with_own_name_type_and_target_ttl(catalog: Catalog) -> None:
    """An A alias answers as A under its own name with the target's values and TTL."""
    assert_answer(ask(catalog, "shop.example.test"), www_a_texts("shop.example.test."))


def test_alias_at_apex(catalog: Catalog) -> None:
    """An alias at the zone apex answers like any alias."""
    assert_answer(ask(catalog, "example.test"), www_a_texts("example.test."))


def test_alias_chain_reaches_final_records(catalog: Catalog) -> None:
    """alias -> alias -> records answers the final values and TTL under the first alias's name."""
    answer = ask(catalog, "chain.example.test")
    assert_answer(answer, www_a_texts("chain.example.test."))
    assert [decision.name for decision in answer.why] == [
        names.parse(name)
        for name in ("chain.example.test", "shop.example.test", "www.example.test")
    ]


def test_alias_does_not_answer_other_types(catalog: Catalog) -> None:
    """An A alias gives NODATA for AAAA although its target has AAAA."""
    assert_negative(ask(catalog, "shop.example.test", "AAAA"), Outcome.NODATA)


def test_cname_alias_to_cname_answers_the_cname(catalog: Catalog) -> None:
    """A CNAME-type alias to a CNAME answers that CNAME's value and TTL under the alias name."""
    answer = ask(catalog, "link.example.test", "A")
    assert answer.outcome is Outcome.CNAME
    assert texts(answer.answer) == {"link.example.test. 120 IN CNAME www.example.test."}
    assert texts(answer.additional) == WWW_ADDITIONAL
