"""Which hosted zone answers, and zone transfers (semantics §0 steps 1-2, §2.1, §2.5, §2.10), on the
wire: a name in no hosted zone is REFUSED with AA=0 and empty sections (never recursion), AXFR and
IXFR are REFUSED, and the most specific hosted zone answers for its names without the parent's
records below it. A real server on 127.0.0.1 serves `ZONE_FILES` (tests/support/lookup_zones.py);
dnspython asks over UDP and over TCP, and each test asserts the header flags, the rcode and all
three sections.
"""

from __future__ import annotations

import pytest

from tests.conftest import ServeZones
from tests.support.helpers import query
from tests.support.lookup_zones import ZONE_FILES, apex_ns_texts, soa_text
from tests.support.wire_checks import REFUSED, Ask, Expected, assert_reply, nxdomain


@pytest.mark.parametrize("name", ["www.example.org", "test", ".", "example.test.evil"])
def test_name_in_no_hosted_zone_is_refused(ask: Ask, name: str) -> None:
    """A name in no hosted zone is REFUSED with AA=0 and empty sections (never recursion)."""
    assert_reply(ask(name), REFUSED)


@pytest.mark.parametrize("rdtype", ["AXFR", "IXFR"])
def test_zone_transfer_is_refused(serve_zones: ServeZones, rdtype: str) -> None:
    """AXFR and IXFR over TCP for a hosted zone are REFUSED (zone transfers are not offered)."""
    address = serve_zones(ZONE_FILES)
    assert_reply(query(address, "example.test", rdtype, tcp=True), REFUSED)


def test_most_specific_hosted_zone_answers(ask: Ask) -> None:
    """A name under a hosted child zone is answered from the child, with the child's NS."""
    reply = ask("host.child.example.test")
    child = Expected(
        answer={"host.child.example.test. 300 IN A 198.51.100.7"},
        authority=apex_ns_texts("child.example.test"),
    )
    assert_reply(reply, child)


def test_parent_records_under_hosted_child_are_not_used(ask: Ask) -> None:
    """A parent record below a hosted child zone is invisible: the child answers NXDOMAIN."""
    reply = ask("only-in-parent.child.example.test")
    assert_reply(reply, nxdomain(soa_text("child.example.test")))
