"""The amplification guard's pure parts: whom it applies to, the slipped reply, RFC 8482's ANY."""

from __future__ import annotations

import dns.flags
import dns.message
import pytest

from r53emu.model.query import Answer, Outcome, ResourceRecord
from r53emu.server.udpguard import UdpGuard, is_loopback, minimal_any, slip_reply

NAME = (b"www", b"example", b"test")


@pytest.mark.parametrize(
    ("ip", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("172.17.0.2", False),
        ("192.0.2.1", False),
        ("128.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2001:db8::1", False),
        ("::2", False),
    ],
)
def test_is_loopback(ip: str, loopback: bool) -> None:
    assert is_loopback(ip) is loopback


@pytest.mark.parametrize(
    ("scope", "loopback_guarded", "remote_guarded"),
    [("beyond-loopback", False, True), ("all", True, True), ("off", False, False)],
)
def test_scopes(scope: str, loopback_guarded: bool, remote_guarded: bool) -> None:
    guard = UdpGuard(scope)
    assert guard.applies("127.0.0.1") is loopback_guarded
    assert guard.applies("198.51.100.4") is remote_guarded


def test_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="beyond-loopback"):
        UdpGuard("some")


@pytest.mark.parametrize("edns", [False, True])
def test_slip_reply_is_truncated_and_no_larger_than_the_query(edns: bool) -> None:
    query = dns.message.make_query("www.example.test", "TXT", use_edns=0 if edns else None)
    query.flags |= dns.flags.CD
    packet = query.to_wire()
    reply_bytes = slip_reply(packet)
    assert reply_bytes is not None
    assert len(reply_bytes) <= len(packet)
    reply = dns.message.from_wire(reply_bytes)
    assert reply.id == query.id
    assert reply.flags & dns.flags.QR
    assert reply.flags & dns.flags.TC
    assert reply.flags & dns.flags.RD
    assert reply.flags & dns.flags.CD
    assert reply.question == query.question
    assert reply.answer == []
    assert (reply.edns >= 0) is edns


def test_slip_reply_to_what_is_not_an_ordinary_query_is_nothing() -> None:
    response = dns.message.make_response(dns.message.make_query("www.example.test", "A"))
    assert slip_reply(response.to_wire()) is None
    assert slip_reply(b"\x00\x01garbage") is None


def _record(rtype: int, rdata: bytes) -> ResourceRecord:
    return ResourceRecord(NAME, rtype, 300, rdata, "")


def test_minimal_any_is_one_hinfo_record() -> None:
    full = Answer(
        outcome=Outcome.ANSWER,
        rcode=0,
        authoritative=True,
        answer=(_record(1, b"\xc0\x00\x02\x01"), _record(16, b"\x03abc")),
        zone=NAME[1:],
    )
    minimal = minimal_any(full)
    assert [(r.rtype, r.ttl, r.rdata, r.name) for r in minimal.answer] == [
        (13, 3600, b"\x07RFC8482\x00", NAME)
    ]
    assert (minimal.rcode, minimal.authoritative, minimal.zone) == (0, True, NAME[1:])
    assert "RFC 8482" in minimal.notes[-1]


@pytest.mark.parametrize("outcome", [Outcome.NXDOMAIN, Outcome.NODATA, Outcome.REFUSED])
def test_minimal_any_keeps_negative_answers(outcome: Outcome) -> None:
    negative = Answer(outcome=outcome, rcode=3, authoritative=True)
    assert minimal_any(negative) is negative
