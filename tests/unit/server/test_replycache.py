"""The reply cache's bound in bytes, its least-recently-used eviction, and its replies that may
not fit the query's limit (r53emu.server.replycache; the equivalence with the slow path is in
tests/properties/)."""

from __future__ import annotations

import dataclasses
import gc
import os
import random
import struct
import tracemalloc

import dns.message
import pytest

from r53emu.geo.locator import Locator
from r53emu.health.snapshot import HealthSnapshot
from r53emu.model.catalog import Catalog
from r53emu.server.handler import QueryHandler
from r53emu.server.replycache import ReplyCache, _entry_bytes
from r53emu.server.wire import ParsedQuery, parse_query, render, render_whole
from r53emu.zonefiles.loader import load_catalog

ZONE = (
    """\
zone: wild.test
record_sets:
  - {name: '*.plain', type: A, ttl: 60, records: [192.0.2.1]}
  - {name: '*.three', type: A, ttl: 60, records: [192.0.2.1, 192.0.2.2, 192.0.2.3]}
  - {name: '*.many', type: A, ttl: 60, records: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4]}
  - {name: '*.big', type: TXT, ttl: 60, records: ['"LONG-A"', '"LONG-B"', '"LONG-C"']}
  - {name: '*.geo', type: A, ttl: 60, records: [192.0.2.1], set_identifier: de,
     geolocation_routing_policy: {country: DE}}
  - {name: '*.geo', type: A, ttl: 60, records: [192.0.2.2], set_identifier: any,
     geolocation_routing_policy: {country: '*'}}
  - {name: '*.cidr', type: A, ttl: 60, records: [192.0.2.5], set_identifier: ten,
     cidr_routing_policy: {collection_id: nets, location_name: ten}}
  - {name: '*.cidr', type: A, ttl: 60, records: [192.0.2.6], set_identifier: rest,
     cidr_routing_policy: {collection_id: nets, location_name: '*'}}
  - {name: target, type: A, ttl: 60, records: [192.0.2.9]}
  - {name: '*.drawn', type: A, set_identifier: a, weighted_routing_policy: {weight: 1},
     alias: {name: target.wild.test.}}
  - {name: '*.drawn', type: A, set_identifier: b, weighted_routing_policy: {weight: 1},
     alias: {name: target.wild.test.}}
""".replace("LONG-A", "a" * 200)
    .replace("LONG-B", "b" * 200)
    .replace("LONG-C", "c" * 200)
)
# Names the zone holds, each its own question (names under a wildcard share replies now:
# r53emu.server.sharedreplies), for the tests of the bound: e<i>.<kind>, as the wildcard's.
HELD = {"plain": 3000, "big": 3000, "three": 300, "many": 300, "drawn": 300}


def held_record_sets(kind: str, count: int) -> str:
    """The wildcard `*.<kind>`'s record sets again, at `count` names of their own."""
    record_sets = ZONE.split("\n  - ")[1:]
    own = [text for text in record_sets if text.startswith(f"{{name: '*.{kind}'")]
    return "".join(
        "  - " + text.replace(f"'*.{kind}'", f"e{i}.{kind}").rstrip("\n") + "\n"
        for i in range(count)
        for text in own
    )


ZONE += "".join(held_record_sets(kind, count) for kind, count in HELD.items())
# One name of 17 letters for each: 131,072 questions by the case of its letters.
CASED = "abcdefghijklmnopq"
ZONE += held_record_sets("plain", 1).replace("e0.", f"{CASED}.")
ZONE += held_record_sets("drawn", 1).replace("e0.", f"{CASED}.")


def cased(n: int) -> str:
    """The n-th spelling of CASED: bit k of n upper-cases its k-th letter."""
    return "".join(c.upper() if n >> k & 1 else c for k, c in enumerate(CASED))


# Two places: 10.1/16 in DE, 10.2/16 in FR (every /24 of each placed alike); IP-based routing
# keys on the whole 10/8.
ACCOUNT = """\
cidr_collections:
  nets:
    ten: [10.0.0.0/8]
client_locations:
  - {cidr: 10.1.0.0/16, country: DE}
  - {cidr: 10.2.0.0/16, country: FR}
"""


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    directory = tmp_path_factory.mktemp("replycache")
    (directory / "wild.yaml").write_text(ZONE)
    (directory / "account.yaml").write_text(ACCOUNT)
    return load_catalog(directory)


def handler(zones: Catalog, max_bytes: int | None = None) -> QueryHandler:
    built = QueryHandler(zones, random.Random(1))
    built.locator = Locator(zones.client_locations)
    if max_bytes is not None:
        built.replies = ReplyCache(max_bytes)
    return built


def key(name: str, qtype: int = 1) -> bytes:
    """The question's bytes: the cache's key."""
    question = b"".join(bytes((len(label),)) + label for label in name.encode().split(b"."))
    return question + b"\0" + struct.pack("!HH", qtype, 1)


def packet(name: str, qtype: int = 1, ecs: bytes | None = None, ident: int = 7) -> bytes:
    """A query as raw bytes (fast to make by the hundred thousand); `ecs`: an IPv4 /24."""
    question = b"".join(bytes((len(label),)) + label for label in name.encode().split(b"."))
    head = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 1 if ecs else 0)
    body = head + question + b"\0" + struct.pack("!HH", qtype, 1)
    if ecs is not None:
        option = struct.pack("!HHHBB", 8, 7, 1, 24, 0) + ecs
        body += b"\0" + struct.pack("!HHIH", 41, 4096, 0, len(option)) + option
    return body


def consistent(replies: ReplyCache) -> None:
    """The byte count is what the entries say, and every question a check lists is cached."""
    counted = sum(_entry_bytes(key, entry) for key, entry in replies._entries.items())
    counted += 60 * sum(len(checks) for checks in replies._checks.values())
    counted += 100 * len(replies._shared)
    assert all(key in replies._entries for key in replies._shared)
    assert replies.bytes == counted
    assert all(key in replies._entries for keys in replies._by_check.values() for key in keys)


def test_answers_drawn_into_aliases_are_kept_and_counted(zones: Catalog) -> None:
    """Names whose answer is a weighted draw into aliases were never cached (each once left an
    uncounted None entry); now each is kept by its path, counted exactly, and answered again
    from the cache: 300 names held, and 500 under the wildcard sharing one reply per length."""
    answering = handler(zones)
    replies = answering.replies
    assert replies is not None
    for i in range(300):
        answering.handle(packet(f"e{i}.drawn.wild.test"), "127.0.0.1", "udp")
    assert (len(replies), len(replies._entries)) == (300, 300)
    for i in range(500):
        answering.handle(packet(f"n{i}.drawn.wild.test"), "127.0.0.1", "udp")
    assert (len(replies), len(replies._entries)) == (303, 303)  # n0-n9, n10-n99, n100-n499
    consistent(replies)
    for name in ("e7.drawn.wild.test", "n7.drawn.wild.test", "x123.drawn.wild.test"):
        hit = replies.reply_to(
            packet(name),
            "127.0.0.1",
            zones,
            answering.health,
            answering.rng,
            locator=answering.locator,
        )
        assert hit is not None
        reply = dns.message.from_wire(hit[0])
        assert reply.answer[0].to_text() == f"{name}. 60 IN A 192.0.2.9"


def test_clients_placed_alike_share_one_location_reply(zones: Catalog) -> None:
    """A geolocation answer is kept per place, not per subnet: 200 /24s of 10.1/16 (DE) and
    200 of 10.2/16 (FR) make two replies, and a /24 never seen before is answered from them."""
    answering = handler(zones)
    replies = answering.replies
    assert replies is not None
    for i in range(200):
        for second in (1, 2):
            answering.handle(
                packet("x.geo.wild.test", ecs=bytes((10, second, i))), "127.0.0.1", "udp"
            )
    assert len(replies) == 2
    consistent(replies)
    for second, expected in ((1, "192.0.2.1"), (2, "192.0.2.2")):
        query = packet("x.geo.wild.test", ecs=bytes((10, second, 250)))
        hit = replies.reply_to(
            query, "127.0.0.1", zones, answering.health, answering.rng, locator=answering.locator
        )
        assert hit is not None
        reply = dns.message.from_wire(hit[0])
        assert reply.answer[0].to_text().endswith(expected)
        assert reply.options[0].scopelen == 24  # the ECS echo is this query's own


@pytest.mark.parametrize("kind", ["plain", "big"])
def test_distinct_questions_fill_the_cache_only_up_to_its_bound(zones: Catalog, kind: str) -> None:
    """Names under a wildcard, each asked once (small answers, large ones): the cache stops at
    its bound, dropping the oldest question each time, not everything at once."""
    bound = 128 * 1024
    answering = handler(zones, bound)
    replies = answering.replies
    assert replies is not None
    qtype = 16 if kind == "big" else 1
    sizes = []
    for i in range(3000):
        answering.handle(packet(f"e{i}.{kind}.wild.test", qtype), "127.0.0.1", "udp")
        assert replies.bytes <= bound
        sizes.append(len(replies._entries))
    assert replies.bytes > bound * 0.9  # full, not emptied
    assert min(sizes[2000:]) > 0.9 * max(sizes[2000:])  # a plateau, no sawtooth
    assert key(f"e2999.{kind}.wild.test", qtype) in replies._entries
    assert key(f"e0.{kind}.wild.test", qtype) not in replies._entries  # the oldest went
    consistent(replies)


def test_questions_asked_again_stay_cached_while_new_ones_come(zones: Catalog) -> None:
    """A hit makes its question the most recent: a question asked now and then survives a
    flood of new ones that each fill the cache many times over."""
    bound = 64 * 1024
    answering = handler(zones, bound)
    replies = answering.replies
    assert replies is not None
    popular = packet("popular.three.wild.test")
    answering.handle(popular, "127.0.0.1", "udp")
    for i in range(2000):
        answering.handle(packet(f"e{i}.plain.wild.test"), "127.0.0.1", "udp")
        if i % 10 == 0:
            assert replies.reply_to(
                popular,
                "127.0.0.1",
                zones,
                answering.health,
                answering.rng,
                locator=answering.locator,
            )
    assert replies.bytes <= bound
    consistent(replies)


def test_one_question_with_endless_clients_is_bounded_too(zones: Catalog) -> None:
    """Replies kept per client (ECS subnets: IP-based routing) count each; the question's
    oldest clients go."""
    bound = 64 * 1024
    answering = handler(zones, bound)
    replies = answering.replies
    assert replies is not None
    for i in range(1500):
        subnet = bytes((10, i // 256, i % 256))
        answering.handle(packet("x.cidr.wild.test", ecs=subnet), "127.0.0.1", "udp")
        assert replies.bytes <= bound
    assert 0 < len(replies) < 1500
    newest = packet("x.cidr.wild.test", ecs=bytes((10, 1499 // 256, 1499 % 256)))
    assert replies.reply_to(
        newest, "127.0.0.1", zones, answering.health, answering.rng, locator=answering.locator
    )
    consistent(replies)


@pytest.mark.parametrize("kind", ["plain", "three", "many", "big", "cidr", "drawn"])
def test_the_estimate_is_not_below_the_memory_kept(zones: Catalog, kind: str) -> None:
    """The bytes counted per entry are at least what tracemalloc sees the cache keep (and
    not far above it: the bound means something)."""
    answering = handler(zones)
    replies = answering.replies
    assert replies is not None
    count = 300
    qtype = 16 if kind == "big" else 1
    if kind == "cidr":
        packets = [
            packet("x.cidr.wild.test", ecs=bytes((10, i // 256, i % 256))) for i in range(count)
        ]
    else:
        packets = [packet(f"e{i}.{kind}.wild.test", qtype) for i in range(count)]
    answering.handle(packets[0], "127.0.0.1", "udp")
    gc.collect()
    tracemalloc.start()
    try:
        before, counted_before = tracemalloc.get_traced_memory()[0], replies.bytes
        for query in packets[1:]:
            answering.handle(query, "127.0.0.1", "udp")
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    counted = replies.bytes - counted_before
    assert kept <= counted <= 3 * kept + 200 * count


def test_a_health_change_drops_and_uncounts(zones: Catalog) -> None:
    """Dropping questions on a health change keeps the byte count exact."""
    boundless = handler(zones)
    replies = boundless.replies
    assert replies is not None
    for i in range(50):
        boundless.handle(packet(f"e{i}.plain.wild.test"), "127.0.0.1", "udp")
    consistent(replies)
    boundless.health = HealthSnapshot({"unrelated": False})  # asked about by none: all stay
    boundless.handle(packet("e0.plain.wild.test"), "127.0.0.1", "udp")
    assert len(replies) == 50
    consistent(replies)


# --- replies that may not fit ----------------------------------------------------------------


@pytest.mark.parametrize("payload", [None, 512, 600, 700, 1232, 4096])
@pytest.mark.parametrize("transport", ["udp", "tcp", None])
def test_large_replies_from_the_cache_are_the_slow_paths_bytes(
    zones: Catalog, payload: int | None, transport: str | None
) -> None:
    """A large answer is cached and the cache gives, for each limit, the reply `render` makes:
    whole, or truncated (TC), the same bytes but the random order of the values; with the
    transport unknown only a reply that is the same over UDP and TCP."""
    answering = handler(zones)
    replies = answering.replies
    assert replies is not None
    query = dns.message.make_query(
        "X.big.wild.test.", "TXT", use_edns=payload is not None, payload=payload or 512
    ).to_wire()
    answering.handle(query, "127.0.0.1", "udp")
    parsed = parse_query(query)
    assert isinstance(parsed, ParsedQuery)
    answer = answering.answer(parsed, "127.0.0.1", transport or "udp")
    limit = 65535 if transport == "tcp" else parsed.udp_limit()
    expected = render(parsed, answer, limit)
    hit = replies.reply_to(
        query,
        "127.0.0.1",
        zones,
        answering.health,
        answering.rng,
        transport,
        locator=answering.locator,
    )
    if transport is None and len(render(parsed, answer, 65535)) != len(expected):
        assert hit is None  # depends on the transport: the slow path answers
        return
    assert hit is not None
    reply = hit[0]
    assert len(reply) == len(expected)
    assert reply[:12] == expected[:12]  # ID, flags (TC), counts
    assert (
        sorted(dns.message.from_wire(reply).answer[0].to_text().splitlines())
        == sorted(dns.message.from_wire(expected).answer[0].to_text().splitlines())
        if dns.message.from_wire(expected).answer
        else reply == expected
    )


def rss() -> int:
    """This process's resident memory, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_distinct_questions_plateau_at_the_bound(zones: Catalog) -> None:
    """The attack run's flood (300,000 questions there, 60,000 here): distinct names under a
    wildcard whose answers were never cached then (a weighted draw into aliases: each was an
    uncounted None marker, +94 MB and no plateau; now kept by path, and names under a wildcard
    share a reply, so this asks one held name in 60,000 spellings of its case, each its own
    question), every 32nd one another name's. The cache's byte count stays at its bound and the
    process's RSS stops growing once the bound is reached. (The lookups of the drawn questions
    are the same each time; one lookup's answer, packed once, is stored for each, as the slow
    path would store it, to keep the test fast.)"""
    bound = 4 * 2**20
    answering = handler(zones, bound)
    replies = answering.replies
    assert replies is not None
    first = parse_query(packet(f"{CASED}.drawn.wild.test"))
    assert isinstance(first, ParsedQuery)
    drawn = answering.answer(first, "127.0.0.1", "udp")
    _reply, packed = render_whole(first, drawn, 512)  # packed once: stored as is for each
    health, locator = answering.health, answering.locator
    marks = {}
    for i in range(60_000):
        if i % 32 == 0:
            answering.handle(packet(f"{cased(i)}.plain.wild.test"), "127.0.0.1", "udp")
        else:
            query = dataclasses.replace(first, qname=(cased(i).encode(), *first.qname[1:]))
            replies.store(
                query, "127.0.0.1", drawn, zones, health, set(), packed=packed, locator=locator
            )
        if (i + 1) % 10_000 == 0:
            assert replies.bytes <= bound
            marks[i + 1] = (rss(), len(replies._entries), replies.bytes)
    assert marks[60_000][2] > 0.95 * bound
    # Full from about the 33,000th question on (about 4 kB counted for each drawn one).
    assert marks[60_000][1] == pytest.approx(marks[40_000][1], rel=0.05)  # entries: a plateau
    assert marks[60_000][0] - marks[40_000][0] < 4 * 2**20  # RSS: a plateau too
    popular = packet(f"{cased(59968)}.plain.wild.test")  # the last of the others: still there
    assert replies.reply_to(
        popular, "127.0.0.1", zones, answering.health, answering.rng, locator=answering.locator
    )
    consistent(replies)
