"""EDNS0 (RFC 6891), Client Subnet (RFC 7871) and reply sizes, on a real server (semantics §2.8).

Well-formed queries go through dnspython; hand-made OPT records (two OPTs, a named owner, broken
ECS bytes) are built here as raw bytes and sent over UDP with `r53emu.testing.client.udp_exchange`.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer
from r53emu.testing.client import udp_exchange
from tests.support.helpers import query, rrset_texts, write_zones

Address = tuple[str, int]

ECS = 8
OPT = 41
DO_BIT = 0x8000


def _addresses(count: int) -> list[str]:
    """`count` distinct documentation addresses (record data only, never contacted)."""
    hosts = [f"198.51.100.{i}" for i in range(256)] + [f"203.0.113.{i}" for i in range(256)]
    return hosts[:count]


def _yaml_list(values: list[str]) -> str:
    return "[" + ", ".join(values) + "]"


# Sizes (A record in the answer = 16 bytes after name compression): `fifty` is ~1 KB (over 512,
# under 1232), `hundred` ~1.8 KB (over 1232, under 4096), `huge` ~4.9 KB (over 4096).
# `mx`'s additional section (40 A values of mailhost) overflows 512 while its answer does not;
# `dev` is a delegation whose glue alone overflows 512.
WIRE_ZONE = f"""\
zone: wire.test
ttl: 300
record_sets:
  - {{name: www, type: A, ttl: 60, records: [192.0.2.1]}}
  - {{name: fifty, type: A, ttl: 60, records: {_yaml_list(_addresses(50))}}}
  - {{name: hundred, type: A, ttl: 60, records: {_yaml_list(_addresses(100))}}}
  - {{name: huge, type: A, ttl: 60, records: {_yaml_list(_addresses(300))}}}
  - name: text
    type: TXT
    records: ['"{"a" * 200}"', '"{"b" * 200}"', '"{"c" * 200}"']
  - {{name: mx, type: MX, records: ["10 mailhost.wire.test."]}}
  - {{name: mailhost, type: A, records: {_yaml_list(_addresses(40))}}}
  - {{name: dev, type: NS, records: [ns1.dev.wire.test.]}}
  - {{name: ns1.dev, type: A, records: {_yaml_list(_addresses(40))}}}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Address]:
    """One real server on the wire.test zone for the whole module."""
    directory = write_zones(tmp_path_factory.mktemp("edns") / "zones", {"wire.yaml": WIRE_ZONE})
    with BackgroundServer(ServerConfig(zones=Path(directory), address="127.0.0.1", port=0)) as bg:
        yield bg.address


def _a_values(reply: dns.message.Message) -> set[str]:
    return {rdata.to_text() for rrset in reply.answer for rdata in rrset}


# --- raw OPT building -------------------------------------------------------------------------


def _opt_rr(
    *,
    owner: bytes = b"\x00",
    payload: int = 1232,
    version: int = 0,
    flags: int = 0,
    options: bytes = b"",
) -> bytes:
    """One OPT record on the wire: owner, TYPE 41, CLASS = payload, TTL = version and flags."""
    ttl = (version << 16) | flags
    return owner + struct.pack("!HHIH", OPT, payload, ttl, len(options)) + options


def _option(code: int, data: bytes) -> bytes:
    return struct.pack("!HH", code, len(data)) + data


def _raw_query(name: str, *opts: bytes, ident: int = 0x5151) -> bytes:
    """A query for `name` A (RD=0) with the given OPT records appended to the additional section."""
    question = dns.name.from_text(name).to_wire() + struct.pack("!HH", 1, 1)
    header = struct.pack("!HHHHHH", ident, 0, 1, 0, 0, len(opts))
    return header + question + b"".join(opts)


async def _exchange(address: Address, packet: bytes) -> dns.message.Message:
    reply = await udp_exchange(packet, address)
    assert reply is not None, "no reply"
    return dns.message.from_wire(reply)


def _ecs_data(family: int, source: int, scope: int, address: bytes) -> bytes:
    return struct.pack("!HBB", family, source, scope) + address


# --- OPT presence, version, flags ---------------------------------------------------------------


def test_opt_in_query_gets_opt_version_0_payload_4096(server: Address) -> None:
    """A query with an OPT gets an OPT back with version 0 and payload 4096, whatever it sent."""
    for payload in (512, 1232, 4096, 65535):
        reply = query(server, "www.wire.test", "A", use_edns=0, payload=payload)
        assert reply.rcode() == dns.rcode.NOERROR
        assert reply.edns == 0
        assert reply.payload == 4096
        assert _a_values(reply) == {"192.0.2.1"}


def test_no_opt_in_query_gets_no_opt(server: Address) -> None:
    """A query without EDNS gets a reply without an OPT record."""
    reply = query(server, "www.wire.test", "A", use_edns=False)
    assert reply.edns == -1
    assert reply.opt is None
    assert _a_values(reply) == {"192.0.2.1"}


@pytest.mark.parametrize("version", [1, 2, 255])
def test_edns_version_above_0_gets_badvers(server: Address, version: int) -> None:
    """EDNS version > 0 gets BADVERS (extended rcode 16) with an OPT of version 0 and no records."""
    reply = query(server, "www.wire.test", "A", use_edns=version)
    assert reply.rcode() == dns.rcode.BADVERS == 16
    assert reply.edns == 0
    assert reply.payload == 4096
    assert list(reply.answer) == []
    assert list(reply.authority) == []
    assert list(reply.additional) == []


def test_unknown_edns_options_are_ignored_and_not_echoed(server: Address) -> None:
    """Unknown EDNS options (cookies too: not implemented) are ignored and not echoed."""
    options = [
        dns.edns.GenericOption(65001, b"experimental"),
        dns.edns.GenericOption(10, b"\x01\x02\x03\x04\x05\x06\x07\x08"),  # client cookie
    ]
    reply = query(server, "www.wire.test", "A", use_edns=0, options=options)
    assert reply.rcode() == dns.rcode.NOERROR
    assert list(reply.options) == []
    assert _a_values(reply) == {"192.0.2.1"}


def test_unknown_edns_flag_bits_are_cleared(server: Address) -> None:
    """EDNS flag bits other than DO are cleared in the reply."""
    reply = query(server, "www.wire.test", "A", use_edns=0, ednsflags=0x7FFF)
    assert reply.edns == 0
    assert reply.ednsflags == 0


def test_do_bit_is_copied(server: Address) -> None:
    """The DO bit is copied into the reply (RFC 3225), alone among the EDNS flags."""
    with_do = query(server, "www.wire.test", "A", use_edns=0, ednsflags=DO_BIT | 0x0123)
    without_do = query(server, "www.wire.test", "A", use_edns=0)
    assert with_do.ednsflags == dns.flags.DO
    assert without_do.ednsflags == 0
    assert _a_values(with_do) == _a_values(without_do) == {"192.0.2.1"}


@pytest.mark.asyncio
async def test_more_than_one_opt_is_formerr(server: Address) -> None:
    """A query carrying two OPT records gets FORMERR with its ID copied."""
    packet = _raw_query("www.wire.test", _opt_rr(), _opt_rr(), ident=0x0A0B)
    reply = await _exchange(server, packet)
    assert reply.id == 0x0A0B
    assert reply.rcode() == dns.rcode.FORMERR
    assert list(reply.answer) == []


@pytest.mark.asyncio
async def test_opt_owner_not_root_is_formerr(server: Address) -> None:
    """An OPT whose owner name is not the root gets FORMERR."""
    owner = dns.name.from_text("wire.test").to_wire()
    reply = await _exchange(server, _raw_query("www.wire.test", _opt_rr(owner=owner)))
    assert reply.rcode() == dns.rcode.FORMERR
    assert list(reply.answer) == []


@pytest.mark.asyncio
async def test_well_formed_raw_opt_is_answered(server: Address) -> None:
    """The hand-built OPT of the FORMERR tests is accepted (they fail for their flaw only)."""
    reply = await _exchange(server, _raw_query("www.wire.test", _opt_rr()))
    assert reply.rcode() == dns.rcode.NOERROR
    assert reply.edns == 0
    assert _a_values(reply) == {"192.0.2.1"}


# --- EDNS Client Subnet ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "source"),
    [("192.0.2.0", 24), ("198.51.100.128", 25), ("2001:db8:1234::", 48), ("0.0.0.0", 0)],
)
def test_ecs_is_echoed_with_scope_0(server: Address, address: str, source: int) -> None:
    """ECS is echoed with family, source prefix and address as sent, scope 0 (a global answer)."""
    sent = dns.edns.ECSOption(address, source)
    reply = query(server, "www.wire.test", "A", use_edns=0, options=[sent])
    assert reply.rcode() == dns.rcode.NOERROR
    assert _a_values(reply) == {"192.0.2.1"}
    assert len(reply.options) == 1
    echoed = reply.options[0]
    assert isinstance(echoed, dns.edns.ECSOption)
    assert echoed.family == sent.family
    assert echoed.srclen == source
    assert echoed.scopelen == 0
    assert ipaddress.ip_address(echoed.address) == ipaddress.ip_address(address)
    assert echoed.to_wire() == sent.to_wire()


@pytest.mark.asyncio
async def test_ecs_echo_keeps_the_exact_address_bytes(server: Address) -> None:
    """The echoed ECS option data equals the bytes sent (family, source, scope 0, prefix bytes)."""
    data = _ecs_data(1, 20, 0, bytes([192, 0, 0x20]))
    reply = await _exchange(
        server, _raw_query("www.wire.test", _opt_rr(options=_option(ECS, data)))
    )
    assert reply.rcode() == dns.rcode.NOERROR
    assert [option.to_wire() for option in reply.options] == [data]


MALFORMED_ECS = {
    "unknown family 3": _ecs_data(3, 24, 0, bytes([192, 0, 2])),
    "family 0": _ecs_data(0, 0, 0, b""),
    "IPv4 source prefix 33": _ecs_data(1, 33, 0, bytes([192, 0, 2, 1, 0])),
    "IPv6 source prefix 129": _ecs_data(2, 129, 0, bytes(17)),
    "non-zero scope in a query": _ecs_data(1, 24, 8, bytes([192, 0, 2])),
    "address longer than the prefix": _ecs_data(1, 24, 0, bytes([192, 0, 2, 0])),
    "address shorter than the prefix": _ecs_data(1, 24, 0, bytes([192, 0])),
    "bits set beyond the prefix": _ecs_data(1, 20, 0, bytes([192, 0, 0x2F])),
    "IPv6 bits beyond the prefix": _ecs_data(2, 33, 0, bytes([0x20, 0x01, 0x0D, 0xB8, 0xFF])),
    "option shorter than 4 bytes": b"\x00\x01\x18",
}


@pytest.mark.asyncio
@pytest.mark.parametrize("data", MALFORMED_ECS.values(), ids=MALFORMED_ECS.keys())
async def test_malformed_ecs_is_formerr(server: Address, data: bytes) -> None:
    """A malformed ECS option (RFC 7871 §6) gets FORMERR with the ID copied."""
    packet = _raw_query("www.wire.test", _opt_rr(options=_option(ECS, data)), ident=0x7ECE)
    reply = await _exchange(server, packet)
    assert reply.id == 0x7ECE
    assert reply.rcode() == dns.rcode.FORMERR
    assert list(reply.answer) == []


@pytest.mark.asyncio
async def test_two_ecs_options_are_formerr(server: Address) -> None:
    """Two ECS options in one OPT get FORMERR."""
    data = _ecs_data(1, 24, 0, bytes([192, 0, 2]))
    options = _option(ECS, data) + _option(ECS, data)
    reply = await _exchange(server, _raw_query("www.wire.test", _opt_rr(options=options)))
    assert reply.rcode() == dns.rcode.FORMERR


@pytest.mark.asyncio
async def test_option_overrunning_the_opt_rdata_is_formerr(server: Address) -> None:
    """An EDNS option whose length runs past the end of the OPT data gets FORMERR."""
    options = struct.pack("!HH", 65001, 40) + b"short"
    reply = await _exchange(server, _raw_query("www.wire.test", _opt_rr(options=options)))
    assert reply.rcode() == dns.rcode.FORMERR


# --- sizes and truncation ----------------------------------------------------------------------


def _wire_size(reply: dns.message.Message) -> int:
    return len(reply.to_wire())


@pytest.mark.parametrize(("name", "rdtype"), [("fifty.wire.test", "A"), ("text.wire.test", "TXT")])
def test_without_edns_large_reply_is_truncated_over_udp_and_complete_over_tcp(
    server: Address, name: str, rdtype: str
) -> None:
    """Without EDNS a reply over 512 bytes comes back with TC=1 over UDP and complete over TCP."""
    over_udp = query(server, name, rdtype, use_edns=False)
    over_tcp = query(server, name, rdtype, use_edns=False, tcp=True)
    assert over_udp.flags & dns.flags.TC
    assert over_udp.rcode() == dns.rcode.NOERROR
    assert list(over_udp.answer) == []
    assert over_udp.question[0].name == dns.name.from_text(name)
    assert not over_tcp.flags & dns.flags.TC
    assert _wire_size(over_tcp) > 512
    assert len(over_tcp.answer[0]) in (3, 50)
    assert len(rrset_texts(over_tcp.authority)) == 4  # apex NS


def test_txt_over_tcp_keeps_every_long_string(server: Address) -> None:
    """The long TXT answer fetched over TCP holds each 200-character string whole."""
    reply = query(server, "text.wire.test", "TXT", use_edns=False, tcp=True)
    texts = {b"".join(rdata.strings) for rdata in reply.answer[0]}
    assert texts == {b"a" * 200, b"b" * 200, b"c" * 200}


def test_edns_4096_fits_a_large_answer_without_tc(server: Address) -> None:
    """With EDNS payload 4096 a ~1.8 KB answer comes back over UDP whole, without TC."""
    reply = query(server, "hundred.wire.test", "A", use_edns=0, payload=4096)
    assert not reply.flags & dns.flags.TC
    assert _a_values(reply) == set(_addresses(100))
    assert _wire_size(reply) > 1232


def test_client_advertising_1232_gets_at_most_1232_bytes(server: Address) -> None:
    """A client advertising 1232 gets at most 1232 bytes: TC=1 (with OPT) when it can't fit."""
    request = dns.message.make_query("hundred.wire.test", "A", use_edns=0, payload=1232)
    raw = _udp_raw(server, request.to_wire())
    assert len(raw) <= 1232
    reply = dns.message.from_wire(raw)
    assert reply.flags & dns.flags.TC
    assert list(reply.answer) == []
    assert reply.edns == 0
    assert reply.payload == 4096


def test_client_advertising_1232_gets_a_1k_answer_whole(server: Address) -> None:
    """A client advertising 1232 gets a ~1 KB answer (over 512) whole, without TC."""
    reply = query(server, "fifty.wire.test", "A", use_edns=0, payload=1232)
    assert not reply.flags & dns.flags.TC
    assert _a_values(reply) == set(_addresses(50))
    assert 512 < _wire_size(reply) <= 1232


def test_payload_above_4096_is_capped_at_4096(server: Address) -> None:
    """A client advertising 65535 gets at most 4096 bytes over UDP (TC=1), and all over TCP."""
    request = dns.message.make_query("huge.wire.test", "A", use_edns=0, payload=65535)
    raw = _udp_raw(server, request.to_wire())
    assert len(raw) <= 4096
    assert dns.message.from_wire(raw).flags & dns.flags.TC
    over_tcp = query(server, "huge.wire.test", "A", use_edns=0, payload=65535, tcp=True)
    assert _a_values(over_tcp) == set(_addresses(300))


def test_payload_below_512_counts_as_512(server: Address) -> None:
    """A client advertising under 512 bytes (RFC 6891: use 512) gets a ~200-byte reply whole."""
    reply = query(server, "www.wire.test", "A", use_edns=0, payload=100)
    assert not reply.flags & dns.flags.TC
    assert _wire_size(reply) > 100
    assert _a_values(reply) == {"192.0.2.1"}


def test_overflowing_additional_section_is_dropped_without_tc(server: Address) -> None:
    """An additional section alone overflowing 512 bytes is dropped without TC (non-referral)."""
    full = query(server, "mx.wire.test", "MX", use_edns=False, tcp=True)
    assert len(rrset_texts(full.additional)) == 40  # the 40 A values of mailhost
    assert _wire_size(full) > 512
    trimmed = query(server, "mx.wire.test", "MX", use_edns=False)
    assert not trimmed.flags & dns.flags.TC
    assert trimmed.flags & dns.flags.AA
    assert rrset_texts(trimmed.answer) == {"mx.wire.test. 300 IN MX 10 mailhost.wire.test."}
    assert len(rrset_texts(trimmed.authority)) == 4
    assert list(trimmed.additional) == []
    with_edns = query(server, "mx.wire.test", "MX", use_edns=0, payload=4096)
    assert rrset_texts(with_edns.additional) == rrset_texts(full.additional)


def test_referral_whose_glue_overflows_sets_tc(server: Address) -> None:
    """A referral whose glue does not fit in 512 bytes is truncated (TC=1): glue is not optional."""
    over_udp = query(server, "host.dev.wire.test", "A", use_edns=False)
    assert over_udp.flags & dns.flags.TC
    over_tcp = query(server, "host.dev.wire.test", "A", use_edns=False, tcp=True)
    assert not over_tcp.flags & dns.flags.AA
    assert rrset_texts(over_tcp.authority) == {"dev.wire.test. 300 IN NS ns1.dev.wire.test."}
    assert len(rrset_texts(over_tcp.additional)) == 40


def _udp_raw(address: Address, packet: bytes) -> bytes:
    """Send `packet` over UDP with a plain socket and return the raw reply bytes."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(packet, address)
        return sock.recv(65535)
