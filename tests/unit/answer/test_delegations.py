"""Delegated subdomains (semantics §0 step 3, §2.5), in the pure lookup: a name at or below a zone
cut gets a referral (NOERROR, AA=0, the child's NS in authority, in-zone glue in additional); DS at
the cut itself is the parent's data (answered, or NODATA without a DS record set), while DS below
the cut is referred like any other type.
"""

from __future__ import annotations

import pytest

from r53emu.model.catalog import Catalog
from r53emu.model.dnsconstants import RCODE_NOERROR
from r53emu.model.query import Outcome
from tests.support.lookup_checks import ask, assert_answer, assert_negative, texts
from tests.support.lookup_zones import DEV_GLUE, DEV_NS, DS_DIGEST


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [("dev.example.test", "A"), ("dev.example.test", "NS"), ("a.b.dev.example.test", "AAAA")],
)
def test_delegated_name_gets_referral(catalog: Catalog, name: str, rdtype: str) -> None:
    """At and below a cut: NOERROR, AA=0, child NS in authority, in-zone glue in additional."""
    answer = ask(catalog, name, rdtype)
    assert (answer.outcome, answer.rcode, answer.authoritative) == (
        Outcome.REFERRAL,
        RCODE_NOERROR,
        False,
    )
    assert answer.answer == ()
    assert texts(answer.authority) == DEV_NS
    assert texts(answer.additional) == DEV_GLUE


def test_ds_at_cut_is_answered_by_parent(catalog: Catalog) -> None:
    """DS at a delegation point is the parent's data: authoritative answer, apex NS."""
    answer = ask(catalog, "secure.example.test", "DS")
    assert_answer(answer, {f"secure.example.test. 300 IN DS 12345 13 2 {DS_DIGEST}"})


def test_missing_ds_at_cut_is_nodata(catalog: Catalog) -> None:
    """DS at a cut without a DS record set is authoritative NODATA with the SOA."""
    assert_negative(ask(catalog, "dev.example.test", "DS"), Outcome.NODATA)


def test_ds_below_cut_is_referral(catalog: Catalog) -> None:
    """DS for a name below a cut belongs to the child: referral, not the parent's DS."""
    answer = ask(catalog, "x.secure.example.test", "DS")
    assert answer.outcome is Outcome.REFERRAL
    assert texts(answer.authority) == {"secure.example.test. 300 IN NS ns.elsewhere.example."}
    assert answer.additional == ()
