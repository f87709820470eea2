"""Which hosted zone answers (semantics §0 step 2, §2.1, §2.5), in the pure lookup: a name in no
hosted zone (a zone's parents included) is REFUSED with AA=0 and no records; the most specific
hosted zone answers for its names, and records the parent zone holds below a hosted child are never
used.
"""

from __future__ import annotations

import pytest

from r53emu.model import names
from r53emu.model.catalog import Catalog
from r53emu.model.dnsconstants import RCODE_REFUSED
from r53emu.model.query import Outcome
from tests.support.lookup_checks import ask, assert_answer, assert_negative
from tests.support.lookup_zones import apex_ns_texts, soa_text


@pytest.mark.parametrize("name", ["www.example.org", "test", ".", "example.test.evil"])
def test_name_in_no_hosted_zone_is_refused(catalog: Catalog, name: str) -> None:
    """A name outside every hosted zone (parents of a zone included) is REFUSED, AA=0, empty."""
    answer = ask(catalog, name)
    assert (answer.outcome, answer.rcode, answer.authoritative) == (
        Outcome.REFUSED,
        RCODE_REFUSED,
        False,
    )
    assert answer.answer == answer.authority == answer.additional == ()


def test_most_specific_hosted_zone_answers(catalog: Catalog) -> None:
    """A name in both a parent and a hosted child zone is answered from the child."""
    answer = ask(catalog, "host.child.example.test")
    assert_answer(
        answer,
        {"host.child.example.test. 300 IN A 198.51.100.7"},
        authority=apex_ns_texts("child.example.test"),
    )
    assert answer.zone == names.parse("child.example.test")


def test_parent_only_record_below_hosted_child_is_nxdomain_from_child(catalog: Catalog) -> None:
    """A record the parent has below a hosted child zone is invisible: the child says NXDOMAIN."""
    answer = ask(catalog, "only-in-parent.child.example.test")
    assert_negative(answer, Outcome.NXDOMAIN, soa_text("child.example.test"))
