"""The fast path's hand reader takes only ordinary queries, and reads them as the strict one does.

Whatever `read_query` accepts, `wire.parse_query` must accept too, with the same question
bytes, DO bit and ECS option: otherwise a cached reply could answer a packet the server should
have refused (FORMERR, BADVERS, NOTIMP, a drop) or answer another question. And the queries
clients really send (dnspython, with EDNS, ECS and cookies) must be accepted, or the fast path
would never run.
"""

from __future__ import annotations

import struct

import dns.edns
import dns.message
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from r53emu.server.quickread import NO_EDNS, read_query
from r53emu.server.wire import ParsedQuery, parse_query

COOKIE = dns.edns.GenericOption(10, b"\x01\x02\x03\x04\x05\x06\x07\x08")


def query(name: str = "www.example.test.", **options: object) -> bytes:
    return dns.message.make_query(name, "A", **options).to_wire()  # type: ignore[arg-type]


def ecs(address: str, prefix: int) -> dns.edns.ECSOption:
    return dns.edns.ECSOption(address, prefix)


def question_of(packet: bytes) -> bytes:
    message = dns.message.from_wire(packet)
    name = message.question[0].name.to_wire()
    return name + struct.pack("!HH", 1, 1)


def with_ecs_data(data: bytes) -> bytes:
    """An EDNS query whose ECS option carries exactly `data` (dnspython validates its own)."""
    return query(use_edns=0, options=[dns.edns.GenericOption(8, data)])


@pytest.mark.parametrize(
    ("packet", "edns", "subnet"),
    [
        (query(), NO_EDNS, None),
        (query(use_edns=0), 0, None),
        (query(use_edns=0, want_dnssec=True), 1, None),
        (query(use_edns=0, options=[COOKIE]), 0, None),
        (query(use_edns=0, options=[ecs("198.51.100.0", 24)]), 0, b"\x00\x01\x18\x00\xc6\x33\x64"),
        (
            query(use_edns=0, options=[COOKIE, ecs("2001:db8::", 32)]),
            0,
            bytes.fromhex("00022000" + "20010db8"),
        ),
        (query(use_edns=0, options=[ecs("0.0.0.0", 0)]), 0, b"\x00\x01\x00\x00"),
    ],
    ids=["plain", "edns", "do", "cookie", "ecs-v4", "cookie-ecs-v6", "ecs-zero"],
)
def test_ordinary_queries_are_read(packet: bytes, edns: int, subnet: bytes | None) -> None:
    """The queries clients send are read: question as sent, DO bit, ECS option data."""
    assert read_query(packet) == (question_of(packet), edns, subnet)


def header(flags: int = 0x0100, counts: tuple[int, int, int, int] = (1, 0, 0, 0)) -> bytes:
    return struct.pack("!HHHHHH", 0x1234, flags, *counts)


QUESTION = b"\x03www\x07example\x04test\x00\x00\x01\x00\x01"
OPT = b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"  # payload 4096, version 0, no options


@pytest.mark.parametrize(
    "packet",
    [
        header(0x8100) + QUESTION,  # a response
        header(0x2900) + QUESTION,  # opcode 5 (UPDATE)
        header(counts=(2, 0, 0, 0)) + QUESTION + QUESTION,
        header(counts=(1, 1, 0, 0)) + QUESTION,
        header(counts=(1, 0, 0, 2)) + QUESTION + OPT + OPT,
        header() + QUESTION + b"\x00",  # a byte after the question
        header() + QUESTION[:-1],  # cut short
        header() + b"\xc0\x0c\x00\x01\x00\x01",  # a compression pointer as the name
        header() + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01",  # a 64-byte label
        header() + (b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01",  # 257-byte name
        header(counts=(1, 0, 0, 1)) + QUESTION + OPT[:5] + b"\x00\x01" + OPT[7:],  # EDNS 1
        header(counts=(1, 0, 0, 1)) + QUESTION + OPT[:5] + b"\x01\x00" + OPT[7:],  # ext rcode
        header(counts=(1, 0, 0, 1)) + QUESTION + OPT[:-2] + b"\x00\x04",  # rdata missing
        header(counts=(1, 0, 0, 1)) + QUESTION + OPT + b"\x00",  # a byte after the OPT
        header(counts=(1, 0, 0, 1)) + QUESTION,  # ARCOUNT 1, no record
        header(counts=(1, 0, 0, 1)) + QUESTION + b"\x00\x00\x01" + OPT[3:],  # an A, not an OPT
        with_ecs_data(b"\x00\x01\x18\x01\xc6\x33\x64"),  # scope not 0
        with_ecs_data(b"\x00\x01\x18\x00\xc6\x33"),  # 2 address bytes for a /24
        with_ecs_data(b"\x00\x01\x17\x00\xc6\x33\x65"),  # a bit set beyond the /23
        with_ecs_data(b"\x00\x03\x00\x00"),  # family 3
        with_ecs_data(b"\x00\x01\x21\x00\xc6\x33\x64\x01\x01"),  # /33 for IPv4
        with_ecs_data(b"\x00\x01"),  # shorter than 4 bytes
        query(use_edns=0, options=[ecs("198.51.100.0", 24), ecs("203.0.113.0", 24)]),
    ],
)
def test_unusual_packets_go_to_the_strict_reader(packet: bytes) -> None:
    """Responses, other opcodes, other counts, compression, long labels and names, EDNS
    versions, invalid ECS and stray bytes are left to the strict reader (None)."""
    assert read_query(packet) is None


def agrees_with_the_strict_reader(packet: bytes) -> None:
    quick = read_query(packet)
    event("hand reader: " + ("took it" if quick is not None else "left it"))
    if quick is None:
        return
    question, edns, subnet = quick
    parsed = parse_query(packet)
    assert isinstance(parsed, ParsedQuery), "the hand reader took a packet the server rejects"
    name = b"".join(bytes((len(label),)) + label for label in parsed.qname) + b"\0"
    assert question == name + struct.pack("!HH", parsed.qtype, parsed.qclass)
    assert (parsed.edns is None) == (edns == NO_EDNS)
    if parsed.edns is not None:
        assert parsed.edns.dnssec_ok == bool(edns)
        strict_subnet = parsed.edns.client_subnet
        if strict_subnet is None:
            assert subnet is None
        else:
            assert subnet is not None
            expected = struct.pack("!HBB", strict_subnet.family, strict_subnet.source_prefix, 0)
            assert subnet == expected + strict_subnet.address


def valid_subnet(ipv4: bool, prefix: int, address: bytes) -> bytes:
    """An ECS option with `prefix` (cut to the family) and the address bits it keeps."""
    prefix = min(prefix, 32) if ipv4 else prefix
    kept = bytearray(address[: (prefix + 7) // 8])
    if prefix % 8:
        kept[-1] &= 0xFF << (8 - prefix % 8) & 0xFF
    data = struct.pack("!HBB", 1 if ipv4 else 2, prefix, 0) + bytes(kept)
    return struct.pack("!HH", 8, len(data)) + data


labels = st.binary(min_size=1, max_size=12)
ordinary = st.builds(
    lambda flags, names, qtype, opt: (
        header(flags, (1, 0, 0, 1 if opt is not None else 0))
        + b"".join(bytes((len(label),)) + label for label in names)
        + b"\0"
        + struct.pack("!HH", qtype, 1)
        + (opt or b"")
    ),
    st.one_of(st.sampled_from([0, 0x0100, 0x0010, 0x0110]), st.integers(0, 0xFFFF)),
    st.lists(labels, max_size=5),
    st.integers(0, 0xFFFF),
    st.one_of(
        st.none(),
        st.builds(
            lambda dnssec, options: (
                struct.pack("!BHHIH", 0, 41, 1232, dnssec << 15, len(options)) + options
            ),
            st.integers(0, 1),
            st.one_of(
                st.just(b""),
                st.builds(
                    lambda family, prefix, address: (
                        struct.pack("!HHHBB", 8, 4 + len(address), family, prefix, 0) + address
                    ),
                    st.integers(0, 3),
                    st.integers(0, 130),
                    st.binary(max_size=17),
                ),
            ),
        ),
    ),
)


@settings(max_examples=400, deadline=None)
@given(ordinary, st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), max_size=3))
def test_what_the_hand_reader_takes_the_strict_reader_reads_alike(
    packet: bytes, flips: list[tuple[int, int]]
) -> None:
    """For generated queries, with bytes changed at random: whenever the hand reader takes a
    packet, the strict reader accepts it and reads the same question, DO bit and ECS."""
    mutated = bytearray(packet)
    for position, value in flips:
        if position < len(mutated):
            mutated[position] = value
    agrees_with_the_strict_reader(packet)
    agrees_with_the_strict_reader(bytes(mutated))
    agrees_with_the_strict_reader(bytes(mutated[: len(mutated) // 2]))
