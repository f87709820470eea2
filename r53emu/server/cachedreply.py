"""A reply kept by the reply cache: the bytes the slow path made, split by what varies per query.

`compile_reply` turns an answer into a `CachedReply`: flags and counts for each RD, CD and OPT
variant, the question and sections for each order of the values (or the record sets to shuffle
or rotate per reply), the authority and additional bytes, and its sizes (`Sized`) so that a
query's limit picks the whole reply, the one without the additional section or the truncated
one, as `wire.render` would. A reply that fits in 512 bytes with any OPT (`small`) is never cut by a
client's limit, only by the amplification guard's cap (`server.udpguard`). `assemble` (a reply
that fits) and `assemble_sized` (one that may not) make one query's reply from it: the query's
ID, the variant's head, a body, and an OPT made for the query (payload 4096, DO copied, ECS
echoed). `replycache` decides what is kept and for how long.

The values of each answer record set come in random order (§2.2), and a reply is the bytes the
slow path sends for one order: every record of a record set has the same owner, packed alike
after the first record, so only what follows the owner names moves (whole records when the first
owner is packed alike too), and every order has the same size. A reply with at most `MAX_ORDERS`
orders keeps each order's bytes and picks one per reply. Otherwise each record set of at most
`SHUFFLE_MAX` values is shuffled per reply (`rng.shuffle`: every order equally likely), and a
larger one is *rotated*: `BASE_ORDERS` orders of it are shuffled once, when the reply is compiled
(by a generator seeded with the records' bytes, so that a seeded server stays reproducible), each
joined into one bytes object with its records' offsets (`Rotations`); a reply draws one number,
an order and the record it starts from, and sends that order from there, wrapping around: two
slices, whatever the number of values. Every value is then exactly as likely as any other to come
first, and at every other position, and the order changes from reply to reply; what is given up
is the freedom of neighbours: a value is followed by one of `BASE_ORDERS` values (by any of the
n - 1 others in a full shuffle), and there are `BASE_ORDERS` x n orders rather than n!. This is
a deliberate approximation of a full shuffle: Route 53 documents only that the order is random,
and the full shuffle of a 6 x 400 ANY over TCP cost about 1 ms of the event loop per reply.

The bounds were measured (docs/performance.md, "Large record sets"): a shuffle costs about 0.27 µs
a value and a rotation about 1 µs, so up to 16 values (multivalue answers have at most 8) a
shuffle costs at most about 5 µs and stays exact. Each base order keeps a copy of the record
set's bytes: with 4, a 400-value A answer keeps 15 % more memory than the separate records kept
before and a 100-value TXT of 200-byte strings 80 % more; 8 would keep 60 % and 190 % more and
make no position more uniform, only neighbours less predictable.
"""

from __future__ import annotations

import random
import struct
from array import array
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, permutations, product
from math import factorial, prod

from r53emu.model.query import Answer, Outcome, ResourceRecord
from r53emu.server.querystats import StatsKey, stats_key
from r53emu.server.quickread import NO_EDNS
from r53emu.server.wire import (
    EDNS_PAYLOAD,
    FLAG_TC,
    OPT_ROOM,
    TCP_LIMIT,
    UDP_PLAIN_LIMIT,
    Packed,
    ParsedQuery,
    pack_sections,
    reply_flags,
    reply_opt,
)

MAX_ORDERS = 6  # value orders kept as bytes per reply (3 values); more are shuffled per reply
SHUFFLE_MAX = 16  # values of a record set shuffled per reply; a larger one is rotated
BASE_ORDERS = 4  # orders kept of a rotated record set (see the module docstring)
_HEAD = struct.Struct("!HHHHH")  # flags and the four counts
_PAYLOAD = struct.Struct("!H")  # an OPT record's CLASS: the client's UDP payload size
# Estimated bytes of memory a reply keeps, measured with tracemalloc (tests/unit/server/
# test_replycache.py and, for rotated record sets, test_cachedreply.py check the estimate stays
# above what is really kept): its fixed objects, a bytes object's header, each record of the
# Answer kept for the query log.
_REPLY_BYTES = 1500
_BYTES_OBJECT = 40
_RECORD_BYTES = 300
_ROTATIONS_BYTES = 250  # a `Rotations`, its tuple of orders, its array's header (230 measured)
_BARE_OPTS = (reply_opt(dnssec_ok=False), reply_opt(dnssec_ok=True))  # by the query's DO


@dataclass(slots=True)
class CachedReply:
    """A reply's fixed parts, by what varies per query. The question is the same for every
    query the reply serves (it is the cache key)."""

    heads: tuple[bytes, ...]  # flags and counts, by RD | CD << 1 | OPT present << 2
    bodies: tuple[bytes, ...]  # question and sections, one per order of the values; () = many
    question: bytes
    # Each record set's records (after the owner), or for a large one its kept orders.
    answer_rrsets: tuple[tuple[bytes, ...] | Rotations, ...]
    # Each record set's owner as packed: in its first record, in the others; () when every
    # record's owner is packed alike (then `answer_rrsets` holds whole records).
    owners: tuple[tuple[bytes, bytes], ...]
    tail: bytes  # authority and additional sections
    scoped: bool  # the location chose: ECS echoed with the source prefix as scope
    answer: Answer  # what the lookup returned (for the query log)
    stats: StatsKey  # what the metrics count it as
    sized: Sized  # what decides its truncation
    small: bool  # fits in 512 bytes with any OPT: only a cap (the amplification guard) cuts it
    weight: int  # estimated bytes of memory it keeps
    used: bool = False  # answered since the eviction queue last passed it (its second chance)


@dataclass(frozen=True, slots=True)
class Rotations:
    """A large record set's kept orders (see the module docstring), each joined into one bytes
    object with every record in its later form (the later owner, then the rest). With
    `cut = cuts[k * count + r]`, order k from its record r on is the first owner, then
    `joined[k][cut + skip:]` and `joined[k][:cut]`: the same bytes and size as the slow path's
    for that order."""

    joined: tuple[bytes, ...]  # each order's records, each with the later owner before it
    cuts: array[int]  # where each record starts in its order's bytes, order after order
    count: int  # values in the record set
    skip: int  # the later owner's length: the first record's is sent apart


@dataclass(frozen=True, slots=True)
class Sized:
    """What decides the reply to a query whose limit it may pass (see the module docstring)."""

    full: int  # bytes after the header, without OPT
    trimmed: int  # the same without the additional section; -1: never dropped (referral)
    trimmed_heads: tuple[bytes, ...]  # flags and counts without the additional section
    truncated_heads: tuple[bytes, ...]  # TC: question only


def compile_reply(
    query: ParsedQuery, answer: Answer, question: bytes, packed: Packed | None = None
) -> CachedReply | None:
    """The `CachedReply` of `answer` (None: its rcode does not fit the header); `packed` is
    the whole answer as `wire.pack_sections` packs it, when the caller has it already."""
    if answer.rcode > 0xF:
        return None
    if packed is None:
        packed = pack_sections(query, answer)
    split = _split(packed, answer)
    if split is None:
        return None
    owners, rrsets, tail = split
    if all(later in (b"", first) for first, later in owners):
        # Every record's owner is packed alike (a pointer to a name before): whole records
        # can be reordered, as when each is rendered alone.
        rrsets = tuple(
            tuple(first + rest for rest in rests)
            for (first, _later), rests in zip(owners, rrsets, strict=True)
        )
        owners = ()
    heads, trimmed_heads, truncated_heads = _heads(
        answer.authoritative, answer.rcode, packed.counts
    )
    end = packed.authority_end()
    assert end is not None, "packed whole"
    sized = Sized(
        full=len(packed.body),
        trimmed=-1 if answer.outcome is Outcome.REFERRAL else end,
        trimmed_heads=trimmed_heads,
        truncated_heads=truncated_heads,
    )
    bodies: tuple[bytes, ...] = ()
    kept_rrsets: tuple[tuple[bytes, ...] | Rotations, ...] = rrsets
    kept = [question, tail, *chain(*owners)]
    weight = _REPLY_BYTES
    if prod(factorial(len(rrset)) for rrset in rrsets) <= MAX_ORDERS:
        bodies = tuple(
            _body(question, owners, order, tail)
            for order in product(*(permutations(rrset) for rrset in rrsets))
        )
        kept += bodies
    else:
        later_owners = [later for _first, later in owners] if owners else [b""] * len(rrsets)
        kept_rrsets = tuple(
            rrset if len(rrset) <= SHUFFLE_MAX else _rotations(later, rrset)
            for later, rrset in zip(later_owners, rrsets, strict=True)
        )
        for rrset in kept_rrsets:
            if isinstance(rrset, Rotations):
                weight += _ROTATIONS_BYTES + rrset.cuts.itemsize * len(rrset.cuts)
                kept += rrset.joined
            else:
                kept += rrset
    records = answer.answer + answer.authority + answer.additional  # kept in `answer`
    weight += sum(len(part) + _BYTES_OBJECT for part in kept) + sum(
        _RECORD_BYTES + 2 * len(record.rdata) for record in records
    )
    return CachedReply(
        heads=heads,
        bodies=bodies,
        question=question,
        answer_rrsets=kept_rrsets,
        owners=owners,
        tail=tail,
        scoped=answer.location_dependent,
        answer=answer,
        stats=stats_key(answer, query.qtype),
        sized=sized,
        small=12 + len(packed.body) + OPT_ROOM <= UDP_PLAIN_LIMIT,
        weight=weight,
    )


_Split = tuple[tuple[tuple[bytes, bytes], ...], tuple[tuple[bytes, ...], ...], bytes]


def _split(packed: Packed, answer: Answer) -> _Split | None:
    """The answer records as the slow path packs them, by record set: the owner-name bytes
    of the first record and of the others (a pointer to the first or to the same name before
    it: the same bytes for each), and each record's bytes after its owner name, which can be
    reordered without moving a name; then the other sections' bytes. None if the owners of a
    record set are not packed alike (never seen; then the answer is not cached)."""
    body, ends = packed.body, packed.ends
    owners: list[tuple[bytes, bytes]] = []
    rrsets: list[tuple[bytes, ...]] = []
    start, position = packed.question_end, 0
    for rrset in _rrsets(answer.answer):
        names, rests = [], []
        for _ in rrset:
            end = ends[position]
            cut = _name_end(body, start)
            names.append(body[start:cut])
            rests.append(body[cut:end])
            start, position = end, position + 1
        if len(set(names[1:])) > 1:
            return None
        owners.append((names[0], names[1] if len(names) > 1 else b""))
        rrsets.append(tuple(rests))
    return tuple(owners), tuple(rrsets), body[start:]


def _rotations(later: bytes, rests: tuple[bytes, ...]) -> Rotations:
    """`BASE_ORDERS` orders of a record set's records (`rests`, each after its owner; `later`:
    the owner of every record but the first, b"" when `rests` are whole records), shuffled by a
    generator seeded with their bytes: the same record set gets the same orders in every run."""
    shuffler = random.Random(b"".join(rests))
    joined: list[bytes] = []
    cuts: list[int] = []
    step = len(later)
    for _ in range(BASE_ORDERS):
        order = list(rests)
        shuffler.shuffle(order)
        cut = 0
        for rest in order:
            cuts.append(cut)
            cut += step + len(rest)
        joined.append(later + later.join(order))
    return Rotations(tuple(joined), array("I", cuts), len(rests), step)


def _name_end(message: bytes, offset: int) -> int:
    """The offset after the (possibly compressed) name at `offset` in a packed message."""
    while True:
        length = message[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2
        offset += 1 + length
        if length == 0:
            return offset


def _body(
    question: bytes,
    owners: tuple[tuple[bytes, bytes], ...],
    order: tuple[tuple[bytes, ...], ...],
    tail: bytes,
) -> bytes:
    """The question, the answer's record sets with their records in `order`, the rest."""
    if not owners:
        return question + b"".join(chain(*order)) + tail
    parts = [question]
    for (first, later), rests in zip(owners, order, strict=True):
        parts += (first, later.join(rests))
    parts.append(tail)
    return b"".join(parts)


Heads = tuple[bytes, ...]


@lru_cache(maxsize=4096)
def _heads(aa: bool, rcode: int, counts: tuple[int, int, int]) -> tuple[Heads, Heads, Heads]:
    """The heads of a reply, without its additional section and truncated, each by the query's
    RD | CD << 1 | OPT present << 2; shared by every reply with the same flags and counts."""
    flags = [reply_flags(0, aa, rcode, bool(bits & 1), bool(bits & 2)) for bits in range(4)]
    answers, authority, _additional = counts
    whole = tuple(_head(flags[variant & 3], counts, variant >> 2) for variant in range(8))
    trimmed = tuple(
        _head(flags[variant & 3], (answers, authority, 0), variant >> 2) for variant in range(8)
    )
    truncated = tuple(
        _head(flags[variant & 3] | FLAG_TC, (0, 0, 0), variant >> 2) for variant in range(8)
    )
    return whole, trimmed, truncated


@lru_cache(maxsize=4096)
def _head(flags: int, counts: tuple[int, int, int], opt: int) -> bytes:
    """Flags and counts after the ID; shared by every reply with the same ones."""
    answers, authority, additional = counts
    return _HEAD.pack(flags, 1, answers, authority, additional + opt)


def _rrsets(records: tuple[ResourceRecord, ...]) -> list[list[ResourceRecord]]:
    """Consecutive records of the same owner and type, as the lookup produced them."""
    groups: list[list[ResourceRecord]] = []
    for record in records:
        if groups and (groups[-1][0].name, groups[-1][0].rtype) == (record.name, record.rtype):
            groups[-1].append(record)
        else:
            groups.append([record])
    return groups


def question_bytes(query: ParsedQuery) -> bytes:
    """The question section as a reply echoes it (the name's bytes and case as sent)."""
    name = b"".join(bytes((len(label),)) + label for label in query.qname) + b"\0"
    return name + struct.pack("!HH", query.qtype, query.qclass)


def assemble(
    packet: bytes, cached: CachedReply, edns: int, subnet: bytes | None, rng: random.Random
) -> bytes:
    variant = (packet[2] & 1) | ((packet[3] & 0x10) >> 3)
    body = _reply_body(cached, rng)
    if edns == NO_EDNS:
        return packet[:2] + cached.heads[variant] + body
    return packet[:2] + cached.heads[variant | 4] + body + _opt(edns, subnet, cached.scoped)


def _reply_body(cached: CachedReply, rng: random.Random) -> bytes:
    """The question and records of one reply, its values in one of their orders (§2.2)."""
    bodies = cached.bodies
    if len(bodies) == 1:
        return bodies[0]
    if bodies:
        return rng.choice(bodies)
    return _shuffled(cached, rng)


def _shuffled(cached: CachedReply, rng: random.Random) -> bytes:
    """A body whose record sets are each shuffled (at most `SHUFFLE_MAX` values) or rotated
    (more: a kept order from a random record on; see the module docstring)."""
    parts: list[bytes | memoryview] = [cached.question]
    if not cached.owners:  # whole records
        for rrset in cached.answer_rrsets:
            if isinstance(rrset, Rotations):
                at = rng.randrange(len(rrset.cuts))
                joined, cut = memoryview(rrset.joined[at // rrset.count]), rrset.cuts[at]
                parts += (joined[cut:], joined[:cut])  # views: the one join copies them
                continue
            records = list(rrset)
            rng.shuffle(records)
            parts.extend(records)
        parts.append(cached.tail)
        return b"".join(parts)
    for (first, later), rrset in zip(cached.owners, cached.answer_rrsets, strict=True):
        if isinstance(rrset, Rotations):
            at = rng.randrange(len(rrset.cuts))
            joined, cut = memoryview(rrset.joined[at // rrset.count]), rrset.cuts[at]
            parts += (first, joined[cut + rrset.skip :], joined[:cut])
            continue
        records = list(rrset)
        rng.shuffle(records)
        parts += (first, later.join(records))
    parts.append(cached.tail)
    return b"".join(parts)


def assemble_sized(
    packet: bytes,
    cached: CachedReply,
    edns: int,
    subnet: bytes | None,
    rng: random.Random,
    transport: str | None,
    cap: int | None = None,
) -> bytes | None:
    """A reply that may not fit: whole, without the additional section or truncated, as
    `wire.render` decides for the query's limit, or for `cap` when that is smaller (None: the
    transport is not known and the reply would depend on it)."""
    sized = cached.sized
    variant = (packet[2] & 1) | ((packet[3] & 0x10) >> 3)
    if edns == NO_EDNS:
        opt, udp_limit = b"", UDP_PLAIN_LIMIT
    else:
        variant |= 4
        opt = _opt(edns, subnet, cached.scoped)
        (payload,) = _PAYLOAD.unpack_from(packet, 12 + len(cached.question) + 3)
        udp_limit = max(UDP_PLAIN_LIMIT, min(payload, EDNS_PAYLOAD))
    if transport == "tcp":
        limit = TCP_LIMIT
    elif transport is None:
        if 12 + sized.full + len(opt) > udp_limit:
            return None
        limit = udp_limit
    else:
        limit = udp_limit
    if cap is not None and cap < limit:
        limit = cap
    room = limit - 12 - len(opt)
    if sized.full <= room or 0 <= sized.trimmed <= room:
        body = _reply_body(cached, rng)
        # One join: a large body is copied once (`+` would copy it once per part after it).
        if sized.full <= room:
            return b"".join((packet[:2], cached.heads[variant], body, opt))
        return b"".join((packet[:2], sized.trimmed_heads[variant], body[: sized.trimmed], opt))
    return packet[:2] + sized.truncated_heads[variant] + cached.question + opt


def _opt(dnssec_ok: int, subnet: bytes | None, scoped: bool) -> bytes:
    """The reply's OPT, as `wire.render` makes it: ECS echoed with the source prefix as scope
    when the location chose the answer, else scope 0 (the query's option as it came)."""
    if subnet is None:
        return _BARE_OPTS[dnssec_ok]
    return _ecs_opt(dnssec_ok, subnet, scoped)


@lru_cache(maxsize=4096)
def _ecs_opt(dnssec_ok: int, subnet: bytes, scoped: bool) -> bytes:
    """`_opt` with an ECS option, kept for the subnets that repeat (a few bytes each)."""
    if scoped:
        subnet = subnet[:3] + subnet[2:3] + subnet[4:]
    return reply_opt(bool(dnssec_ok), subnet)
