"""Header handling and malformed input, through a real server (semantics §2.8, issue 3 "Listeners").

No input may stop the server from answering the next query, so every group ends by asking a
normal question and checking the answer. A dropped packet is proved dropped without waiting for
a timeout: it is followed on the same socket by a normal query, and the first datagram that
comes back must be the reply to that query (the server answers datagrams in arrival order).
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import pytest

from r53emu.answer.lookup import lookup
from r53emu.app import ServerConfig
from r53emu.health.snapshot import HealthView
from r53emu.model.catalog import Catalog
from r53emu.model.query import Answer, Outcome, QueryContext, ResourceRecord
from r53emu.server.wire import ParsedQuery, servfail
from r53emu.testing.background import BackgroundServer
from r53emu.testing.client import tcp_exchange, udp_exchange
from tests.support.helpers import query, rrset_texts, write_zones

Address = tuple[str, int]

ZONE = """\
zone: odd.test
ttl: 300
record_sets:
  - {name: www, type: A, ttl: 60, records: [192.0.2.1, 192.0.2.2]}
  - {name: mail, type: A, ttl: 60, records: [192.0.2.25]}
  - {name: "@", type: MX, records: ["10 mail.odd.test."]}
"""

HEADER = struct.Struct("!HHHHHH")
QR, AA, TC, RD, RA, Z, AD, CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080, 0x0040, 0x0020, 0x0010
SENTINEL_ID = 0xBEEF


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Address]:
    """One real server on the odd.test zone for the whole module."""
    directory = write_zones(tmp_path_factory.mktemp("odd") / "zones", {"odd.yaml": ZONE})
    with BackgroundServer(ServerConfig(zones=Path(directory), address="127.0.0.1", port=0)) as bg:
        yield bg.address


def _wire(
    name: str = "www.odd.test", rdtype: str = "A", ident: int = 0x1234, **kw: object
) -> bytes:
    request = dns.message.make_query(name, rdtype, **kw)  # type: ignore[arg-type]
    request.id = ident
    return request.to_wire()


def _with_flags(packet: bytes, flags: int) -> bytes:
    """`packet` with its header flags word replaced."""
    return packet[:2] + struct.pack("!H", flags) + packet[4:]


def _flags(reply: bytes) -> int:
    return int(HEADER.unpack_from(reply)[1])


def assert_answers_normally(address: Address) -> None:
    """The server still gives the right answer to a normal query, over UDP and TCP."""
    for tcp in (False, True):
        reply = query(address, "www.odd.test", "A", tcp=tcp)
        assert reply.rcode() == dns.rcode.NOERROR
        assert reply.flags & dns.flags.AA
        assert {rdata.to_text() for rdata in reply.answer[0]} == {"192.0.2.1", "192.0.2.2"}


class UdpProbe:
    """A UDP socket that sends odd packets, each followed by a sentinel query, and reads replies.

    The replies before the sentinel's are the replies to the odd packet (none when it was dropped).
    """

    def __init__(self, address: Address) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(3)
        self.sentinel = _wire("mail.odd.test", ident=SENTINEL_ID, use_edns=False)

    def replies_to(self, packet: bytes) -> list[bytes]:
        self.sock.sendto(packet, self.address)
        self.sock.sendto(self.sentinel, self.address)
        replies: list[bytes] = []
        while True:
            reply = self.sock.recv(65535)
            if reply[:2] == struct.pack("!H", SENTINEL_ID):
                _assert_sentinel_reply(reply)
                return replies
            replies.append(reply)

    def close(self) -> None:
        self.sock.close()


def _assert_sentinel_reply(reply: bytes) -> None:
    message = dns.message.from_wire(reply)
    assert message.rcode() == dns.rcode.NOERROR
    assert rrset_texts(message.answer) == {"mail.odd.test. 60 IN A 192.0.2.25"}


@pytest.fixture
def probe(server: Address) -> Iterator[UdpProbe]:
    udp = UdpProbe(server)
    yield udp
    udp.close()


def _one_reply(probe: UdpProbe, packet: bytes) -> bytes:
    replies = probe.replies_to(packet)
    assert len(replies) == 1, f"expected one reply, got {len(replies)}"
    return replies[0]


# --- header handling ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opcode", "label"),
    [(1, "IQUERY"), (2, "STATUS"), (3, "unassigned"), (4, "NOTIFY"), (5, "UPDATE"), (15, "15")],
)
def test_other_opcodes_get_notimp_with_id_and_opcode_copied(
    server: Address, probe: UdpProbe, opcode: int, label: str
) -> None:
    """An opcode other than QUERY gets NOTIMP, header only, with the ID and the opcode copied."""
    packet = _with_flags(_wire(ident=0x4242), (opcode << 11) | RD)
    reply = _one_reply(probe, packet)
    ident, flags, qd, an, ns, ar = HEADER.unpack_from(reply)
    assert ident == 0x4242, label
    assert flags & QR
    assert (flags >> 11) & 0xF == opcode
    assert flags & 0xF == dns.rcode.NOTIMP
    assert (qd, an, ns, ar) == (0, 0, 0, 0)
    assert len(reply) == 12  # header only
    assert_answers_normally(server)


def test_no_question_is_formerr(server: Address, probe: UdpProbe) -> None:
    """A query with QDCOUNT 0 gets FORMERR with its ID copied."""
    packet = HEADER.pack(0x0D0D, 0, 0, 0, 0, 0)
    reply = _one_reply(probe, packet)
    message = dns.message.from_wire(reply)
    assert message.id == 0x0D0D
    assert message.rcode() == dns.rcode.FORMERR
    assert_answers_normally(server)


def test_two_questions_are_formerr(server: Address, probe: UdpProbe) -> None:
    """A query with two questions (QDCOUNT 2) gets FORMERR with its ID copied."""
    one = _wire(ident=0x2222)
    question = one[12:]
    packet = HEADER.pack(0x2222, 0, 2, 0, 0, 0) + question + question
    message = dns.message.from_wire(_one_reply(probe, packet))
    assert message.id == 0x2222
    assert message.rcode() == dns.rcode.FORMERR
    assert list(message.answer) == []
    assert_answers_normally(server)


@pytest.mark.parametrize("packet", [_wire(), _wire(use_edns=0), _wire(rdtype="MX")])
def test_responses_are_dropped(server: Address, probe: UdpProbe, packet: bytes) -> None:
    """A packet with QR=1 (a response, not a query) gets no reply at all."""
    flags = _flags(packet) | QR | AA
    assert probe.replies_to(_with_flags(packet, flags)) == []
    assert_answers_normally(server)


def _answer_summary(reply: dns.message.Message) -> tuple[int, bool, set[str], set[str], set[str]]:
    return (
        reply.rcode(),
        bool(reply.flags & dns.flags.AA),
        rrset_texts(reply.answer),
        rrset_texts(reply.authority),
        rrset_texts(reply.additional),
    )


@pytest.mark.parametrize(
    ("bits", "label"),
    [(Z, "Z"), (AD, "AD"), (CD, "CD"), (TC, "TC"), (RA, "RA"), (Z | AD | TC | RA, "all")],
)
def test_query_header_bits_do_not_change_the_answer(probe: UdpProbe, bits: int, label: str) -> None:
    """Z, AD, CD, TC and RA bits in a query leave rcode, AA and all three sections unchanged."""
    plain = _wire("odd.test", "MX")
    baseline = dns.message.from_wire(_one_reply(probe, plain))
    odd = dns.message.from_wire(_one_reply(probe, _with_flags(plain, _flags(plain) | bits)))
    assert _answer_summary(odd) == _answer_summary(baseline), label
    assert baseline.rcode() == dns.rcode.NOERROR
    assert rrset_texts(baseline.answer) == {"odd.test. 300 IN MX 10 mail.odd.test."}
    assert rrset_texts(baseline.additional) == {"mail.odd.test. 60 IN A 192.0.2.25"}


@pytest.mark.parametrize("bits", [0, Z, AD, Z | AD | CD | TC | RA | RD])
def test_replies_have_z_ad_ra_tc_clear(probe: UdpProbe, bits: int) -> None:
    """Replies never set Z, AD or RA, and TC only when truncated, whatever the query set."""
    reply = _one_reply(probe, _with_flags(_wire(), bits))
    flags = _flags(reply)
    assert flags & QR
    assert flags & AA
    assert not flags & (Z | AD | RA | TC)


@pytest.mark.parametrize("bits", [0, RD, CD, RD | CD])
def test_rd_and_cd_are_copied(probe: UdpProbe, bits: int) -> None:
    """The RD and CD bits of the query are copied into the reply."""
    reply = _one_reply(probe, _with_flags(_wire(), bits))
    assert _flags(reply) & (RD | CD) == bits
    assert dns.message.from_wire(reply).rcode() == dns.rcode.NOERROR


def test_rd_is_copied_on_formerr_and_cleared_on_notimp(probe: UdpProbe) -> None:
    """Header-only FORMERR copies RD; NOTIMP (another opcode) clears it: RD is QUERY's alone."""
    formerr = _one_reply(probe, HEADER.pack(1, RD, 0, 0, 0, 0))
    notimp = _one_reply(probe, _with_flags(_wire(), (4 << 11) | RD))
    assert _flags(formerr) & (RD | 0xF) == RD | dns.rcode.FORMERR
    assert _flags(notimp) & (RD | 0xF) == dns.rcode.NOTIMP


# --- truncated, oversized, looping ------------------------------------------------------------


def test_truncated_packets_get_formerr_with_id(server: Address, probe: UdpProbe) -> None:
    """A packet cut anywhere after its 12-byte header gets FORMERR with the ID copied."""
    whole = _wire(ident=0x7777, use_edns=0, payload=1232, options=[dns.edns.ECSOption("192.0.2.0")])
    for cut in range(12, len(whole)):
        message = dns.message.from_wire(_one_reply(probe, whole[:cut]))
        assert message.id == 0x7777, cut
        assert message.rcode() == dns.rcode.FORMERR, cut
        assert list(message.answer) == []
    assert_answers_normally(server)


def test_packets_shorter_than_a_header_are_dropped(server: Address, probe: UdpProbe) -> None:
    """A packet shorter than 12 bytes (the header cannot be read) gets no reply."""
    whole = _wire(ident=0x3333)
    for cut in range(12):
        assert probe.replies_to(whole[:cut]) == [], cut
    assert_answers_normally(server)


def test_junk_after_a_valid_question_is_ignored(server: Address, probe: UdpProbe) -> None:
    """4000 bytes of junk after a complete question (counts say nothing follows) are ignored."""
    junk = random.Random(4000).randbytes(4000)
    for packet in (_wire(ident=0x4000) + junk, _wire(ident=0x4000) + bytes(4000)):
        message = dns.message.from_wire(_one_reply(probe, packet))
        assert message.id == 0x4000
        assert message.rcode() == dns.rcode.NOERROR
        assert {rdata.to_text() for rdata in message.answer[0]} == {"192.0.2.1", "192.0.2.2"}
    assert_answers_normally(server)


def test_max_size_datagram_is_answered(server: Address, probe: UdpProbe) -> None:
    """A 65507-byte datagram (the IPv4 UDP maximum) holding a query plus padding is answered."""
    head = _wire(ident=0x6550)
    packet = head + bytes(65507 - len(head))
    message = dns.message.from_wire(_one_reply(probe, packet))
    assert message.id == 0x6550
    assert message.rcode() == dns.rcode.NOERROR
    junk = HEADER.pack(0x6551, 0, 1, 0, 0, 0) + bytes([63]) * (65507 - 12)
    message = dns.message.from_wire(_one_reply(probe, junk))
    assert message.id == 0x6551
    assert message.rcode() == dns.rcode.FORMERR
    assert_answers_normally(server)


def _question_packet(name_bytes: bytes, ident: int = 0x0C0C) -> bytes:
    """A header with QDCOUNT 1 followed by hand-made name bytes and type A, class IN."""
    return HEADER.pack(ident, 0, 1, 0, 0, 0) + name_bytes + struct.pack("!HH", 1, 1)


BROKEN_NAMES = {
    "pointer to itself": b"\xc0\x0c",
    "two-step loop": b"\x01a\xc0\x0c",
    "loop through a later label": b"\x01a\x01b\xc0\x0e",
    "pointer past the end": b"\xc0\xff",
    "pointer far past the end": b"\xff\xff",
    "label longer than the packet": b"\x3fabc",
    "label length 64 (extended label type)": b"\x40" + b"a" * 64 + b"\x00",
    "label length 100 (extended label type)": b"\x64" + b"a" * 100 + b"\x00",
    "label type 0x80": b"\x81a\x00",
    "name over 255 bytes": (b"\x3f" + b"a" * 63) * 4 + b"\x00",
    "missing root label": b"\x03www\x03odd\x04test",
}


@pytest.mark.parametrize("name_bytes", BROKEN_NAMES.values(), ids=BROKEN_NAMES.keys())
def test_broken_question_names_get_formerr(
    server: Address, probe: UdpProbe, name_bytes: bytes
) -> None:
    """Compression loops, pointers past the end, bad label types and over-long names get FORMERR."""
    message = dns.message.from_wire(_one_reply(probe, _question_packet(name_bytes)))
    assert message.id == 0x0C0C
    assert message.rcode() == dns.rcode.FORMERR
    assert_answers_normally(server)


def test_compressed_question_name_is_answered(probe: UdpProbe) -> None:
    """A question name ending in a legal backward compression pointer is followed and answered."""
    # Offset 11 is the low byte of ARCOUNT (0): a pointer there reads the root label.
    packet = _question_packet(b"\x03www\x03odd\x04test\xc0\x0b", ident=0x0C0D)
    message = dns.message.from_wire(_one_reply(probe, packet))
    assert message.id == 0x0C0D
    assert message.rcode() == dns.rcode.NOERROR
    assert str(message.question[0].name) == "www.odd.test."
    assert {rdata.to_text() for rdata in message.answer[0]} == {"192.0.2.1", "192.0.2.2"}


def test_binary_labels_are_answered_not_formerr(server: Address, probe: UdpProbe) -> None:
    """Labels of arbitrary (non-UTF-8) bytes are legal: NXDOMAIN in the zone, REFUSED outside."""
    inside = dns.name.Name([b"\xff\x80\x00", b"odd", b"test", b""])
    outside = dns.name.Name([b"\xff", b"elsewhere", b""])
    for name, rcode in ((inside, dns.rcode.NXDOMAIN), (outside, dns.rcode.REFUSED)):
        request = dns.message.make_query(name, "A")
        message = dns.message.from_wire(_one_reply(probe, request.to_wire()))
        assert message.rcode() == rcode
        assert message.question[0].name == name
    assert_answers_normally(server)


def test_question_case_is_echoed_for_odd_bytes(probe: UdpProbe) -> None:
    """The question is echoed byte for byte (case and a dot inside a label preserved)."""
    name = dns.name.Name([b"WwW", b"oDd", b"TEST", b""])
    dotted = dns.name.Name([b"a.b", b"odd", b"test", b""])
    for sent, rcode in ((name, dns.rcode.NOERROR), (dotted, dns.rcode.NXDOMAIN)):
        reply = _one_reply(probe, dns.message.make_query(sent, "A").to_wire())
        message = dns.message.from_wire(reply)
        assert message.rcode() == rcode
        assert message.question[0].name.labels == sent.labels


# --- seeded random packets ---------------------------------------------------------------------


def _random_packets(seed: int, count: int) -> list[bytes]:
    """Random bytes, random bodies behind a plausible header, and mutated valid queries."""
    rng = random.Random(seed)
    valid = [
        _wire(),
        _wire("odd.test", "MX", use_edns=0, options=[dns.edns.ECSOption("192.0.2.0")]),
        _wire("nope.odd.test", "TXT", use_edns=0, want_dnssec=True),
    ]
    packets: list[bytes] = []
    for index in range(count):
        kind = index % 3
        if kind == 0:
            packet = rng.randbytes(rng.randrange(0, 300))
        elif kind == 1:
            header = HEADER.pack(
                rng.randrange(65536), rng.randrange(65536) & ~QR, 1, *rng.choices(range(4), k=3)
            )
            packet = header + rng.randbytes(rng.randrange(0, 120))
        else:
            mutated = bytearray(rng.choice(valid))
            for _ in range(rng.randrange(1, 6)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            packet = bytes(mutated[: rng.randrange(len(mutated) // 2, len(mutated) + 1)])
        if packet[:2] == struct.pack("!H", SENTINEL_ID):
            packet = b"\x00\x00" + packet[2:]
        packets.append(packet)
    return packets


def _check_reply_to_random(packet: bytes, replies: list[bytes]) -> None:
    """At most one reply, for the packet's ID, with QR set, and well-formed."""
    assert len(replies) <= 1
    if not replies:
        return
    reply = replies[0]
    assert len(packet) >= 12, "a packet without a readable header must be dropped"
    assert not _flags(packet) & QR, "a response must be dropped"
    assert reply[:2] == packet[:2]
    assert _flags(reply) & QR
    dns.message.from_wire(reply)  # what r53emu sends is always parseable


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_packets_over_udp(server: Address, probe: UdpProbe, seed: int) -> None:
    """Seeded random packets get a well-formed reply or none, and the server keeps answering."""
    for packet in _random_packets(seed, 150):
        _check_reply_to_random(packet, probe.replies_to(packet))
    assert_answers_normally(server)


@pytest.mark.asyncio
async def test_random_packets_over_tcp(server: Address) -> None:
    """Random frames on one TCP connection get a well-formed reply or none; the connection lives."""
    reader, writer = await asyncio.open_connection(*server)
    sentinel = _wire("mail.odd.test", ident=SENTINEL_ID, use_edns=False)
    try:
        for packet in _random_packets(99, 150):
            writer.write(_frame(packet) + _frame(sentinel))
            await writer.drain()
            replies: list[bytes] = []
            while True:
                async with asyncio.timeout(3):
                    length = int.from_bytes(await reader.readexactly(2), "big")
                    reply = await reader.readexactly(length)
                if reply[:2] == struct.pack("!H", SENTINEL_ID):
                    _assert_sentinel_reply(reply)
                    break
                replies.append(reply)
            _check_reply_to_random(packet, replies)
    finally:
        writer.close()
    assert_answers_normally(server)


def _frame(packet: bytes) -> bytes:
    return len(packet).to_bytes(2, "big") + packet


# --- internal errors ---------------------------------------------------------------------------

RAISING_NAME = (b"boom", b"odd", b"test")
UNRENDERABLE_NAME = (b"unrenderable", b"odd", b"test")


def _resolve_with_faults(
    catalog: Catalog, context: QueryContext, rng: random.Random, health: HealthView
) -> Answer:
    """The real lookup, except for two names standing in for internal bugs.

    boom.odd.test raises in the lookup; unrenderable.odd.test returns a record whose owner has a
    70-byte label, so rendering the reply raises.
    """
    if context.key == RAISING_NAME:
        raise RuntimeError("simulated internal error")
    if context.key == UNRENDERABLE_NAME:
        bad = ResourceRecord((b"x" * 70, b"odd", b"test"), 1, 60, bytes(4), "bad")
        return Answer(Outcome.ANSWER, 0, True, answer=(bad,))
    return lookup(catalog, context, rng, health)


@pytest.fixture
def failing_server(tmp_path: Path) -> Iterator[Address]:
    """A real server whose lookup fails for boom.odd.test and unrenderable.odd.test."""
    directory = write_zones(tmp_path / "zones", {"odd.yaml": ZONE})
    background = BackgroundServer(ServerConfig(zones=directory, address="127.0.0.1", port=0))
    background.server.handler.resolve = _resolve_with_faults
    with background:
        yield background.address


def _servfail_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "r53emu.handler" and record.levelno == logging.ERROR
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("name", "error"),
    [("BOOM.odd.test", "simulated internal error"), ("unrenderable.odd.test", "too long")],
)
async def test_internal_error_gets_servfail_and_a_logged_traceback(
    failing_server: Address, caplog: pytest.LogCaptureFixture, name: str, error: str
) -> None:
    """An internal error gets SERVFAIL (question echoed) and a traceback on the handler's log."""
    caplog.set_level(logging.ERROR, logger="r53emu.handler")
    raw = await udp_exchange(_wire(name, ident=0x5E5E), failing_server)
    assert raw is not None
    reply = dns.message.from_wire(raw)
    assert reply.id == 0x5E5E
    assert reply.rcode() == dns.rcode.SERVFAIL
    assert not reply.flags & dns.flags.AA
    assert str(reply.question[0].name) == name + "."
    assert list(reply.answer) == []
    [record] = _servfail_records(caplog)
    assert record.exc_info is not None
    assert error in str(record.exc_info[1])
    assert "Traceback" in caplog.text
    assert_answers_normally(failing_server)


@pytest.mark.asyncio
async def test_a_repeated_internal_error_logs_one_traceback(
    failing_server: Address, caplog: pytest.LogCaptureFixture
) -> None:
    """A client repeating a failing question gets SERVFAIL each time, and the log one traceback
    (per kind of error per 10 s), not one per query."""
    caplog.set_level(logging.ERROR, logger="r53emu.handler")
    for ident in range(200):
        raw = await udp_exchange(_wire("boom.odd.test", ident=ident), failing_server)
        assert raw is not None
        assert dns.message.from_wire(raw).rcode() == dns.rcode.SERVFAIL
    [record] = _servfail_records(caplog)
    assert record.exc_info is not None
    assert_answers_normally(failing_server)


@pytest.mark.asyncio
async def test_internal_error_over_tcp_keeps_the_connection(
    failing_server: Address, caplog: pytest.LogCaptureFixture
) -> None:
    """Over TCP an internal error gets SERVFAIL and the same connection answers the next query."""
    caplog.set_level(logging.ERROR, logger="r53emu.handler")
    packets = [_wire("boom.odd.test", ident=1), _wire("www.odd.test", ident=2)]
    replies = [dns.message.from_wire(raw) for raw in await tcp_exchange(packets, failing_server)]
    assert [reply.id for reply in replies] == [1, 2]
    assert replies[0].rcode() == dns.rcode.SERVFAIL
    assert replies[1].rcode() == dns.rcode.NOERROR
    assert {rdata.to_text() for rdata in replies[1].answer[0]} == {"192.0.2.1", "192.0.2.2"}
    assert len(_servfail_records(caplog)) == 1


def test_servfail_falls_back_to_a_header_when_the_question_cannot_be_rendered() -> None:
    """`servfail` still gives a reply (header only, ID and RD kept) if the question can't render."""
    unrenderable = ParsedQuery(
        id=0x5F5F, opcode=0, rd=True, cd=False, qname=(b"x" * 70,), qtype=1, qclass=1, edns=None
    )
    reply = servfail(unrenderable)
    assert HEADER.unpack(reply) == (0x5F5F, QR | RD | dns.rcode.SERVFAIL, 0, 0, 0, 0)
