"""Queries an attacker chooses, through a real server: what they may cost (memory, work) and
what the replies must still be (the attack run's findings).

* Every qtype a client sends is a metric label only if Route 53 has the type (or it is ANY);
  the rest are counted as `other`, so a sweep of all 65,536 types adds one series.
* /metrics is formatted off the event loop (`Metrics.render_async`).
* Distinct questions (names under a wildcard) fill the reply cache only up to its bound in
  bytes, the oldest first, while questions asked again stay cached.
* Large answers are cached, and replies stay what the slow path sends, truncated or not, over
  UDP (with and without EDNS) and TCP.
* NOTIMP (opcodes other than QUERY) clears RD: RD is defined for QUERY only.
"""

from __future__ import annotations

import asyncio
import random
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import aiohttp
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from r53emu.app import ServerConfig
from r53emu.server.handler import QueryHandler
from r53emu.server.wire import ParsedQuery, parse_query
from r53emu.testing.background import BackgroundServer
from r53emu.testing.client import tcp_exchange, udp_exchange
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import rrset_texts, write_zones

Address = tuple[str, int]
T = TypeVar("T")
RD = 0x0100
HEADER = struct.Struct("!HHHHHH")
VALUES = 400


def _record_set(name: str, rtype: str, values: list[str]) -> str:
    return "  - {name: %s, type: %s, records: [%s]}" % (name, rtype, ", ".join(values))  # noqa: UP031


def _zone() -> str:
    big = "0000000000111111111122222222223333333333444444444455555555556666666666777777777788888888"
    many = range(VALUES)
    lines = [
        "zone: hostile.test",
        "ttl: 300",
        "record_sets:",
        "  - {name: www, type: A, records: [192.0.2.1]}",
        "  - {name: '*.wild', type: A, ttl: 30, records: [192.0.2.7]}",
        "  - {name: target, type: A, records: [192.0.2.9]}",
        "  - {name: '*.drawn', type: A, set_identifier: a, weighted_routing_policy: {weight: 1},"
        " alias: {name: target.hostile.test.}}",
        "  - {name: '*.drawn', type: A, set_identifier: b, weighted_routing_policy: {weight: 1},"
        " alias: {name: target.hostile.test.}}",
        _record_set("big", "TXT", [f"'\"big-{i} {big}\"'" for i in range(5)]),
        _record_set("many", "A", [f"10.0.{i // 250}.{i % 250}" for i in many]),
        _record_set("many", "AAAA", [f'"2001:db8::{i:x}"' for i in many]),
        _record_set("many", "TXT", [f"'\"value {i}\"'" for i in many]),
        _record_set("many", "MX", [f'"{i} mx{i}.hostile.test."' for i in many]),
        _record_set("many", "SRV", [f'"1 1 {i} srv{i}.hostile.test."' for i in many]),
        _record_set("many", "CAA", [f"'0 issue \"ca{i}.test\"'" for i in many]),
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zones(tmp_path_factory.mktemp("hostile") / "zones", {"hostile.yaml": _zone()})


@pytest.fixture(scope="module")
def background(zones: Path) -> Iterator[BackgroundServer]:
    config = ServerConfig(zones=zones, address="127.0.0.1", port=0, admin_port=0)
    with BackgroundServer(config) as server:
        yield server


def in_loop(background: BackgroundServer, call: Callable[[], T]) -> T:
    """Run `call` on the server's event loop (the cache and the counts belong to it)."""

    async def run() -> T:
        return call()

    return asyncio.run_coroutine_threadsafe(run(), background._loop).result(timeout=60)


def wire(
    name: str, rdtype: str | int = "A", *, payload: int | None = None, rd: bool = True
) -> bytes:
    message = dns.message.make_query(
        name, rdtype, use_edns=payload is not None, payload=payload or 512
    )
    message.flags = dns.flags.RD if rd else 0
    return message.to_wire()


def raw(name: str, qtype: int, ident: int = 0x1234) -> bytes:
    question = b"".join(bytes((len(label),)) + label for label in name.encode().split(b"."))
    return HEADER.pack(ident, RD, 1, 0, 0, 0) + question + b"\0" + struct.pack("!HH", qtype, 1)


def exchange(background: BackgroundServer, packet: bytes, transport: str) -> bytes:
    address = background.address
    if transport == "tcp":
        replies = asyncio.run(tcp_exchange([packet], address, timeout=10))
        assert len(replies) == 1
        return replies[0]
    reply = asyncio.run(udp_exchange(packet, address, timeout=10))
    assert reply is not None
    return reply


@pytest.fixture(scope="module")
def slow(zones: Path) -> QueryHandler:
    """The reference: the slow path alone (no reply cache), on the same zones."""
    return QueryHandler(load_catalog(zones), random.Random(1), cache_replies=False)


def fresh(slow: QueryHandler, packet: bytes, transport: str) -> bytes:
    reply = slow.handle(packet, "127.0.0.1", transport)
    assert reply is not None
    return reply


def same_reply(got: bytes, expected: bytes) -> None:
    """Byte for byte but the order of values: same size, header, and records."""
    assert len(got) == len(expected)
    assert got[:12] == expected[:12]  # ID, flags (TC), counts
    mine, theirs = dns.message.from_wire(got), dns.message.from_wire(expected)
    assert mine.question == theirs.question
    for section in ("answer", "authority", "additional"):
        assert rrset_texts(getattr(mine, section)) == rrset_texts(getattr(theirs, section))
    assert (mine.edns, mine.payload, mine.options) == (theirs.edns, theirs.payload, theirs.options)


# --- 1a: qtypes as metric labels, /metrics off the loop ------------------------------------------


def test_a_qtype_sweep_adds_one_other_series(background: BackgroundServer) -> None:
    """Types Route 53 lacks (and meta types) are counted as `other`; its own types and ANY by
    name. /metrics (as the admin API serves it, and `render_async`) stays small."""

    async def sweep() -> None:
        for qtype in (1, 16, 255, 0, 3, 41, 99, 250, 666, 4000, 32768, 65280, 65535):
            assert await udp_exchange(raw("www.hostile.test", qtype), background.address)

    asyncio.run(sweep())
    admin = background.server.admin
    assert admin is not None
    assert admin.port is not None

    async def scrape() -> str:
        url = f"http://127.0.0.1:{admin.port}/metrics"
        async with aiohttp.ClientSession() as http, http.get(url) as reply:
            assert reply.status == 200
            return await reply.text()

    text = asyncio.run(scrape())
    lines = [line for line in text.splitlines() if line.startswith("r53emu_queries_total{")]
    qtypes = {line.split('qtype="')[1].split('"')[0] for line in lines}
    assert {"A", "TXT", "ANY", "SPF", "other"} <= qtypes
    assert not any(qtype.startswith("TYPE") for qtype in qtypes)
    metrics = background.server.metrics
    threaded = asyncio.run_coroutine_threadsafe(metrics.render_async(), background._loop)
    assert threaded.result(timeout=30) == in_loop(background, metrics.render)


def test_metrics_are_formatted_off_the_event_loop(background: BackgroundServer) -> None:
    """`render_async` copies the counts on the loop and formats the text in another thread."""
    metrics = background.server.metrics
    seen: list[threading.Thread] = []

    class Spy:
        def collect(self) -> Iterator[object]:
            seen.append(threading.current_thread())
            return iter(())

    spy = Spy()
    metrics._others.register(spy)  # type: ignore[arg-type]
    try:
        done = asyncio.run_coroutine_threadsafe(metrics.render_async(), background._loop)
        done.result(timeout=30)
    finally:
        metrics._others.unregister(spy)  # type: ignore[arg-type]
    assert seen
    assert seen[0] is not background._thread


# --- 1b: the reply cache's bound -----------------------------------------------------------------


@pytest.fixture
def small_cache(zones: Path) -> Iterator[BackgroundServer]:
    """A server whose reply cache may keep 1 MiB (`--reply-cache-mb 1`)."""
    config = ServerConfig(zones=zones, address="127.0.0.1", port=0, reply_cache_bytes=2**20)
    with BackgroundServer(config) as server:
        yield server


def spelled(name: str, n: int) -> str:
    """`name` with its k-th letter upper-cased where bit k of `n` is set."""
    spelling, k = [], 0
    for c in name:
        if c.isalpha():
            c = c.upper() if n >> k & 1 else c
            k += 1
        spelling.append(c)
    return "".join(spelling)


def test_distinct_names_under_a_wildcard_fill_the_cache_only_to_its_bound(
    small_cache: BackgroundServer,
) -> None:
    """Thousands of questions under a wildcard (plain answers, and drawn into aliases, once
    the None markers) over UDP: the cache's byte count stays at its bound (`--reply-cache-mb`),
    and a question asked again and again is answered from the cache all along. (Names under a
    wildcard share a reply, by encloser as sent: each question spells the encloser's case
    anew, so each is kept apart.)"""
    background, bound = small_cache, 2**20
    replies = in_loop(background, lambda: background.server.handler.replies)
    assert replies is not None
    assert replies.max_bytes == bound
    popular = wire("popular.wild.hostile.test")
    popular_key = parse_query(popular)
    assert isinstance(popular_key, ParsedQuery)

    def hit() -> bool:
        handler = background.server.handler
        found = replies.reply_to(
            popular,
            "127.0.0.1",
            handler.catalog,
            handler.health,
            handler.rng,
            locator=handler.locator,
        )
        return found is not None

    async def flood(start: int, count: int) -> None:
        for i in range(start, start + count):
            name = spelled(f"n.{'wild' if i % 2 else 'drawn'}.hostile.test", i << 1)
            assert await udp_exchange(raw(name, 1, i & 0xFFFF), background.address)
            if i % 50 == 0:
                assert await udp_exchange(popular, background.address)

    asyncio.run(udp_exchange(popular, background.address))
    sizes = []
    for round_start in range(0, 6000, 1000):
        asyncio.run(flood(round_start, 1000))
        sizes.append(in_loop(background, lambda: replies.bytes))
        assert in_loop(background, hit)
    assert all(size <= bound for size in sizes)
    assert min(sizes[2:]) > 0.9 * bound  # full, and stays full: no emptying all at once


# --- 2: large answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rdtype"), [("big.hostile.test", "TXT"), ("many.hostile.test", "ANY")]
)
@pytest.mark.parametrize("payload", [None, 512, 1232, 4096])
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_large_answers_are_the_slow_paths_replies(
    background: BackgroundServer,
    slow: QueryHandler,
    name: str,
    rdtype: str,
    payload: int | None,
    transport: str,
) -> None:
    """Large answers, asked three times (the later ones from the cache where it answers):
    each reply is the one the slow path makes, whole or truncated."""
    packet = wire(name, rdtype, payload=payload)
    expected = fresh(slow, packet, transport)
    for _ in range(3):
        same_reply(exchange(background, packet, transport), expected)


def test_a_large_answer_that_fits_is_served_from_the_cache(background: BackgroundServer) -> None:
    """big.hostile.test TXT (~550 bytes) with EDNS 4096: cached, the same reply over both."""
    packet = wire("big.hostile.test", "TXT", payload=4096)
    first = exchange(background, packet, "udp")
    replies = in_loop(background, lambda: background.server.handler.replies)
    assert replies is not None

    def hit() -> bytes | None:
        handler = background.server.handler
        found = replies.reply_to(
            packet,
            "127.0.0.1",
            handler.catalog,
            handler.health,
            handler.rng,
            locator=handler.locator,
        )
        return None if found is None else found[0]

    cached = in_loop(background, hit)
    assert cached is not None
    same_reply(cached, first)
    assert not dns.message.from_wire(cached).flags & dns.flags.TC


def test_an_any_answer_too_large_for_tcp_keeps_the_record_sets_that_fit(
    background: BackgroundServer,
) -> None:
    """many.hostile.test holds six types of 400 values: more than 65,535 bytes together. Over
    TCP its ANY answers the record sets that fit, whole, in type order (RFC 8482 §4.1), not a
    TC reply without records; over UDP it is truncated, so the client asks over TCP."""
    packet = wire("many.hostile.test", "ANY", payload=4096)
    reply = dns.message.from_wire(exchange(background, packet, "tcp"))
    assert not reply.flags & dns.flags.TC
    types = [rrset.rdtype for rrset in reply.answer]
    assert types == sorted(types)  # type-code order, a prefix of A, MX, TXT, AAAA, SRV, CAA
    assert types[:3] == [dns.rdatatype.A, dns.rdatatype.MX, dns.rdatatype.TXT]
    assert 3 <= len(types) < 6
    assert all(len(rrset) == VALUES for rrset in reply.answer)
    assert [rrset.rdtype for rrset in reply.authority] == [dns.rdatatype.NS]
    udp = dns.message.from_wire(exchange(background, packet, "udp"))
    assert udp.flags & dns.flags.TC


@pytest.mark.parametrize("name", ["many.hostile.test", "MaNy.HoStIlE.tEsT"])
def test_names_past_16_kb_of_a_tcp_reply_are_right(background: BackgroundServer, name: str) -> None:
    """A compression pointer holds 14 bits: a name first written past byte 16,383 of a reply
    (the authority section after a large answer, in a case of its own) must not be pointed
    at. dnslib's buffer did, and the owner names came out wrong or unreadable (found by the
    fuzzer: fuzz/corpus/query/bug-tcp-any-mixed-case.bin)."""
    packet = wire(name, "ANY", payload=4096)
    reply_bytes = exchange(background, packet, "tcp")
    assert len(reply_bytes) > 16384
    reply = dns.message.from_wire(reply_bytes)
    assert {rrset.name.to_text() for rrset in reply.answer} == {name + "."}
    assert [rrset.name.to_text() for rrset in reply.authority] == ["hostile.test."]
    assert same_as_the_slow_path(background, packet)


def same_as_the_slow_path(background: BackgroundServer, packet: bytes) -> bool:
    """The cached reply and a fresh one have the same bytes but for the order of values."""
    handler = background.server.handler
    fresh = QueryHandler(handler.catalog, random.Random(1), cache_replies=False)
    expected = fresh.handle(packet, "127.0.0.1", "tcp")
    got = exchange(background, packet, "tcp")
    assert expected is not None
    same_reply(got, expected)
    return True


# --- 3: NOTIMP and RD ----------------------------------------------------------------------------


@pytest.mark.parametrize(("opcode", "label"), [(4, "NOTIFY"), (5, "UPDATE")])
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_notimp_clears_rd(
    background: BackgroundServer, opcode: int, label: str, transport: str
) -> None:
    """RD is defined for QUERY only: another opcode's NOTIMP has RD clear, ID and opcode
    echoed (ISC's DNS compliance test, `opcodeflg`)."""
    packet = bytearray(wire("www.hostile.test", "SOA", rd=True))
    packet[0:2] = b"\xbe\xef"
    packet[2] = (packet[2] & 0x87) | (opcode << 3)
    reply = exchange(background, bytes(packet), transport)
    ident, flags, *_counts = HEADER.unpack_from(reply)
    assert ident == 0xBEEF, label
    assert flags & 0x8000  # QR
    assert (flags >> 11) & 0xF == opcode
    assert flags & 0xF == dns.rcode.NOTIMP
    assert not flags & RD
    query = exchange(background, wire("www.hostile.test", rd=True), transport)
    assert HEADER.unpack_from(query)[1] & RD  # a QUERY still has RD copied
