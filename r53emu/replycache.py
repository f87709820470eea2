"""Rendered replies of answers that need no choosing, reused for the next identical question.

Rendering with dnslib costs most of a query's time (measured: tens of microseconds, against a
few for reading the query), and most questions a zone gets have one answer whatever the client:
simple records, CNAMEs, NXDOMAIN, NODATA, referrals, REFUSED. For those the first reply is
rendered as usual and its records kept as bytes; later queries with the same question (exact
name bytes, type and class) get a reply assembled from them: the query's ID, RD and CD, the
question, the records, and an OPT built for this query (payload 4096, DO copied, ECS echoed with
scope 0). Values of a record set are shuffled per reply, as the lookup does (§2.2).

What is cached: answers where every decision was simple routing (no weights, no health, no
location; alias targets included) that fit in 512 bytes with any OPT, so truncation never
applies. Each record is rendered alone after the question, so its compression pointers point
into the question only and records can be reordered. The cache belongs to one catalog: a reload
empties it. It never holds more than `MAX_ENTRIES` questions (full: emptied, then refilled).
"""

from __future__ import annotations

import random
import struct
from dataclasses import dataclass

from dnslib import DNSHeader, DNSLabel, DNSQuestion, DNSRecord

from r53emu.model import Catalog
from r53emu.names import Name
from r53emu.query import Answer, ResourceRecord
from r53emu.wire import ECS_OPTION, EDNS_PAYLOAD, OPT, UDP_PLAIN_LIMIT, ParsedQuery, rr_of

MAX_ENTRIES = 100_000
OPT_ROOM = 11 + 4 + 20  # an OPT RR with the longest ECS echo (IPv6 /128)
_COUNTS = struct.Struct("!HHHHH")
_OPT_HEAD = struct.Struct("!BHHIH")
_QR, _AA, _RD, _CD = 0x8000, 0x0400, 0x0100, 0x0010

Key = tuple[Name, int, int]


@dataclass(frozen=True, slots=True)
class CachedReply:
    """A reply's fixed parts: flags (without RD/CD), sections as record bytes, the answer."""

    flags: int
    answer_rrsets: tuple[tuple[bytes, ...], ...]  # each record set's records, shuffled per reply
    authority: bytes
    additional: bytes
    counts: tuple[int, int, int]  # ANCOUNT, NSCOUNT, ARCOUNT without OPT
    answer: Answer  # what the lookup returned (for the query log and the metrics)


class ReplyCache:
    """Replies by question for one catalog; see the module docstring."""

    def __init__(self) -> None:
        self._catalog: Catalog | None = None
        self._entries: dict[Key, CachedReply | None] = {}  # None: not cacheable

    def __len__(self) -> int:
        """How many questions have a cached reply."""
        return sum(1 for entry in self._entries.values() if entry is not None)

    def reply(
        self, query: ParsedQuery, catalog: Catalog, rng: random.Random
    ) -> tuple[bytes, Answer] | None:
        """The reply to `query` from the cache, or None (then answer it and call `store`)."""
        if catalog is not self._catalog:
            self._catalog = catalog
            self._entries.clear()
            return None
        cached = self._entries.get((query.qname, query.qtype, query.qclass))
        if cached is None:
            return None
        return _assemble(query, cached, rng), cached.answer

    def store(self, query: ParsedQuery, answer: Answer, catalog: Catalog) -> None:
        """Remember `answer` for `query`'s question if it is the same for every client."""
        if catalog is not self._catalog:
            return
        key = (query.qname, query.qtype, query.qclass)
        if key in self._entries:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = _compile(query, answer)


def _compile(query: ParsedQuery, answer: Answer) -> CachedReply | None:
    if answer.location_dependent or any(d.policy != "simple" for d in answer.why):
        return None
    if answer.rcode > 0xF:
        return None
    question = question_bytes(query)
    rrsets = tuple(
        tuple(_record_bytes(query, question, record) for record in rrset)
        for rrset in _rrsets(answer.answer)
    )
    authority = b"".join(_record_bytes(query, question, r) for r in answer.authority)
    additional = b"".join(_record_bytes(query, question, r) for r in answer.additional)
    size = 12 + len(question) + sum(map(len, (b"".join(s) for s in rrsets)))
    if size + len(authority) + len(additional) + OPT_ROOM > UDP_PLAIN_LIMIT:
        return None  # the slow path decides how to truncate
    flags = _QR | (_AA if answer.authoritative else 0) | answer.rcode
    counts = (len(answer.answer), len(answer.authority), len(answer.additional))
    return CachedReply(flags, rrsets, authority, additional, counts, answer)


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


def question_bytes(query: ParsedQuery) -> bytes:
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
        opt = _opt(query)
        additional_count += 1
    header = struct.pack("!H", query.id) + _COUNTS.pack(
        flags, 1, answers, authority_count, additional_count
    )
    return b"".join(
        (header, question_bytes(query), *parts, cached.authority, cached.additional, opt)
    )


def _opt(query: ParsedQuery) -> bytes:
    """The reply's OPT, as `wire.render` makes it for an answer that used no location."""
    assert query.edns is not None
    options = b""
    subnet = query.edns.client_subnet
    if subnet is not None:
        echo = subnet.reply_option(0)
        options = struct.pack("!HH", ECS_OPTION, len(echo)) + echo
    ttl = 0x8000 if query.edns.dnssec_ok else 0
    return _OPT_HEAD.pack(0, OPT, EDNS_PAYLOAD, ttl, len(options)) + options
