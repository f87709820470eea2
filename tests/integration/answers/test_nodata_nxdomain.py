"""Negative answers (semantics §0 steps 4-5, §2.1), on the wire: a type the name lacks (unknown and
obsolete ones too) is NODATA, never FORMERR or NOTIMP, a missing name is NXDOMAIN, both with the SOA
in authority at the negative TTL min(SOA TTL, MINIMUM) (RFC 2308 §3). A real server on 127.0.0.1
serves `ZONE_FILES` (tests/support/lookup_zones.py); dnspython asks over UDP and over TCP, and each
test asserts the header flags, the rcode and all three sections.
"""

from __future__ import annotations

import pytest

from tests.support.lookup_zones import soa_text
from tests.support.wire_checks import Ask, assert_reply, nodata, nxdomain


@pytest.mark.parametrize("rdtype", ["MX", "TYPE666", "MD", "NULL", "WKS"])
def test_absent_type_is_nodata(ask: Ask, rdtype: str) -> None:
    """A type the name lacks (unknown, obsolete too) is NODATA + SOA, never FORMERR/NOTIMP."""
    assert_reply(ask("www.example.test", rdtype), nodata())


def test_missing_name_is_nxdomain_with_default_negative_ttl(ask: Ask) -> None:
    """A missing name is NXDOMAIN with the SOA at the default negative TTL 900."""
    assert_reply(ask("nowhere.example.test"), nxdomain())


def test_negative_ttl_is_soa_minimum_when_smaller(ask: Ask) -> None:
    """With `soa: {minimum: 60}` the SOA in NXDOMAIN and NODATA answers has TTL 60."""
    short_soa = soa_text("short.test", ttl=60, minimum=60)
    assert_reply(ask("nowhere.short.test"), nxdomain(short_soa))
    assert_reply(ask("short.test", "TXT"), nodata(short_soa))
