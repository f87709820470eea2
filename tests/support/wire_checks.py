"""Helpers of the wire answer tests: what a reply must hold, and the check of a whole reply.

`assert_reply` checks the header flags (QR, AA, RD copied, RA, AD and TC never), the rcode and all
three sections as record texts; the `ask` fixture is in `tests/integration/answers/conftest.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.rcode

from tests.support.helpers import rrset_texts
from tests.support.lookup_zones import DEV_GLUE, DEV_NS, EXAMPLE_NS, EXAMPLE_SOA


@dataclass(frozen=True)
class Expected:
    """What a reply must hold: rcode, AA, and each section as record texts."""

    rcode: dns.rcode.Rcode = dns.rcode.NOERROR
    aa: bool = True
    answer: set[str] = field(default_factory=set)
    authority: set[str] = field(default_factory=set)
    additional: set[str] = field(default_factory=set)


def positive(answer: set[str], additional: Iterable[str] = ()) -> Expected:
    """An authoritative answer of example.test: these records, apex NS in authority."""
    return Expected(answer=answer, authority=set(EXAMPLE_NS), additional=set(additional))


def nodata(soa: str = EXAMPLE_SOA) -> Expected:
    """Authoritative NOERROR without answer, the SOA (negative TTL) in authority."""
    return Expected(authority={soa})


def nxdomain(soa: str = EXAMPLE_SOA) -> Expected:
    """Authoritative NXDOMAIN, the SOA (negative TTL) in authority."""
    return Expected(rcode=dns.rcode.NXDOMAIN, authority={soa})


REFUSED = Expected(rcode=dns.rcode.REFUSED, aa=False)

REFERRAL = Expected(aa=False, authority=set(DEV_NS), additional=set(DEV_GLUE))

Ask = Callable[..., dns.message.Message]


def assert_reply(reply: dns.message.Message, expected: Expected, rd: bool = True) -> None:
    """Flags (QR, AA as expected, RD copied, no RA/AD/TC), rcode and all three sections."""
    assert reply.flags & dns.flags.QR
    assert bool(reply.flags & dns.flags.AA) is expected.aa
    assert bool(reply.flags & dns.flags.RD) is rd
    assert not reply.flags & (dns.flags.RA | dns.flags.AD | dns.flags.TC)
    assert reply.rcode() == expected.rcode
    assert rrset_texts(reply.answer) == expected.answer
    assert rrset_texts(reply.authority) == expected.authority
    assert rrset_texts(reply.additional) == expected.additional
