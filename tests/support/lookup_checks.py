"""Helpers of the pure lookup tests: ask the catalog, write records as text, check answers.

The `catalog` fixture they ask is in `tests/unit/answer/conftest.py`; records are compared as
dnspython's 'owner TTL IN TYPE value' text, like the wire tests' (`tests/support/wire_checks.py`).
"""

from __future__ import annotations

import random

import dns.rdatatype

from r53emu.answer.lookup import lookup
from r53emu.model import names
from r53emu.model.catalog import Catalog
from r53emu.model.dnsconstants import RCODE_NOERROR, RCODE_NXDOMAIN
from r53emu.model.query import Answer, Outcome, QueryContext, ResourceRecord
from tests.support.lookup_zones import EXAMPLE_NS, EXAMPLE_SOA


def ask(catalog: Catalog, name: str, rdtype: str | int = "A", seed: int = 0) -> Answer:
    """Look up `name` (kept as written, case included) and `rdtype` with a seeded rng."""
    qtype = dns.rdatatype.from_text(rdtype) if isinstance(rdtype, str) else rdtype
    query = QueryContext(qname=names.parse(name), qtype=qtype)
    return lookup(catalog, query, random.Random(seed))


def texts(records: tuple[ResourceRecord, ...]) -> set[str]:
    """Each record as 'owner TTL IN TYPE value' (dnspython's text form), as a set."""
    return {
        f"{names.to_text(rr.name)} {rr.ttl} IN {type_text(rr.rtype)} {rr.text}" for rr in records
    }


def type_text(rtype: int) -> str:
    """A record type's mnemonic as dnspython writes it (TYPE666 for unknown codes)."""
    return dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rtype))


def assert_answer(answer: Answer, records: set[str], authority: set[str] = EXAMPLE_NS) -> None:
    """A positive authoritative answer: NOERROR, AA, these records, apex NS in authority."""
    assert (answer.outcome, answer.rcode, answer.authoritative) == (
        Outcome.ANSWER,
        RCODE_NOERROR,
        True,
    )
    assert texts(answer.answer) == records
    assert texts(answer.authority) == authority


def assert_negative(answer: Answer, outcome: Outcome, soa: str = EXAMPLE_SOA) -> None:
    """NODATA or NXDOMAIN: AA, no answer, only the zone SOA in authority, no additional."""
    rcode = RCODE_NXDOMAIN if outcome is Outcome.NXDOMAIN else RCODE_NOERROR
    assert (answer.outcome, answer.rcode, answer.authoritative) == (outcome, rcode, True)
    assert answer.answer == ()
    assert texts(answer.authority) == {soa}
    assert answer.additional == ()
