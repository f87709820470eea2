"""Rendered replies, reused for the next identical question: the fast path.

Looking up and rendering with dnslib cost most of a query's time (measured: tens to hundreds of
microseconds, against a few for a reply made of kept bytes). The first reply to a question is
made by the slow path (strict reader, lookup, dnslib) and its records kept as bytes; later
queries whose question is the same bytes (name as sent, type, class) are read by hand
(`r53emu.server.quickread`) and answered from them: the query's ID, then flags and counts for
its RD, CD and EDNS (precomputed), the question and the records, and an OPT made for this query
(payload 4096, DO copied, ECS echoed). Values of a record set come in random order (§2.2):
where they have at most `MAX_ORDERS` orders, every order's bytes are kept and one is picked per
reply; otherwise the records are shuffled per reply.

What is cached: answers that fit in 512 bytes with any OPT, so truncation never applies. An
answer that used the client's location (geolocation, latency, geoproximity, IP-based) is kept
per client (its ECS option's family, prefix and address, else its address) and echoes ECS with
the source prefix as scope, as `wire.render` does. An answer drawn at random (weighted,
multivalue: one decision, no alias among the record sets) is kept per outcome: the group's
`Draw` (answer.routing, worked out once for the health of its members) picks per query, making
the same generator calls as the policy, and the reply of the record sets it drew is used. While
some outcome is not cached yet, the generator's state is saved before picking and restored on a
miss, so that the lookup then draws the same outcome and none is favoured. Other random answers
(aliases into weighted trees) are not cached. Each record is rendered alone after the question,
so its compression pointers point into the question only and records can be reordered.

The cache belongs to one catalog and one random generator: a reload or a reseed empties it. A
health change drops only the questions whose answers consulted a check that changed (each
stored answer records the checks its lookup asked about). It never holds more than
`MAX_ENTRIES` replies (full: emptied, then refilled).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, permutations, product
from math import factorial, prod
from typing import cast

from dnslib import DNSHeader, DNSLabel, DNSQuestion, DNSRecord

from r53emu.answer.routing import DRAWS, Draw
from r53emu.health.snapshot import HealthView
from r53emu.model.catalog import Catalog, RecordGroup, RecordSet
from r53emu.model.query import Answer, Outcome, ResourceRecord, Routed
from r53emu.server.querystats import StatsKey, stats_key
from r53emu.server.quickread import NO_EDNS, read_query
from r53emu.server.wire import (
    UDP_PLAIN_LIMIT,
    ParsedQuery,
    reply_flags,
    reply_opt,
    rr_of,
)

MAX_ENTRIES = 100_000
MAX_ORDERS = 6  # value orders kept as bytes per reply (3 values); more are shuffled per reply
RANDOM_POLICIES = frozenset(DRAWS)  # their answers are drawn per query
OPT_ROOM = 11 + 4 + 20  # an OPT RR with the longest ECS echo (IPv6 /128)
_HEAD = struct.Struct("!HHHHH")  # flags and the four counts
_BARE_OPTS = (reply_opt(dnssec_ok=False), reply_opt(dnssec_ok=True))  # by the query's DO

ClientKey = bytes | str  # the ECS option's data (scope 0), else the client's address
DrawKey = tuple[int, ...]  # the positions, in the group, of the record sets drawn, sorted


@dataclass(frozen=True, slots=True)
class CachedReply:
    """A reply's fixed parts, by what varies per query. The question is the same for every
    query the reply serves (it is the cache key)."""

    heads: tuple[bytes, ...]  # flags and counts, by RD | CD << 1 | OPT present << 2
    bodies: tuple[bytes, ...]  # question and sections, one per order of the values; () = many
    question: bytes
    answer_rrsets: tuple[tuple[bytes, ...], ...]  # each record set's records (when shuffled)
    tail: bytes  # authority and additional sections
    scoped: bool  # the location chose: ECS echoed with the source prefix as scope
    answer: Answer  # what the lookup returned (for the query log)
    stats: StatsKey  # what the metrics count it as


@dataclass(slots=True)
class _PerClient:
    """The replies to one location-dependent question, by client."""

    replies: dict[ClientKey, CachedReply]


@dataclass(slots=True)
class _Drawn:
    """The replies to one question answered by a random draw, by the record sets drawn."""

    draw: Draw
    outcomes: int  # how many different draws are possible
    replies: dict[DrawKey, CachedReply]

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


_Entry = CachedReply | _PerClient | _Drawn | None


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

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._health: HealthView | None = None
        self._rng: random.Random | None = None
        # None: the question's answer is too big, or drawn in a way not cached: never cached.
        self._entries: dict[bytes, _Entry] = {}
        self._by_check: dict[str, set[bytes]] = {}  # the questions whose answers asked about it
        self._size = 0

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
    ) -> tuple[bytes, CachedReply] | None:
        """The reply to `packet` from the cache, or None: then the slow path answers it (and
        calls `store`)."""
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
        elif kind is _PerClient:
            per_client = cast(_PerClient, entry)
            cached = per_client.replies.get(subnet if subnet is not None else client_ip)
        elif kind is _Drawn:
            cached = cast(_Drawn, entry).redraw(rng)
        else:
            return None
        if cached is None:
            return None
        return _assemble(packet, cached, edns, subnet, rng), cached

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
        (see the module docstring for what is kept)."""
        if catalog is not self._catalog or health is not self._health:
            return
        if self._size >= MAX_ENTRIES:
            self._clear()
        key = _question_bytes(query)
        existing = self._entries.get(key)
        if key in self._entries and not isinstance(existing, _PerClient | _Drawn):
            return  # cached already, or never cacheable
        is_drawn = _is_drawn(answer)
        drawn = _redrawable(answer) if is_drawn else None
        compiled = None if is_drawn and drawn is None else _compile(query, answer, key)
        if compiled is None:
            if key not in self._entries:
                # Never cached, until a check it asked about changes (its answer may shrink).
                self._entries[key] = None
                self._depends_on(key, checks)
            return
        if drawn is not None:
            entry = existing if isinstance(existing, _Drawn) else _new_drawn(drawn.group, health)
            entry.replies[drawn.chosen] = compiled
            self._entries[key] = entry
        elif answer.location_dependent:
            per_client = existing if isinstance(existing, _PerClient) else _PerClient({})
            self._entries[key] = per_client
            per_client.replies[_client_key(query, client_ip)] = compiled
        else:
            self._entries[key] = compiled
        self._depends_on(key, checks)
        self._size += 1

    def _depends_on(self, key: bytes, checks: set[str]) -> None:
        for check in checks:
            self._by_check.setdefault(check, set()).add(key)

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
                for key in self._by_check.pop(check):
                    self._size -= _replies_in(self._entries.pop(key, None))
        self._catalog, self._health, self._rng = catalog, health, rng

    def _clear(self) -> None:
        self._entries.clear()
        self._by_check.clear()
        self._size = 0


def _replies_in(entry: _Entry) -> int:
    if isinstance(entry, _PerClient | _Drawn):
        return len(entry.replies)
    return 0 if entry is None else 1


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
    rrsets = tuple(
        tuple(_record_bytes(query, question, record) for record in rrset)
        for rrset in _rrsets(answer.answer)
    )
    tail = b"".join(_record_bytes(query, question, r) for r in answer.authority + answer.additional)
    size = 12 + len(question) + sum(len(record) for rrset in rrsets for record in rrset)
    if size + len(tail) + OPT_ROOM > UDP_PLAIN_LIMIT:
        return None  # the slow path decides how to truncate
    counts = (len(answer.answer), len(answer.authority), len(answer.additional))
    aa, rcode = answer.authoritative, answer.rcode
    heads = tuple(  # by the query's RD | CD << 1 | OPT present << 2
        _head(reply_flags(0, aa, rcode, bool(variant & 1), bool(variant & 2)), counts, variant >> 2)
        for variant in range(8)
    )
    bodies: tuple[bytes, ...] = ()
    if prod(factorial(len(rrset)) for rrset in rrsets) <= MAX_ORDERS:
        orders = product(*(permutations(rrset) for rrset in rrsets))
        bodies = tuple(question + b"".join(chain(*order)) + tail for order in orders)
    return CachedReply(
        heads=heads,
        bodies=bodies,
        question=question,
        answer_rrsets=rrsets,
        tail=tail,
        scoped=answer.location_dependent,
        answer=answer,
        stats=stats_key(answer, query.qtype),
    )


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


def _record_bytes(query: ParsedQuery, question: bytes, record: ResourceRecord) -> bytes:
    """One record as dnslib renders it right after the question: its names are compressed
    against the question only, so the bytes stay valid wherever the record is placed."""
    message = DNSRecord(
        header=DNSHeader(id=0),
        q=DNSQuestion(DNSLabel(query.qname), query.qtype, query.qclass),
    )
    message.rr = [rr_of(record)]
    return bytes(message.pack())[12 + len(question) :]


def _question_bytes(query: ParsedQuery) -> bytes:
    """The question section as a reply echoes it (the name's bytes and case as sent)."""
    name = b"".join(bytes((len(label),)) + label for label in query.qname) + b"\0"
    return name + struct.pack("!HH", query.qtype, query.qclass)


def _assemble(
    packet: bytes, cached: CachedReply, edns: int, subnet: bytes | None, rng: random.Random
) -> bytes:
    variant = (packet[2] & 1) | ((packet[3] & 0x10) >> 3)
    bodies = cached.bodies
    if len(bodies) == 1:
        body = bodies[0]
    elif bodies:
        body = rng.choice(bodies)
    else:
        body = _shuffled(cached, rng)
    if edns == NO_EDNS:
        return packet[:2] + cached.heads[variant] + body
    return packet[:2] + cached.heads[variant | 4] + body + _opt(edns, subnet, cached.scoped)


def _shuffled(cached: CachedReply, rng: random.Random) -> bytes:
    parts = [cached.question]
    for rrset in cached.answer_rrsets:
        records = list(rrset)
        rng.shuffle(records)
        parts.extend(records)
    parts.append(cached.tail)
    return b"".join(parts)


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
