"""Wildcards (semantics §2.4, following RFC 4592 for the finer cases of §9 item 4), in the pure
lookup: `*` covers its own level and every level below, under the query name, for every type it has;
an existing name, an empty non-terminal and a name with other types never fall back to it, and it
does not cover its parent; a literal `*` query matches the wildcard itself; Route 53's `*` alias to
the apex and a wildcard CNAME answer like any other record.
"""

from __future__ import annotations

import pytest

from r53emu.model.catalog import Catalog
from r53emu.model.query import Outcome
from tests.support.lookup_checks import ask, assert_answer, assert_negative, texts
from tests.support.lookup_zones import apex_ns_texts, soa_text


@pytest.mark.parametrize(
    "name", ["zenith.apps.example.test", "a.zenith.apps.example.test", "p.a.z.apps.example.test"]
)
def test_wildcard_covers_its_level_and_deeper(catalog: Catalog, name: str) -> None:
    """`*.apps` answers names one or more levels below apps, with the query name as owner."""
    assert_answer(ask(catalog, name), {f"{name}. 30 IN A 192.0.2.80"})


def test_exact_name_wins_over_wildcard(catalog: Catalog) -> None:
    """An existing name uses its own records, never the wildcard's."""
    assert_answer(
        ask(catalog, "exact.apps.example.test"), {"exact.apps.example.test. 300 IN A 192.0.2.81"}
    )


def test_wildcard_does_not_match_its_parent(catalog: Catalog) -> None:
    """`*.apps` gives nothing to `apps` itself (an empty non-terminal there: NODATA)."""
    assert_negative(ask(catalog, "apps.example.test"), Outcome.NODATA)


def test_existing_name_with_other_types_is_nodata_not_wildcard(catalog: Catalog) -> None:
    """A name that exists with other types does not fall back to the wildcard: NODATA."""
    assert_negative(ask(catalog, "texty.apps.example.test", "A"), Outcome.NODATA)


def test_empty_non_terminal_is_nodata(catalog: Catalog) -> None:
    """An empty non-terminal under a wildcard is NODATA, not the wildcard's data."""
    assert_negative(ask(catalog, "branch.apps.example.test"), Outcome.NODATA)


def test_empty_non_terminal_blocks_wildcard_below_it(catalog: Catalog) -> None:
    """Below an empty non-terminal the wildcard above does not apply: NXDOMAIN (RFC 4592)."""
    assert_negative(ask(catalog, "x.branch.apps.example.test"), Outcome.NXDOMAIN)


def test_literal_star_query_matches_wildcard_record(catalog: Catalog) -> None:
    """A query for `*.apps` itself answers the wildcard record set."""
    assert_answer(ask(catalog, "*.apps.example.test"), {"*.apps.example.test. 30 IN A 192.0.2.80"})


def test_name_below_existing_name_is_nxdomain(catalog: Catalog) -> None:
    """Below an existing name the closest encloser is that name, which has no wildcard: NXDOMAIN."""
    assert_negative(ask(catalog, "x.exact.apps.example.test"), Outcome.NXDOMAIN)


def test_wildcard_alias_to_apex(catalog: Catalog) -> None:
    """`*` aliased to the apex gives every missing name the apex A, under the query name."""
    answer = ask(catalog, "a.b.trick.test")
    assert_answer(answer, {"a.b.trick.test. 300 IN A 192.0.2.90"}, apex_ns_texts("trick.test"))


def test_apex_wildcard_does_not_answer_apex(catalog: Catalog) -> None:
    """The apex wildcard gives nothing to the apex itself: a type it lacks there is NODATA."""
    assert_negative(ask(catalog, "trick.test", "MX"), Outcome.NODATA, soa_text("trick.test"))


def test_wildcard_cname_answers_with_target_addresses(catalog: Catalog) -> None:
    """A wildcard CNAME answers under the query name, with the in-zone target's A additional."""
    answer = ask(catalog, "x.docs.trick.test", "AAAA")
    assert answer.outcome is Outcome.CNAME
    assert texts(answer.answer) == {"x.docs.trick.test. 300 IN CNAME trick.test."}
    assert texts(answer.additional) == {"trick.test. 300 IN A 192.0.2.90"}


def test_empty_non_terminal_blocks_apex_wildcard(catalog: Catalog) -> None:
    """`docs` (only `*.docs` below it) is an empty non-terminal: NODATA, not the apex `*`."""
    assert_negative(ask(catalog, "docs.trick.test"), Outcome.NODATA, soa_text("trick.test"))


def test_wildcard_name_lacking_type_is_nodata(catalog: Catalog) -> None:
    """A wildcard-covered name asking a type the wildcard lacks gets NODATA with the SOA."""
    assert_negative(ask(catalog, "zenith.apps.example.test", "AAAA"), Outcome.NODATA)


def test_wildcard_answers_any_type_it_has(catalog: Catalog) -> None:
    """The wildcard's other record sets answer too, under the query name."""
    answer = ask(catalog, "zenith.apps.example.test", "TXT")
    assert_answer(answer, {'zenith.apps.example.test. 30 IN TXT "wild text"'})
