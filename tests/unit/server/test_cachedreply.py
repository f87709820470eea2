"""The order of the values in replies put together from the cache (r53emu.server.cachedreply):
large record sets rotated from kept orders, small ones shuffled per reply as before, and every
reply the slow path's bytes for some order (the whole equivalence is in tests/properties/).

The statistical tests use seeded generators, so each gives the same counts on every run; their
bounds are five standard deviations wide, so that they would hold for almost any seed as well
(they check the distribution, not one seed's luck), while a value twice as likely as the others
would fail them."""

from __future__ import annotations

import dataclasses
import gc
import random
import struct
import tracemalloc
from collections import Counter
from itertools import groupby, permutations

import dns.message
import pytest

from r53emu.model.catalog import Catalog
from r53emu.server.cachedreply import (
    BASE_ORDERS,
    SHUFFLE_MAX,
    CachedReply,
    Rotations,
    _reply_body,
    _rotations,
    assemble_sized,
    compile_reply,
    question_bytes,
)
from r53emu.server.handler import QueryHandler
from r53emu.server.quickread import read_query
from r53emu.server.wire import TCP_LIMIT, ParsedQuery, parse_query, render
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import rrset_texts


def _addresses(count: int, prefix: str = "198.51") -> str:
    return ", ".join(f"{prefix}.{i // 250}.{i % 250}" for i in range(count))


def _texts(count: int) -> str:
    # Values of many lengths, so that the records' offsets differ from order to order.
    return ", ".join(f"'\"{i}{'x' * (i % 37)}\"'" for i in range(count))


def _targets(count: int) -> str:
    return ", ".join(f'"10 m{i}.rot.test."' for i in range(count))


ZONE = f"""\
zone: rot.test
ttl: 60
record_sets:
  - {{name: wide, type: A, records: [{_addresses(400)}]}}
  - {{name: wide, type: AAAA, records: ["2001:db8::1", "2001:db8::2"]}}
  - {{name: wide, type: TXT, records: ['"a"', '"bb"', '"ccc"', '"dddd"', '"eeeee"']}}
  - {{name: text, type: TXT, records: [{_texts(400)}]}}
  - {{name: edge, type: A, records: [{_addresses(SHUFFLE_MAX + 1)}]}}
  - {{name: sixteen, type: A, records: [{_addresses(SHUFFLE_MAX)}]}}
  - {{name: four, type: A, records: [{_addresses(4)}]}}
  - {{name: three, type: A, records: [{_addresses(3)}]}}
  - {{name: mail, type: MX, records: [{_targets(20)}]}}
""" + "".join(
    f"  - {{name: m{i}, type: A, records: [{_addresses(8, f'10.{i}')}]}}\n" for i in range(20)
)


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    directory = tmp_path_factory.mktemp("cachedreply")
    (directory / "rot.yaml").write_text(ZONE)
    return load_catalog(directory)


@dataclasses.dataclass
class Compiled:
    """A question, its cached reply, and the slow path's reply to it."""

    packet: bytes
    cached: CachedReply
    expected: bytes  # the slow path's reply (`render`) for the same limit

    def reply(self, rng: random.Random, transport: str = "tcp") -> bytes:
        quick = read_query(self.packet)
        assert quick is not None
        _question, edns, subnet = quick
        reply = assemble_sized(self.packet, self.cached, edns, subnet, rng, transport)
        assert reply is not None
        return reply


def compiled(
    zones: Catalog, name: str, rdtype: str, payload: int | None = None, transport: str = "tcp"
) -> Compiled:
    packet = dns.message.make_query(
        name, rdtype, use_edns=payload is not None, payload=payload or 512
    ).to_wire()
    parsed = parse_query(packet)
    assert isinstance(parsed, ParsedQuery)
    answer = QueryHandler(zones, random.Random(1)).answer(parsed, "127.0.0.1", transport)
    cached = compile_reply(parsed, answer, question_bytes(parsed))
    assert cached is not None
    limit = TCP_LIMIT if transport == "tcp" else parsed.udp_limit()
    return Compiled(packet, cached, render(parsed, answer, limit))


def _name_end(message: bytes, offset: int) -> int:
    while message[offset] and message[offset] < 0xC0:
        offset += 1 + message[offset]
    return offset + (2 if message[offset] else 1)


def split_answer(message: bytes, count: int) -> tuple[int, list[tuple[bytes, bytes]], int]:
    """Where the answer section starts, its `count` records (owner bytes, the rest) and where
    it ends: read by hand, without the code under test."""
    start = offset = _name_end(message, 12) + 4
    records = []
    for _ in range(count):
        cut = _name_end(message, offset)
        (rdlength,) = struct.unpack_from("!H", message, cut + 8)
        records.append((message[offset:cut], message[cut : cut + 10 + rdlength]))
        offset = cut + 10 + rdlength
    return start, records, offset


def assert_some_order(reply: bytes, expected: bytes, count: int, parse: bool) -> None:
    """`reply` is `expected` with the values of each answer record set in some order: the same
    size, the same bytes before and after the answer section, the record sets in the same order,
    each with the same owner bytes position by position and the same records; `parse`: and
    dnspython reads the same sections from it (slow: for a few replies)."""
    assert len(reply) == len(expected)
    start, _records, end = split_answer(reply, count)
    assert (start, end) == split_answer(expected, count)[::2]
    assert reply[:start] == expected[:start]
    assert reply[end:] == expected[end:]

    def by_rrset(message: bytes) -> list[tuple[list[bytes], list[bytes]]]:
        found = split_answer(message, count)[1]
        return [
            ([owner for owner, _ in rrset], sorted(rest for _, rest in rrset))
            for rrset in (list(group) for _, group in groupby(found, key=lambda r: r[1][:2]))
        ]

    assert by_rrset(reply) == by_rrset(expected)
    if parse:
        assert sections(reply) == sections(expected)


def sections(message: bytes) -> list[set[str]]:
    parsed = dns.message.from_wire(message)
    return [
        rrset_texts(section) for section in (parsed.answer, parsed.authority, parsed.additional)
    ]


def rotated(cached: CachedReply) -> list[Rotations]:
    return [rrset for rrset in cached.answer_rrsets if isinstance(rrset, Rotations)]


# --- every reply is one of the slow path's -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rdtype", "payload", "transport"),
    [
        ("wide.rot.test.", "A", None, "tcp"),
        ("wide.rot.test.", "ANY", 4096, "tcp"),  # a rotated set between shuffled ones
        ("text.rot.test.", "TXT", None, "tcp"),  # records of many lengths
        ("edge.rot.test.", "A", None, "udp"),
        ("mail.rot.test.", "MX", None, "tcp"),  # the targets' addresses in the additional
        ("mail.rot.test.", "MX", 1232, "udp"),  # the additional section dropped
        ("wide.rot.test.", "A", 4096, "udp"),  # truncated: no body at all
    ],
)
def test_every_reply_is_the_slow_paths_bytes_in_some_order(
    zones: Catalog, name: str, rdtype: str, payload: int | None, transport: str
) -> None:
    question = compiled(zones, name, rdtype, payload, transport)
    assert rotated(question.cached)
    (count,) = struct.unpack_from("!H", question.expected, 6)  # the reply's answer records
    rng = random.Random(7)
    for index in range(200):
        assert_some_order(question.reply(rng, transport), question.expected, count, index < 5)


def test_a_first_owner_packed_apart_is_sent_once_in_front(zones: Catalog) -> None:
    """When the first record's owner is packed otherwise than the later ones' (`owners`), the
    kept orders hold every record in its later form and a reply sends the first owner, then
    the rotation without the later owner in front: the slow path's bytes for that order."""
    question = compiled(zones, "text.rot.test.", "TXT")
    cached = question.cached
    rests = tuple(rest for _owner, rest in split_answer(question.expected, 400)[1])
    first, later = b"\x04text\x03rot\x04test\x00", b"\xc0\x0c"  # in full, then a pointer
    apart = dataclasses.replace(
        cached, owners=((first, later),), answer_rrsets=(_rotations(later, rests),)
    )
    rng = random.Random(11)
    firsts = set()
    answer = sections(question.expected)[0]
    start = len(cached.question + first)
    for index in range(8000):
        body = _reply_body(apart, rng)
        (rdlength,) = struct.unpack_from("!H", body, start + 8)
        firsts.add(body[start : start + 10 + rdlength])
        if index >= 200:
            continue
        assert body.startswith(cached.question + first)
        assert body.endswith(cached.tail)
        assert len(body) == len(cached.question + first + later.join(rests) + cached.tail)
        message = question.expected[:12] + body
        _start, records, end = split_answer(message, 400)
        assert end == len(message) - len(cached.tail)
        assert [owner for owner, _ in records] == [first] + [later] * 399
        assert sorted(rest for _, rest in records) == sorted(rests)
        if index < 5:
            assert sections(message)[0] == answer
    assert firsts == set(rests)  # each value came first (a value missing: 1 in 10^6 seeds)


# --- rotations: every value first, every position uniform --------------------------------------


def test_every_value_comes_first_about_equally_often(zones: Catalog) -> None:
    """400 TXT values of many lengths, 40,000 replies: each value is first about 100 times
    (a binomial count: standard deviation 10), none below 50 or above 150."""
    question = compiled(zones, "text.rot.test.", "TXT")
    assert len(rotated(question.cached)) == 1
    rng = random.Random(2024)
    firsts: Counter[bytes] = Counter()
    start = split_answer(question.expected, 0)[0]
    for _ in range(40_000):
        reply = question.reply(rng)
        (rdlength,) = struct.unpack_from("!H", reply, start + 10)
        firsts[reply[start : start + 12 + rdlength]] += 1
    assert len(firsts) == 400
    assert min(firsts.values()) >= 50
    assert max(firsts.values()) <= 150


def test_every_position_is_spread_over_every_value_and_orders_vary(zones: Catalog) -> None:
    """400 A values (16 bytes a record), 40,000 replies: at the first, second, middle and last
    positions every value comes about 100 times; the orders seen are the kept ones, each from
    each record (`BASE_ORDERS` x 400 of them, all seen); a reply repeats the one before it
    about once in 1,600; and the approximation: a value is followed by one of `BASE_ORDERS`
    values only."""
    question = compiled(zones, "wide.rot.test.", "A")
    rng = random.Random(99)
    start = split_answer(question.expected, 0)[0]
    positions = (0, 1, 200, 399)
    counts: dict[int, Counter[bytes]] = {position: Counter() for position in positions}
    after_first: dict[bytes, set[bytes]] = {}
    orders, repeats, previous = set(), 0, b""
    for _ in range(40_000):
        answer = question.reply(rng)[start : start + 400 * 16]
        for position in positions:
            counts[position][answer[16 * position : 16 * position + 16]] += 1
        after_first.setdefault(answer[:16], set()).add(answer[16:32])
        orders.add(hash(answer))
        repeats += answer == previous
        previous = answer
    for position in positions:
        assert len(counts[position]) == 400, position
        assert min(counts[position].values()) >= 50, position
        assert max(counts[position].values()) <= 150, position
    assert len(orders) == BASE_ORDERS * 400
    assert repeats < 60  # 25 expected
    assert max(len(followers) for followers in after_first.values()) <= BASE_ORDERS


def test_the_kept_orders_depend_only_on_the_records(zones: Catalog) -> None:
    """The base orders are shuffled by a generator seeded with the records: compiling again
    gives the same ones (a seeded server's replies do not depend on the process)."""
    one = rotated(compiled(zones, "text.rot.test.", "TXT").cached)[0]
    two = rotated(compiled(zones, "text.rot.test.", "TXT").cached)[0]
    assert one.joined == two.joined
    assert one.cuts == two.cuts
    assert len(set(one.joined)) == BASE_ORDERS


# --- small record sets: as before ----------------------------------------------------------------


def shuffled_as_before(cached: CachedReply, rng: random.Random) -> bytes:
    """A body as the cache made it before rotations: every record set shuffled per reply."""
    assert not cached.owners  # whole records
    parts = [cached.question]
    for rrset in cached.answer_rrsets:
        assert isinstance(rrset, tuple)
        records = list(rrset)
        rng.shuffle(records)
        parts.extend(records)
    parts.append(cached.tail)
    return b"".join(parts)


@pytest.mark.parametrize("name", ["sixteen", "four"])
def test_small_record_sets_are_shuffled_per_reply_as_before(zones: Catalog, name: str) -> None:
    """Up to `SHUFFLE_MAX` values, a reply is the same bytes as before for the same generator
    state: a full shuffle, nothing kept but the records."""
    question = compiled(zones, f"{name}.rot.test.", "A")
    cached = question.cached
    assert not rotated(cached)
    assert cached.bodies == ()
    for seed in range(50):
        assert _reply_body(cached, random.Random(seed)) == shuffled_as_before(
            cached, random.Random(seed)
        )


def test_one_more_value_is_rotated(zones: Catalog) -> None:
    """`SHUFFLE_MAX` + 1 values are rotated; in an ANY, only the large record set is."""
    assert len(rotated(compiled(zones, "edge.rot.test.", "A").cached)) == 1
    mixed = compiled(zones, "wide.rot.test.", "ANY", 4096).cached
    sizes = [len(rrset) if isinstance(rrset, tuple) else 0 for rrset in mixed.answer_rrsets]
    assert sorted(sizes) == [0, 2, 5]  # 0: rotated


def test_every_order_of_few_values_is_kept(zones: Catalog) -> None:
    """Three values: their six orders are kept as bytes, one picked per reply."""
    question = compiled(zones, "three.rot.test.", "A")
    cached = question.cached
    assert len(cached.bodies) == 6
    (records,) = cached.answer_rrsets
    assert isinstance(records, tuple)
    expected = {cached.question + b"".join(order) + cached.tail for order in permutations(records)}
    assert set(cached.bodies) == expected
    rng = random.Random(3)
    assert {_reply_body(cached, rng) for _ in range(200)} == expected


# --- memory --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rdtype"), [("wide", "A"), ("wide", "ANY"), ("text", "TXT"), ("edge", "A")]
)
def test_the_estimate_covers_the_kept_orders(zones: Catalog, name: str, rdtype: str) -> None:
    """The `weight` of replies with rotated record sets is at least what tracemalloc sees them
    keep (the kept orders and their offsets, with the Answer of a lookup each, as the cache
    keeps them), and not far above it."""
    answering = QueryHandler(zones, random.Random(1))
    packet = dns.message.make_query(f"{name}.rot.test.", rdtype).to_wire()
    parsed = parse_query(packet)
    assert isinstance(parsed, ParsedQuery)
    count = 40
    kept_replies: list[CachedReply] = []
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            answer = answering.answer(parsed, "127.0.0.1", "tcp")
            reply = compile_reply(parsed, answer, question_bytes(parsed))
            assert reply is not None
            kept_replies.append(reply)
            del answer, reply
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert all(rotated(reply) for reply in kept_replies)
    counted = sum(reply.weight for reply in kept_replies)
    assert kept <= counted <= 3 * kept + 200 * count
