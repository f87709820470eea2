"""Rendered replies, reused for the next identical question: the fast path.

Looking up and rendering with dnslib cost most of a query's time (measured: tens to hundreds of
microseconds, against a few for a reply made of kept bytes). The first reply to a question is
made by the slow path (strict reader, lookup, dnslib) and its records kept as bytes, packed as
the slow path packs them (`wire.pack_sections`: one dnslib message, the same compression); later
queries whose question is the same bytes (name as sent, type, class) are read by hand
(`r53emu.server.quickread`) and answered from them: the query's ID, then flags and counts for
its RD, CD and EDNS (precomputed), the question and the records, and an OPT made for this query
(payload 4096, DO copied, ECS echoed). Values of a record set come in random order (§2.2):
where they have at most `MAX_ORDERS` orders, every order's bytes are kept and one is picked per
reply; otherwise the records are shuffled per reply. Reordering moves no name: every record of
a record set has the same owner, packed alike after the first record (a pointer), so only what
follows the owner names is swapped (whole records when the first is packed alike too), and
every order is the bytes the slow path sends for that order, of the same size.

What is cached: every answer whose rcode fits the header (a drawn one as below). One that fits
in 512 bytes with any OPT is never truncated. A larger one keeps the sizes that decide what a
query gets, by the limit it can take (512 without EDNS, its EDNS payload up to 4096, 65535 over
TCP, as `wire.render` uses them): the whole reply, the reply without its additional section
(not for a referral), or the truncated one (TC, question and OPT only), cut from the same
bytes. Over UDP and TCP these differ, so the caller says which (`reply_to`'s `transport`); when
it does not, only a reply that fits the query's UDP limit whole is given from the cache. An
answer that used the client's location (geolocation, latency, geoproximity, IP-based) is kept
per client (its ECS option's family, prefix and address, else its address) and echoes ECS with
the source prefix as scope, as `wire.render` does. An answer drawn at random (weighted,
multivalue: one decision, no alias among the record sets) is kept per outcome: the group's
`Draw` (answer.routing, worked out once for the health of its members) picks per query, making
the same generator calls as the policy, and the reply of the record sets it drew is used. While
some outcome is not cached yet, the generator's state is saved before picking and restored on a
miss, so that the lookup then draws the same outcome and none is favoured. Other random answers
(aliases into weighted trees) are not cached.

The cache belongs to one catalog and one random generator: a reload or a reseed empties it. A
health change drops only the questions whose answers consulted a check that changed (each
stored answer records the checks its lookup asked about). Its size is bounded in bytes, not in
entries: every entry, and each reply kept per client or per draw, is counted by an estimate of
the memory it keeps (`_ENTRY_BYTES`, the `weight` of each reply), and when the total passes
`max_bytes` (`MAX_BYTES` by default) questions are dropped one by one, least recently used
first as a "second chance" queue approximates it (the oldest goes, unless it was answered since
the queue last passed it: then it goes to the back, once; a hit only sets a flag), so clients
asking endless distinct questions (names under a wildcard) cost a bounded amount of memory
while the questions asked again stay cached. An answer that cannot be cached (drawn in a way
the cache cannot redraw, an rcode above 15) leaves nothing behind.
"""

from __future__ import annotations

import random
import struct
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, permutations, product
from math import factorial, prod
from typing import cast

from r53emu.answer.routing import DRAWS, Draw
from r53emu.health.snapshot import HealthView
from r53emu.model.catalog import Catalog, RecordGroup, RecordSet
from r53emu.model.query import Answer, Outcome, ResourceRecord, Routed
from r53emu.server.querystats import StatsKey, stats_key
from r53emu.server.quickread import NO_EDNS, read_query
from r53emu.server.wire import (
    EDNS_PAYLOAD,
    FLAG_TC,
    TCP_LIMIT,
    UDP_PLAIN_LIMIT,
    Packed,
    ParsedQuery,
    pack_sections,
    reply_flags,
    reply_opt,
)

MAX_BYTES = 64 * 2**20  # the default bound on the memory the cache keeps (estimated)
MAX_ORDERS = 6  # value orders kept as bytes per reply (3 values); more are shuffled per reply
RANDOM_POLICIES = frozenset(DRAWS)  # their answers are drawn per query
OPT_ROOM = 11 + 4 + 20  # an OPT RR with the longest ECS echo (IPv6 /128)
_HEAD = struct.Struct("!HHHHH")  # flags and the four counts
_PAYLOAD = struct.Struct("!H")  # an OPT record's CLASS: the client's UDP payload size
# Estimated bytes of memory, measured with tracemalloc (tests/unit/server/test_replycache.py
# checks the estimate stays above what is really kept): a question's slot in the cache (the
# dict's entry, the key's bytes object, its place in the eviction queue), a kept reply's fixed
# objects, a bytes object's header, each record of the Answer kept for the query log, a
# client's (or a draw's) slot.
_ENTRY_BYTES = 260
_REPLY_BYTES = 1500
_BYTES_OBJECT = 40
_RECORD_BYTES = 300
_CLIENT_BYTES = 150
_CHECK_BYTES = 60  # a question's place in `_by_check` and `_checks`, per check
_BARE_OPTS = (reply_opt(dnssec_ok=False), reply_opt(dnssec_ok=True))  # by the query's DO

ClientKey = bytes | str  # the ECS option's data (scope 0), else the client's address
DrawKey = tuple[int, ...]  # the positions, in the group, of the record sets drawn, sorted


@dataclass(slots=True)
class CachedReply:
    """A reply's fixed parts, by what varies per query. The question is the same for every
    query the reply serves (it is the cache key)."""

    heads: tuple[bytes, ...]  # flags and counts, by RD | CD << 1 | OPT present << 2
    bodies: tuple[bytes, ...]  # question and sections, one per order of the values; () = many
    question: bytes
    answer_rrsets: tuple[tuple[bytes, ...], ...]  # each record set's records (after the owner)
    # Each record set's owner as packed: in its first record, in the others; () when every
    # record's owner is packed alike (then `answer_rrsets` holds whole records).
    owners: tuple[tuple[bytes, bytes], ...]
    tail: bytes  # authority and additional sections
    scoped: bool  # the location chose: ECS echoed with the source prefix as scope
    answer: Answer  # what the lookup returned (for the query log)
    stats: StatsKey  # what the metrics count it as
    sized: Sized | None  # a reply over 512 bytes: what decides its truncation; None: never
    weight: int  # estimated bytes of memory it keeps
    used: bool = False  # answered since the eviction queue last passed it (its second chance)


@dataclass(frozen=True, slots=True)
class Sized:
    """What decides the reply to a query whose limit it may pass (see the module docstring)."""

    full: int  # bytes after the header, without OPT
    trimmed: int  # the same without the additional section; -1: never dropped (referral)
    trimmed_heads: tuple[bytes, ...]  # flags and counts without the additional section
    truncated_heads: tuple[bytes, ...]  # TC: question only


@dataclass(slots=True)
class _PerClient:
    """The replies to one location-dependent question, by client."""

    replies: dict[ClientKey, CachedReply]
    used: bool = False


@dataclass(slots=True)
class _Drawn:
    """The replies to one question answered by a random draw, by the record sets drawn."""

    draw: Draw
    outcomes: int  # how many different draws are possible
    replies: dict[DrawKey, CachedReply]
    used: bool = False

    def redraw(self, rng: random.Random) -> CachedReply | None:
        """The reply for a new draw, or None (then the generator is as it was: see the
        module docstring)."""
        replies = self.replies
        if len(replies) == self.outcomes:  # every outcome is cached: no miss possible
            if self.outcomes == 1:
                return next(iter(replies.values()))
            return replies[tuple(sorted(self.draw.pick(rng)))]
        state = rng.getstate()
        cached = replies.get(tuple(sorted(self.draw.pick(rng))))
        if cached is None:
            rng.setstate(state)
        return cached


_Entry = CachedReply | _PerClient | _Drawn


class ConsultedHealth:
    """A health view that remembers which checks were asked about (during one lookup)."""

    def __init__(self, view: HealthView) -> None:
        self.view = view
        self.checks: set[str] = set()

    def is_healthy(self, check_id: str) -> bool:
        self.checks.add(check_id)
        return self.view.is_healthy(check_id)


class ReplyCache:
    """Replies by question bytes (and by client or outcome where the location or a draw
    chose) for one catalog and random generator; see the module docstring."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._catalog: Catalog | None = None
        self._health: HealthView | None = None
        self._rng: random.Random | None = None
        self._entries: dict[bytes, _Entry] = {}
        # The entries in the order they were stored (or last given a second chance); a pair
        # whose entry is no longer the question's (dropped on a health change) is skipped.
        self._queue: deque[tuple[bytes, _Entry]] = deque()
        self._by_check: dict[str, set[bytes]] = {}  # the questions whose answers asked about it
        self._checks: dict[bytes, tuple[str, ...]] = {}  # the checks each question asked about
        self._size = 0
        self.bytes = 0  # estimated memory kept (see the module docstring)

    def __len__(self) -> int:
        """How many replies are cached."""
        return self._size

    def reply_to(
        self,
        packet: bytes,
        client_ip: str,
        catalog: Catalog,
        health: HealthView,
        rng: random.Random,
        transport: str | None = None,
    ) -> tuple[bytes, CachedReply] | None:
        """The reply to `packet` from the cache, or None: then the slow path answers it (and
        calls `store`). `transport` ("udp", "tcp") sets the size a reply may have; unknown
        (None), only replies that are the same over both are given."""
        if catalog is not self._catalog or health is not self._health or rng is not self._rng:
            self._follow(catalog, health, rng)
        quick = read_query(packet)
        if quick is None:
            return None
        question, edns, subnet = quick
        entry = self._entries.get(question)
        # Exact type tests: cheaper than isinstance, and the classes have no subclasses.
        kind = type(entry)
        cached: CachedReply | None
        if kind is CachedReply:
            cached = cast(CachedReply, entry)
            cached.used = True
        elif kind is _PerClient:
            per_client = cast(_PerClient, entry)
            per_client.used = True
            cached = per_client.replies.get(subnet if subnet is not None else client_ip)
        elif kind is _Drawn:
            drawn = cast(_Drawn, entry)
            drawn.used = True
            cached = drawn.redraw(rng)
        else:
            return None
        if cached is None:
            return None
        if cached.sized is None:
            return _assemble(packet, cached, edns, subnet, rng), cached
        reply = _assemble_sized(packet, cached, edns, subnet, rng, transport)
        return None if reply is None else (reply, cached)

    def store(
        self,
        query: ParsedQuery,
        client_ip: str,
        answer: Answer,
        catalog: Catalog,
        health: HealthView,
        checks: set[str],
    ) -> None:
        """Remember `answer` for `query`; `checks` are the health checks its lookup asked about
        (see the module docstring for what is kept). An answer that cannot be cached leaves
        nothing behind: the next query for it is answered by the slow path again."""
        if catalog is not self._catalog or health is not self._health:
            return
        is_drawn = _is_drawn(answer)
        drawn = _redrawable(answer) if is_drawn else None
        if is_drawn and drawn is None:
            return  # drawn in a way the cache cannot redraw
        key = _question_bytes(query)
        existing = self._entries.get(key)
        if existing is not None and not isinstance(existing, _PerClient | _Drawn):
            return  # cached already
        compiled = _compile(query, answer, key)
        if compiled is None:
            return
        entry: _Entry
        if drawn is not None:
            by_draw = existing if isinstance(existing, _Drawn) else _new_drawn(drawn.group, health)
            if drawn.chosen in by_draw.replies:
                return
            by_draw.replies[drawn.chosen] = compiled
            entry, added = by_draw, compiled.weight + _CLIENT_BYTES
        elif answer.location_dependent:
            per_client = existing if isinstance(existing, _PerClient) else _PerClient({})
            client = _client_key(query, client_ip)
            if client in per_client.replies:
                return
            per_client.replies[client] = compiled
            entry, added = per_client, compiled.weight + _CLIENT_BYTES + len(client)
        else:
            entry, added = compiled, compiled.weight
        if existing is None:
            added += _ENTRY_BYTES + len(key)
            self._entries[key] = entry
            self._queue.append((key, entry))
        self.bytes += added
        self._depends_on(key, checks)
        self._size += 1
        self._evict(key)

    def _depends_on(self, key: bytes, checks: set[str]) -> None:
        if not checks:
            return
        known = self._checks.get(key, ())
        new = [check for check in checks if check not in known]
        if not new:
            return
        self._checks[key] = (*known, *new)
        self.bytes += _CHECK_BYTES * len(new)
        for check in new:
            self._by_check.setdefault(check, set()).add(key)

    def _evict(self, keep: bytes) -> None:
        """Drop questions until the cache is within `max_bytes`: the oldest first, but one
        answered since the queue last passed it goes to the back instead, once (the "second
        chance" approximation of least recently used, which costs a hit one flag). The
        question just stored (`keep`) loses its oldest replies (per client or per draw) before
        it goes itself."""
        queue, entries = self._queue, self._entries
        while self.bytes > self.max_bytes and queue:
            key, entry = queue[0]
            if entries.get(key) is not entry:
                queue.popleft()  # dropped already
            elif key == keep and len(entries) > 1:
                queue.rotate(-1)  # just stored: others go first
            elif entry.used:
                entry.used = False
                queue.rotate(-1)
            elif key == keep and isinstance(entry, _PerClient | _Drawn) and len(entry.replies) > 1:
                replies = cast(dict[object, CachedReply], entry.replies)
                client = next(iter(replies))
                reply = replies.pop(client)
                extra = len(cast(ClientKey, client)) if isinstance(entry, _PerClient) else 0
                self.bytes -= reply.weight + _CLIENT_BYTES + extra
                self._size -= 1
            else:
                queue.popleft()
                self._drop(key)

    def _drop(self, key: bytes) -> None:
        """Forget one question (and every reply kept for it); its queue pair goes stale."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._size -= _replies_in(entry)
        self.bytes -= _entry_bytes(key, entry)
        checks = self._checks.pop(key, ())
        self.bytes -= _CHECK_BYTES * len(checks)
        for check in checks:
            dependents = self._by_check.get(check)
            if dependents is not None:
                dependents.discard(key)
                if not dependents:
                    del self._by_check[check]

    def _follow(self, catalog: Catalog, health: HealthView, rng: random.Random) -> None:
        """Catch up with a reload, a reseed (empty) or a health change (drop what it touched).

        A reseed empties the cache too: which draws hit the cache changes how many numbers a
        query draws, so a seeded sequence of answers is reproducible only from an empty cache.
        """
        old_health = self._health
        if catalog is not self._catalog or rng is not self._rng or old_health is None:
            self._clear()
        else:
            changed = [
                check
                for check in self._by_check
                if old_health.is_healthy(check) != health.is_healthy(check)
            ]
            for check in changed:
                for key in list(self._by_check.get(check, ())):
                    self._drop(key)
        self._catalog, self._health, self._rng = catalog, health, rng

    def _clear(self) -> None:
        self._entries.clear()
        self._queue.clear()
        self._by_check.clear()
        self._checks.clear()
        self._size = 0
        self.bytes = 0


def _entry_bytes(key: bytes, entry: _Entry) -> int:
    """The bytes `store` counted for `key`'s entry (its replies included)."""
    size = _ENTRY_BYTES + len(key)
    if isinstance(entry, _PerClient):
        for client, reply in entry.replies.items():
            size += reply.weight + _CLIENT_BYTES + len(client)
    elif isinstance(entry, _Drawn):
        size += sum(reply.weight + _CLIENT_BYTES for reply in entry.replies.values())
    else:
        size += entry.weight
    return size


def _replies_in(entry: _Entry) -> int:
    if isinstance(entry, _PerClient | _Drawn):
        return len(entry.replies)
    return 1


def _is_drawn(answer: Answer) -> bool:
    return any(routed.group.policy in RANDOM_POLICIES for routed in answer.routed)


def _redrawable(answer: Answer) -> Routed | None:
    """The draw that alone made `answer`, if it can be redrawn from the cache: one decision,
    a positive answer, no alias among the members (their health is their checks')."""
    if len(answer.routed) != 1 or answer.outcome is not Outcome.ANSWER:
        return None
    routed = answer.routed[0]
    if any(member.alias is not None for member in routed.group.members):
        return None
    return routed


def _new_drawn(group: RecordGroup, health: HealthView) -> _Drawn:
    def healthy(member: RecordSet) -> bool:
        check = member.health_check_id
        return check is None or health.is_healthy(check)

    draw = DRAWS[group.policy](group, healthy)
    return _Drawn(draw, draw.outcomes(), {})


def _client_key(query: ParsedQuery, client_ip: str) -> ClientKey:
    """The ECS option's data as the query sent it (scope 0, as the reader requires)."""
    subnet = query.edns.client_subnet if query.edns is not None else None
    if subnet is not None:
        return struct.pack("!HBB", subnet.family, subnet.source_prefix, 0) + subnet.address
    return client_ip


def _compile(query: ParsedQuery, answer: Answer, question: bytes) -> CachedReply | None:
    if answer.rcode > 0xF:
        return None
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
    counts = packed.counts
    aa, rcode = answer.authoritative, answer.rcode
    flags = [reply_flags(0, aa, rcode, bool(bits & 1), bool(bits & 2)) for bits in range(4)]
    heads = tuple(  # by the query's RD | CD << 1 | OPT present << 2
        _head(flags[variant & 3], counts, variant >> 2) for variant in range(8)
    )
    sized = None
    if 12 + len(packed.body) + OPT_ROOM > UDP_PLAIN_LIMIT:  # may not fit every query's limit
        end = packed.authority_end()
        assert end is not None, "packed whole"
        answers, authority, _additional = counts
        sized = Sized(
            full=len(packed.body),
            trimmed=-1 if answer.outcome is Outcome.REFERRAL else end,
            trimmed_heads=tuple(
                _head(flags[variant & 3], (answers, authority, 0), variant >> 2)
                for variant in range(8)
            ),
            truncated_heads=tuple(
                _head(flags[variant & 3] | FLAG_TC, (0, 0, 0), variant >> 2) for variant in range(8)
            ),
        )
    bodies: tuple[bytes, ...] = ()
    if prod(factorial(len(rrset)) for rrset in rrsets) <= MAX_ORDERS:
        bodies = tuple(
            _body(question, owners, order, tail)
            for order in product(*(permutations(rrset) for rrset in rrsets))
        )
    kept = [question, tail, *bodies, *chain(*owners)]
    if not bodies:
        kept.extend(chain(*rrsets))
    records = answer.answer + answer.authority + answer.additional  # kept in `answer`
    weight = (
        _REPLY_BYTES
        + sum(len(part) + _BYTES_OBJECT for part in kept)
        + sum(_RECORD_BYTES + 2 * len(record.rdata) for record in records)
    )
    return CachedReply(
        heads=heads,
        bodies=bodies,
        question=question,
        answer_rrsets=rrsets,
        owners=owners,
        tail=tail,
        scoped=answer.location_dependent,
        answer=answer,
        stats=stats_key(answer, query.qtype),
        sized=sized,
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


def _question_bytes(query: ParsedQuery) -> bytes:
    """The question section as a reply echoes it (the name's bytes and case as sent)."""
    name = b"".join(bytes((len(label),)) + label for label in query.qname) + b"\0"
    return name + struct.pack("!HH", query.qtype, query.qclass)


def _assemble(
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
    parts = [cached.question]
    if not cached.owners:  # whole records
        for rrset in cached.answer_rrsets:
            records = list(rrset)
            rng.shuffle(records)
            parts.extend(records)
        parts.append(cached.tail)
        return b"".join(parts)
    for (first, later), rrset in zip(cached.owners, cached.answer_rrsets, strict=True):
        records = list(rrset)
        rng.shuffle(records)
        parts += (first, later.join(records))
    parts.append(cached.tail)
    return b"".join(parts)


def _assemble_sized(
    packet: bytes,
    cached: CachedReply,
    edns: int,
    subnet: bytes | None,
    rng: random.Random,
    transport: str | None,
) -> bytes | None:
    """A reply that may not fit: whole, without the additional section or truncated, as
    `wire.render` decides for the query's limit (None: the transport is not known and the
    reply would depend on it)."""
    sized = cached.sized
    assert sized is not None
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
    room = limit - 12 - len(opt)
    if sized.full <= room or 0 <= sized.trimmed <= room:
        body = _reply_body(cached, rng)
        if sized.full <= room:
            return packet[:2] + cached.heads[variant] + body + opt
        return packet[:2] + sized.trimmed_heads[variant] + body[: sized.trimmed] + opt
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
