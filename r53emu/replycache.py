"""Rendered replies, reused for the next identical question (the first step of the fast path).

Looking up and rendering with dnslib cost most of a query's time (measured: tens to hundreds of
microseconds, against a few for reading the query). The first reply to a question is made as
usual and its records kept as bytes; later queries with the same question (exact name bytes,
type and class) get a reply assembled from them: the query's ID, RD and CD, the question, the
records, and an OPT built for this query (payload 4096, DO copied, ECS echoed with scope 0).
Values of a record set are shuffled per reply, as the lookup does (§2.2).

What is cached: answers that fit in 512 bytes with any OPT, so truncation never applies. An
answer that used the client's location (geolocation, latency, geoproximity, IP-based) is kept
per client (its EDNS Client Subnet, else its address) and echoes ECS with the source prefix as
scope, as `wire.render` does. An answer drawn at random (weighted, multivalue: one decision, no
alias among the record sets) is kept per outcome: a later query runs the group's own policy
function, as the lookup would, and takes the reply of the record sets it drew; a draw not seen
yet is made again by the lookup, the generator rewound, so no outcome is favoured. Other random
answers (aliases into weighted trees) are not cached. Each record is rendered alone after the
question, so its compression pointers point into the question only and records can be
reordered. The cache belongs to one catalog, one health snapshot and one random generator: a
reload, any health change or a reseed empties it. It never holds more than `MAX_ENTRIES` replies
(full: emptied, then refilled).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

from dnslib import DNSHeader, DNSLabel, DNSQuestion, DNSRecord

from r53emu.health import HealthView
from r53emu.model import Catalog, RecordGroup, RecordSet
from r53emu.names import Name
from r53emu.query import Answer, Outcome, QueryContext, ResourceRecord
from r53emu.routing import POLICIES
from r53emu.routing.base import RoutingContext
from r53emu.wire import ECS_OPTION, EDNS_PAYLOAD, OPT, UDP_PLAIN_LIMIT, ParsedQuery, rr_of

MAX_ENTRIES = 100_000
RANDOM_POLICIES = frozenset({"weighted", "multivalue"})  # their answers are drawn per query
OPT_ROOM = 11 + 4 + 20  # an OPT RR with the longest ECS echo (IPv6 /128)
_COUNTS = struct.Struct("!HHHHH")
_OPT_HEAD = struct.Struct("!BHHIH")
_QR, _AA, _RD, _CD = 0x8000, 0x0400, 0x0100, 0x0010

Key = tuple[Name, int, int]
ClientKey = tuple[object, ...]  # the ECS option's family, prefix and address, else the address
DrawKey = tuple[int, ...]  # the positions, in the group, of the record sets drawn


@dataclass(frozen=True, slots=True)
class CachedReply:
    """A reply's fixed parts: flags (without RD/CD), question, sections as record bytes, the
    answer. The question is the same for every query the reply serves (it is the cache key)."""

    flags: int
    question: bytes
    answer_rrsets: tuple[tuple[bytes, ...], ...]  # each record set's records, shuffled per reply
    authority: bytes
    additional: bytes
    counts: tuple[int, int, int]  # ANCOUNT, NSCOUNT, ARCOUNT without OPT
    answer: Answer  # what the lookup returned (for the query log and the metrics)


@dataclass(slots=True)
class _PerClient:
    """The replies to one location-dependent question, by client."""

    replies: dict[ClientKey, CachedReply]


@dataclass(slots=True)
class _Drawn:
    """The replies to one question answered by a random draw, by the record sets drawn."""

    group: RecordGroup
    context: QueryContext
    replies: dict[DrawKey, CachedReply]

    def draw(self, rng: random.Random, health: HealthView) -> DrawKey:
        """Draw as the lookup does: the group's policy, members healthy per their checks."""

        def healthy(member: RecordSet) -> bool:
            check = member.health_check_id
            return check is None or health.is_healthy(check)

        routing = RoutingContext(self.context, rng, healthy)
        selection = POLICIES[self.group.policy](self.group, routing)
        return _draw_key(self.group, {member.label for member in selection.chosen})


class ReplyCache:
    """Replies by question (and by client or outcome where the location or a draw chose) for
    one catalog, health snapshot and random generator; see the module docstring."""

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._health: HealthView | None = None
        self._rng: random.Random | None = None
        # None: the question's answer is too big, or drawn in a way not cached: never cached.
        self._entries: dict[Key, CachedReply | _PerClient | _Drawn | None] = {}
        self._size = 0

    def __len__(self) -> int:
        """How many replies are cached."""
        return self._size

    def reply(
        self,
        query: ParsedQuery,
        client_ip: str,
        catalog: Catalog,
        health: HealthView,
        rng: random.Random,
    ) -> tuple[bytes, Answer] | None:
        """The reply to `query` from the cache, or None (then answer it and call `store`)."""
        if catalog is not self._catalog or health is not self._health or rng is not self._rng:
            # A new random generator (a reseed) empties it too: which draws hit the cache
            # changes how many numbers a query draws, so a seeded sequence of answers is
            # reproducible only from an empty cache.
            self._catalog, self._health, self._rng = catalog, health, rng
            self._entries.clear()
            self._size = 0
            return None
        cached = self._entries.get((query.qname, query.qtype, query.qclass))
        if isinstance(cached, _PerClient):
            cached = cached.replies.get(_client_key(query, client_ip))
        elif isinstance(cached, _Drawn):
            # A draw not cached yet must be the one the lookup then makes, or outcomes already
            # cached would be favoured: rewind the generator so that the lookup draws it again.
            state = rng.getstate()
            cached = cached.replies.get(cached.draw(rng, health))
            if cached is None:
                rng.setstate(state)
        if cached is None:
            return None
        return _assemble(query, cached, rng), cached.answer

    def store(
        self,
        query: ParsedQuery,
        client_ip: str,
        answer: Answer,
        catalog: Catalog,
        health: HealthView,
    ) -> None:
        """Remember `answer` for `query` (see the module docstring for what is kept)."""
        if catalog is not self._catalog or health is not self._health:
            return
        if self._size >= MAX_ENTRIES:
            self._entries.clear()
            self._size = 0
        key = (query.qname, query.qtype, query.qclass)
        existing = self._entries.get(key)
        if key in self._entries and not isinstance(existing, _PerClient | _Drawn):
            return  # cached already, or never cacheable
        compiled = _compile(query, answer)
        drawn = _drawn_group(answer, catalog) if _is_drawn(answer) else None
        if compiled is None or (_is_drawn(answer) and drawn is None):
            if existing is None:
                self._entries[key] = None
            return
        if drawn is not None:
            entry = existing if isinstance(existing, _Drawn) else None
            if entry is None:
                entry = _Drawn(drawn, QueryContext(query.qname, query.qtype), {})
            entry.replies[_draw_key(drawn, set(answer.why[0].chosen))] = compiled
            self._entries[key] = entry
        elif answer.location_dependent:
            per_client = existing if isinstance(existing, _PerClient) else _PerClient({})
            self._entries[key] = per_client
            per_client.replies[_client_key(query, client_ip)] = compiled
        else:
            self._entries[key] = compiled
        self._size += 1


def _is_drawn(answer: Answer) -> bool:
    return any(decision.policy in RANDOM_POLICIES for decision in answer.why)


def _drawn_group(answer: Answer, catalog: Catalog) -> RecordGroup | None:
    """The group whose draw alone made `answer`, if it can be redrawn from the cache: one
    decision, a positive answer, no alias among the members (their health is their checks')."""
    if len(answer.why) != 1 or answer.outcome is not Outcome.ANSWER or answer.zone is None:
        return None
    decision = answer.why[0]
    zone = catalog.zones.get(answer.zone)
    group = zone.group(decision.name, decision.rtype) if zone is not None else None
    if group is None or any(member.alias is not None for member in group.members):
        return None
    return group


def _draw_key(group: RecordGroup, labels: set[str]) -> DrawKey:
    """Positions of the members drawn; their order does not matter (values are shuffled)."""
    return tuple(index for index, member in enumerate(group.members) if member.label in labels)


def _client_key(query: ParsedQuery, client_ip: str) -> ClientKey:
    subnet = query.edns.client_subnet if query.edns is not None else None
    if subnet is not None:
        return (subnet.family, subnet.source_prefix, subnet.address)
    return (client_ip,)


def _compile(query: ParsedQuery, answer: Answer) -> CachedReply | None:
    if answer.rcode > 0xF:
        return None
    question = _question_bytes(query)
    rrsets = tuple(
        tuple(_record_bytes(query, question, record) for record in rrset)
        for rrset in _rrsets(answer.answer)
    )
    authority = b"".join(_record_bytes(query, question, r) for r in answer.authority)
    additional = b"".join(_record_bytes(query, question, r) for r in answer.additional)
    size = 12 + len(question) + sum(len(record) for rrset in rrsets for record in rrset)
    if size + len(authority) + len(additional) + OPT_ROOM > UDP_PLAIN_LIMIT:
        return None  # the slow path decides how to truncate
    flags = _QR | (_AA if answer.authoritative else 0) | answer.rcode
    counts = (len(answer.answer), len(answer.authority), len(answer.additional))
    return CachedReply(flags, question, rrsets, authority, additional, counts, answer)


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


def _assemble(query: ParsedQuery, cached: CachedReply, rng: random.Random) -> bytes:
    flags = cached.flags | (_RD if query.rd else 0) | (_CD if query.cd else 0)
    answers, authority_count, additional_count = cached.counts
    parts = []
    for rrset in cached.answer_rrsets:
        if len(rrset) > 1:
            shuffled = list(rrset)
            rng.shuffle(shuffled)
            parts.extend(shuffled)
        else:
            parts.append(rrset[0])
    opt = b""
    if query.edns is not None:
        opt = _opt(query, cached.answer.location_dependent)
        additional_count += 1
    header = struct.pack("!H", query.id) + _COUNTS.pack(
        flags, 1, answers, authority_count, additional_count
    )
    return b"".join((header, cached.question, *parts, cached.authority, cached.additional, opt))


def _opt(query: ParsedQuery, location_dependent: bool) -> bytes:
    """The reply's OPT, as `wire.render` makes it: ECS scope is the source prefix when the
    location chose the answer, else 0."""
    assert query.edns is not None
    options = b""
    subnet = query.edns.client_subnet
    if subnet is not None:
        echo = subnet.reply_option(subnet.source_prefix if location_dependent else 0)
        options = struct.pack("!HH", ECS_OPTION, len(echo)) + echo
    ttl = 0x8000 if query.edns.dnssec_ok else 0
    return _OPT_HEAD.pack(0, OPT, EDNS_PAYLOAD, ttl, len(options)) + options
