"""Negative answers (semantics §0 steps 4-5, §2.1), in the pure lookup: a type the name lacks
(unknown and obsolete types included) is NODATA, a missing name is NXDOMAIN, both authoritative with
only the zone's SOA in authority, whose TTL is the smaller of the SOA TTL and its MINIMUM (RFC 2308
§3).
"""

from __future__ import annotations

import pytest

from r53emu.model.catalog import Catalog
from r53emu.model.query import Outcome
from tests.support.lookup_checks import ask, assert_negative
from tests.support.lookup_zones import soa_text


@pytest.mark.parametrize("rdtype", ["MX", "SOA", "TYPE666", "MD", "MF", "NULL", "WKS", "NAPTR"])
def test_absent_type_is_nodata(catalog: Catalog, rdtype: str) -> None:
    """A type the name lacks (unknown and obsolete types included) is NODATA with the SOA."""
    assert_negative(ask(catalog, "www.example.test", rdtype), Outcome.NODATA)


def test_missing_name_is_nxdomain(catalog: Catalog) -> None:
    """A name the zone lacks (and no wildcard covers) is NXDOMAIN with the SOA at TTL 900."""
    assert_negative(ask(catalog, "nowhere.example.test"), Outcome.NXDOMAIN)


def test_negative_ttl_is_soa_minimum_when_smaller(catalog: Catalog) -> None:
    """With SOA MINIMUM 60 < SOA TTL 900 the SOA in a negative answer has TTL 60."""
    short_soa = soa_text("short.test", ttl=60, minimum=60)
    assert_negative(ask(catalog, "nowhere.short.test"), Outcome.NXDOMAIN, short_soa)
    assert_negative(ask(catalog, "short.test", "TXT"), Outcome.NODATA, short_soa)
