"""Delegated subdomains (semantics §0 step 3, §2.5), on the wire: a name at or below a cut, in any
case, gets a referral (NOERROR, AA=0, the child's NS in authority, in-zone glue in additional); DS
at the cut is the parent's (answered, or NODATA), DS below it is referred. A real server on
127.0.0.1 serves `ZONE_FILES` (tests/support/lookup_zones.py); dnspython asks over UDP and over TCP,
and each test asserts the header flags, the rcode and all three sections.
"""

from __future__ import annotations

import pytest

from tests.support.lookup_zones import DS_DIGEST
from tests.support.wire_checks import REFERRAL, Ask, Expected, assert_reply, nodata, positive


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [("dev.example.test", "A"), ("dev.example.test", "NS"), ("a.b.dev.example.test", "AAAA")],
)
def test_delegated_name_gets_referral(ask: Ask, name: str, rdtype: str) -> None:
    """At and below a cut: NOERROR, AA=0, child NS in authority, in-zone glue in additional."""
    assert_reply(ask(name, rdtype), REFERRAL)


def test_ds_at_cut_is_answered_by_parent(ask: Ask) -> None:
    """DS at a delegation point comes from the parent zone, authoritatively."""
    reply = ask("secure.example.test", "DS")
    assert_reply(reply, positive({f"secure.example.test. 300 IN DS 12345 13 2 {DS_DIGEST}"}))


def test_missing_ds_at_cut_is_nodata(ask: Ask) -> None:
    """DS at a cut without DS records: authoritative NODATA with the SOA, not a referral."""
    assert_reply(ask("dev.example.test", "DS"), nodata())


def test_ds_below_cut_is_referral(ask: Ask) -> None:
    """DS for a name below a cut belongs to the child zone: a referral (no glue: none in zone)."""
    reply = ask("x.secure.example.test", "DS")
    referral = Expected(
        aa=False, authority={"secure.example.test. 300 IN NS ns.elsewhere.example."}
    )
    assert_reply(reply, referral)


def test_mixed_case_referral(ask: Ask) -> None:
    """A referral matches case-insensitively and echoes the question as sent."""
    reply = ask("X.Dev.EXAMPLE.test", "A")
    assert_reply(reply, REFERRAL)
    assert reply.question[0].name.labels == (b"X", b"Dev", b"EXAMPLE", b"test", b"")
