"""DNS over TCP (RFC 7766 framing), through a real server: framing, pipelining, idle timeout.

Queries are raw bytes on asyncio streams (`r53emu.testing.client.tcp_exchange` or a hand-driven
connection) so the tests control exactly what is written and when the connection closes.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import pytest

from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer
from r53emu.testing.client import tcp_exchange, udp_exchange
from tests.support.helpers import rrset_texts, write_zones

Address = tuple[str, int]

ZONE = """\
zone: tcp.test
ttl: 300
record_sets:
  - {name: one, type: A, ttl: 60, records: [192.0.2.1]}
  - {name: two, type: A, ttl: 60, records: [192.0.2.2]}
  - {name: three, type: TXT, ttl: 60, records: ['"third"']}
"""

IDLE_TIMEOUT = 0.5


def _start(directory: Path, idle_timeout: float) -> BackgroundServer:
    config = ServerConfig(
        zones=directory, address="127.0.0.1", port=0, tcp_idle_timeout=idle_timeout
    )
    return BackgroundServer(config).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Address]:
    """A real server on tcp.test whose TCP idle timeout is short (0.5 s)."""
    directory = write_zones(tmp_path_factory.mktemp("tcp") / "zones", {"tcp.yaml": ZONE})
    background = _start(directory, IDLE_TIMEOUT)
    yield background.address
    background.stop()


def _wire(name: str, rdtype: str = "A", ident: int = 0) -> bytes:
    request = dns.message.make_query(name, rdtype, use_edns=False)
    request.id = ident
    return request.to_wire()


def _frame(packet: bytes) -> bytes:
    return len(packet).to_bytes(2, "big") + packet


async def _read_frame(reader: asyncio.StreamReader, timeout: float = 3.0) -> bytes:
    async with asyncio.timeout(timeout):
        length = int.from_bytes(await reader.readexactly(2), "big")
        return await reader.readexactly(length)


def _texts(reply: bytes) -> set[str]:
    return rrset_texts(dns.message.from_wire(reply).answer)


@pytest.mark.asyncio
async def test_reply_is_framed_with_its_two_byte_length(server: Address) -> None:
    """A TCP reply is preceded by its length as 2 bytes, big-endian, and nothing else follows it."""
    reader, writer = await asyncio.open_connection(*server)
    try:
        writer.write(_frame(_wire("one.tcp.test", ident=0x0101)))
        await writer.drain()
        prefix = await asyncio.wait_for(reader.readexactly(2), 3)
        length = struct.unpack("!H", prefix)[0]
        body = await asyncio.wait_for(reader.readexactly(length), 3)
        message = dns.message.from_wire(body)  # raises if the length were off
        assert message.id == 0x0101
        assert rrset_texts(message.answer) == {"one.tcp.test. 60 IN A 192.0.2.1"}
        assert message.flags & dns.flags.AA
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_three_pipelined_queries_are_answered_in_order(server: Address) -> None:
    """Three queries written at once on one connection get three replies, in the order asked."""
    packets = [
        _wire("one.tcp.test", ident=11),
        _wire("two.tcp.test", ident=22),
        _wire("three.tcp.test", "TXT", ident=33),
    ]
    replies = await tcp_exchange(packets, server)
    assert [dns.message.from_wire(reply).id for reply in replies] == [11, 22, 33]
    assert _texts(replies[0]) == {"one.tcp.test. 60 IN A 192.0.2.1"}
    assert _texts(replies[1]) == {"two.tcp.test. 60 IN A 192.0.2.2"}
    assert _texts(replies[2]) == {'three.tcp.test. 60 IN TXT "third"'}


@pytest.mark.asyncio
async def test_frame_split_into_single_bytes_is_reassembled(server: Address) -> None:
    """A query written one byte at a time (length prefix split too) is read whole and answered."""
    reader, writer = await asyncio.open_connection(*server)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for byte in _frame(_wire("two.tcp.test", ident=0x0202)):
            writer.write(bytes([byte]))
            await writer.drain()
        reply = await _read_frame(reader)
        assert dns.message.from_wire(reply).id == 0x0202
        assert _texts(reply) == {"two.tcp.test. 60 IN A 192.0.2.2"}
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_dropped_and_garbage_frames_keep_the_connection(server: Address) -> None:
    """Frames that get no reply (empty, < 12 bytes, QR=1) or FORMERR don't end the connection."""
    response = bytearray(_wire("one.tcp.test", ident=5))
    response[2] |= 0x80  # QR=1: a response, dropped
    packets = [
        b"",
        b"\x00\x05abc",
        bytes(response),
        b"\x00\x06\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00",
    ]
    reader, writer = await asyncio.open_connection(*server)
    try:
        writer.write(b"".join(_frame(p) for p in packets) + _frame(_wire("one.tcp.test", ident=7)))
        await writer.drain()
        formerr = dns.message.from_wire(await _read_frame(reader))
        assert formerr.id == 6
        assert formerr.rcode() == dns.rcode.FORMERR
        answer = await _read_frame(reader)
        assert dns.message.from_wire(answer).id == 7
        assert _texts(answer) == {"one.tcp.test. 60 IN A 192.0.2.1"}
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_idle_connection_is_closed_by_the_server(server: Address) -> None:
    """A connection silent for longer than tcp_idle_timeout is closed by the server (EOF)."""
    reader, writer = await asyncio.open_connection(*server)
    try:
        started = time.monotonic()
        data = await asyncio.wait_for(reader.read(), timeout=10)
        elapsed = time.monotonic() - started
        assert data == b""
        assert elapsed >= IDLE_TIMEOUT * 0.8
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_idle_timeout_restarts_after_each_query(server: Address) -> None:
    """After a query is answered the connection stays open, then closes once idle again."""
    reader, writer = await asyncio.open_connection(*server)
    try:
        writer.write(_frame(_wire("one.tcp.test", ident=1)))
        await writer.drain()
        assert _texts(await _read_frame(reader)) == {"one.tcp.test. 60 IN A 192.0.2.1"}
        started = time.monotonic()
        assert await asyncio.wait_for(reader.read(), timeout=10) == b""
        assert time.monotonic() - started >= IDLE_TIMEOUT * 0.8
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_stalled_partial_frame_is_closed_after_the_idle_timeout(server: Address) -> None:
    """A connection that sends half a frame and stalls is closed after the idle timeout."""
    reader, writer = await asyncio.open_connection(*server)
    try:
        writer.write(b"\x00\x40" + b"\x12\x34")  # promises 64 bytes, sends 2
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), timeout=10) == b""
    finally:
        writer.close()


@pytest.fixture
def patient_server(tmp_path: Path) -> Iterator[Address]:
    """A real server whose idle timeout (2 s) is well above the gaps the test leaves."""
    background = _start(write_zones(tmp_path / "zones", {"tcp.yaml": ZONE}), 2.0)
    yield background.address
    background.stop()


@pytest.mark.asyncio
async def test_idle_timeout_is_per_silence_not_per_connection(patient_server: Address) -> None:
    """A connection used every 0.5 s outlives the 2 s idle timeout: only silence closes it."""
    reader, writer = await asyncio.open_connection(*patient_server)
    try:
        started = time.monotonic()
        for ident in range(6):
            if ident:
                await asyncio.sleep(0.5)  # pacing, not synchronisation: gaps stay far below 2 s
            writer.write(_frame(_wire("two.tcp.test", ident=ident)))
            await writer.drain()
            reply = await _read_frame(reader)
            assert dns.message.from_wire(reply).id == ident
        assert time.monotonic() - started > 2.0  # the last query came after the idle timeout
    finally:
        writer.close()


@pytest.mark.asyncio
async def test_partial_frame_then_close_does_not_disturb_others(patient_server: Address) -> None:
    """A client sending a partial frame and closing (or stalling) doesn't disturb other clients."""
    server = patient_server
    other_reader, other_writer = await asyncio.open_connection(*server)
    _stalled_reader, stalled_writer = await asyncio.open_connection(*server)
    try:
        stalled_writer.write(b"\x00\x30\x00\x01\x00")  # stays open, frame incomplete
        await stalled_writer.drain()
        for partial in (b"\x00", b"\x00\x20", b"\x00\x20" + _wire("one.tcp.test")[:10]):
            _reader, writer = await asyncio.open_connection(*server)
            writer.write(partial)
            await writer.drain()
            writer.close()
            await writer.wait_closed()
        other_writer.write(_frame(_wire("two.tcp.test", ident=0x0303)))
        await other_writer.drain()
        # Well under the 2 s idle timeout: a server stuck on the stalled frame would miss it.
        reply = await _read_frame(other_reader, timeout=1.0)
        assert dns.message.from_wire(reply).id == 0x0303
        assert _texts(reply) == {"two.tcp.test. 60 IN A 192.0.2.2"}
        fresh = await tcp_exchange([_wire("one.tcp.test", ident=4)], server)
        assert [_texts(reply) for reply in fresh] == [{"one.tcp.test. 60 IN A 192.0.2.1"}]
    finally:
        other_writer.close()
        stalled_writer.close()


@pytest.mark.asyncio
async def test_udp_and_tcp_share_the_port(server: Address) -> None:
    """UDP and TCP listen on the same address and port number and give the same answer."""
    packet = _wire("one.tcp.test", ident=0x0909)
    over_udp = await udp_exchange(packet, server)
    [over_tcp] = await tcp_exchange([packet], server)
    assert over_udp is not None
    assert _texts(over_udp) == _texts(over_tcp) == {"one.tcp.test. 60 IN A 192.0.2.1"}


@pytest.mark.asyncio
async def test_large_reply_over_tcp_is_whole(tmp_path: Path) -> None:
    """Over TCP a reply of several KB (no UDP limit applies) comes back whole without TC."""
    values = ", ".join(f"198.51.100.{i}" for i in range(256))
    zone = (
        f"zone: big.test\nrecord_sets:\n  - {{name: all, type: A, ttl: 60, records: [{values}]}}\n"
    )
    background = _start(write_zones(tmp_path / "zones", {"big.yaml": zone}), IDLE_TIMEOUT)
    try:
        request = dns.message.make_query("all.big.test", "A", use_edns=0, payload=4096)
        [raw] = await tcp_exchange([request.to_wire()], background.address)
        reply = dns.message.from_wire(raw)
        assert len(raw) > 4096
        assert not reply.flags & dns.flags.TC
        assert len(reply.answer[0]) == 256
    finally:
        background.stop()


@pytest.mark.asyncio
async def test_tcp_exchange_returns_what_arrived_when_reset() -> None:
    """`tcp_exchange` returns the replies so far (none) when the peer resets, instead of raising."""
    listener = socket.create_server(("127.0.0.1", 0))

    def accept_then_reset() -> None:
        connection, _ = listener.accept()
        connection.recv(1)  # leave the rest unread, so close() sends RST
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()

    peer = threading.Thread(target=accept_then_reset, daemon=True)
    peer.start()
    try:
        replies = await tcp_exchange([_wire("one.tcp.test")], listener.getsockname()[:2])
        assert replies == []
    finally:
        peer.join(timeout=5)
        listener.close()


@pytest.mark.asyncio
async def test_a_client_that_reads_late_gets_every_reply_in_order(
    patient_server: Address,
) -> None:
    """A client that pipelines 40,000 queries without reading (the server's send buffers fill
    and it stops reading) still gets every reply, in order, once it reads; meanwhile the
    server answers others."""
    count = 40_000
    queries = b"".join(_frame(_wire("one.tcp.test.", ident=i % 65536)) for i in range(count))
    reader, writer = await asyncio.open_connection(*patient_server)
    try:
        writer.write(queries)
        await asyncio.sleep(0.5)  # let the server fill its buffers towards this client
        other = await udp_exchange(_wire("two.tcp.test.", ident=7), patient_server, timeout=2.0)
        assert other is not None
        assert _texts(other) == {"two.tcp.test. 60 IN A 192.0.2.2"}
        idents = []
        for _ in range(count):
            reply = await _read_frame(reader, timeout=10.0)
            idents.append(int.from_bytes(reply[:2], "big"))
        assert idents == [i % 65536 for i in range(count)]
    finally:
        writer.close()


@pytest.fixture
def capped_server(tmp_path: Path) -> Iterator[Address]:
    """A real server on tcp.test that keeps at most 3 TCP connections open."""
    directory = write_zones(tmp_path / "zones", {"tcp.yaml": ZONE})
    config = ServerConfig(
        zones=directory, address="127.0.0.1", port=0, tcp_idle_timeout=30, max_tcp_connections=3
    )
    background = BackgroundServer(config).start()
    yield background.address
    background.stop()


async def _ask(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ident: int) -> bytes:
    writer.write(_frame(_wire("one.tcp.test", ident=ident)))
    await writer.drain()
    return await _read_frame(reader)


@pytest.mark.asyncio
async def test_over_the_cap_the_least_recently_active_connection_is_closed(
    capped_server: Address,
) -> None:
    """With --max-tcp-connections 3, a fourth connection closes the one whose last query is
    oldest (not the oldest connection); the others, and the new one, keep answering."""
    first, second, third = [await asyncio.open_connection(*capped_server) for _ in range(3)]
    try:
        for ident, (reader, writer) in ((1, second), (2, first), (3, third)):
            assert _texts(await _ask(reader, writer, ident)) == {"one.tcp.test. 60 IN A 192.0.2.1"}
        # Least recently active: second (its query came first).
        fourth = await asyncio.open_connection(*capped_server)
        assert await asyncio.wait_for(second[0].read(), timeout=5) == b""
        for ident, (reader, writer) in enumerate((first, third, fourth), start=10):
            assert int.from_bytes((await _ask(reader, writer, ident))[:2], "big") == ident
        fourth[1].close()
    finally:
        for _reader, writer in (first, second, third):
            writer.close()
