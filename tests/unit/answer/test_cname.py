"""CNAME answers (semantics §2.6, §2.3), in the pure lookup: a query of any type at a CNAME name
answers the CNAME alone, never chasing it, with the in-zone target's A and AAAA in the additional
section; a CNAME query returns the CNAME, and a target outside the zone adds nothing.
"""

from __future__ import annotations

import pytest

from r53emu.model.catalog import Catalog
from r53emu.model.query import Outcome
from tests.support.lookup_checks import ask, assert_answer, texts
from tests.support.lookup_zones import EXAMPLE_NS, WWW_ADDITIONAL


@pytest.mark.parametrize("rdtype", ["A", "AAAA", "TXT", "MX"])
def test_cname_answers_alone_with_target_addresses(catalog: Catalog, rdtype: str) -> None:
    """Any type at a CNAME: only the CNAME (no chasing), the in-zone target's A/AAAA additional."""
    answer = ask(catalog, "app.example.test", rdtype)
    assert answer.outcome is Outcome.CNAME
    assert answer.authoritative
    assert texts(answer.answer) == {"app.example.test. 120 IN CNAME www.example.test."}
    assert texts(answer.authority) == EXAMPLE_NS
    assert texts(answer.additional) == WWW_ADDITIONAL


def test_cname_query_returns_the_cname(catalog: Catalog) -> None:
    """A CNAME query at a CNAME name returns that CNAME (with the target's addresses)."""
    answer = ask(catalog, "app.example.test", "CNAME")
    assert_answer(answer, {"app.example.test. 120 IN CNAME www.example.test."})
    assert texts(answer.additional) == WWW_ADDITIONAL


def test_cname_to_outside_target_has_no_additional(catalog: Catalog) -> None:
    """A CNAME to a name outside the zone gets no additional records."""
    answer = ask(catalog, "away.example.test")
    assert texts(answer.answer) == {"away.example.test. 120 IN CNAME target.elsewhere.example."}
    assert answer.additional == ()
