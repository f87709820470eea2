"""DNS messages <-> r53emu values: query parsing, EDNS0 (RFC 6891), ECS (RFC 7871), rendering.

`parse_query` turns bytes into a `ParsedQuery`, or a `Rejected` carrying the reply to send (if
any): unreadable packets are dropped, readable headers with a bad body get FORMERR, other opcodes
NOTIMP, EDNS versions above 0 BADVERS. `render` turns an `Answer` into a reply that fits the
client's UDP size (semantics §2.8), setting TC when it cannot.
"""

from __future__ import annotations

import functools
import ipaddress
import struct
from dataclasses import dataclass

from dnslib import RD, RR, DNSHeader, DNSLabel, DNSQuestion, DNSRecord
from dnslib.label import DNSBuffer, DNSLabelError

from r53emu.model.catalog import IPNetwork
from r53emu.model.dnsconstants import (
    CLASS_IN,
    OPTION_ECS,
    RCODE_BADVERS,
    RCODE_FORMERR,
    RCODE_NOERROR,
    RCODE_NOTIMP,
    RCODE_SERVFAIL,
    TYPE_OPT,
)
from r53emu.model.names import Name
from r53emu.model.query import Answer, Outcome, ResourceRecord

UDP_PLAIN_LIMIT = 512  # without EDNS0
EDNS_PAYLOAD = 4096  # what Route 53 advertises and accepts (semantics §2.8)
TCP_LIMIT = 65535
OPT_ROOM = 11 + 4 + 20  # the largest OPT a reply carries: one with an IPv6 /128 ECS echo
_HEADER = struct.Struct("!HHHHHH")
_OPT_HEAD = struct.Struct("!BHHIH")  # root owner, type, class (payload size), TTL, rdata length
_OPTION_HEAD = struct.Struct("!HH")
FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD, FLAG_CD = 0x8000, 0x0400, 0x0200, 0x0100, 0x0010


@dataclass(frozen=True, slots=True)
class ClientSubnet:
    """An EDNS Client Subnet option as the query sent it (RFC 7871 §6)."""

    family: int
    source_prefix: int
    address: bytes  # the significant bytes only, as on the wire

    @property
    def network(self) -> IPNetwork:
        return _network(self.family, self.source_prefix, self.address)

    @property
    def text(self) -> str:
        """The subnet as text, e.g. "198.51.100.0/24" (for the query log)."""
        return _network_text(self.family, self.source_prefix, self.address)

    def reply_option(self, scope_prefix: int) -> bytes:
        """The option data to echo, with the scope prefix this answer depended on."""
        return struct.pack("!HBB", self.family, self.source_prefix, scope_prefix) + self.address


# Clients send the same few subnets over and over: build each network (and its text) once.
@functools.lru_cache(maxsize=4096)
def _network(family: int, source_prefix: int, address: bytes) -> IPNetwork:
    size = 4 if family == 1 else 16
    packed = address.ljust(size, b"\0")
    if family == 1:
        return ipaddress.IPv4Network((packed, source_prefix))
    return ipaddress.IPv6Network((packed, source_prefix))


def subnet_network(option: bytes) -> IPNetwork:
    """The network of an ECS option's data as the fast path reads it (`quickread`: valid)."""
    return _network(int.from_bytes(option[:2]), option[2], option[4:])


@functools.lru_cache(maxsize=4096)
def _network_text(family: int, source_prefix: int, address: bytes) -> str:
    return str(_network(family, source_prefix, address))


@dataclass(frozen=True, slots=True)
class Edns:
    """The OPT record of a query: UDP payload size, version, DO bit and ECS."""

    payload: int
    version: int
    dnssec_ok: bool
    client_subnet: ClientSubnet | None


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query that can be answered: header fields to copy, the question, EDNS."""

    id: int
    opcode: int
    rd: bool
    cd: bool
    qname: Name
    qtype: int
    qclass: int
    edns: Edns | None

    def udp_limit(self) -> int:
        """Largest UDP reply: 512 without EDNS0, else the client's size capped at 4096."""
        if self.edns is None:
            return UDP_PLAIN_LIMIT
        return max(UDP_PLAIN_LIMIT, min(self.edns.payload, EDNS_PAYLOAD))


@dataclass(frozen=True, slots=True)
class Rejected:
    """A packet that gets no normal answer: the reply to send (None = drop) and why."""

    reply: bytes | None
    reason: str


def parse_query(packet: bytes) -> ParsedQuery | Rejected:
    """Read a query; never raises."""
    if len(packet) < _HEADER.size:
        return Rejected(None, "shorter than a DNS header: dropped")
    ident, flags, qdcount, _an, _ns, _ar = _HEADER.unpack_from(packet)
    opcode = (flags >> 11) & 0xF
    rd = bool(flags & 0x0100)
    if flags & 0x8000:
        return Rejected(None, "QR=1 (a response, not a query): dropped")
    if opcode != 0:
        return Rejected(header_reply(ident, opcode, rd, RCODE_NOTIMP), f"opcode {opcode}: NOTIMP")
    if qdcount != 1:
        return Rejected(header_reply(ident, opcode, rd, RCODE_FORMERR), "QDCOUNT is not 1")
    try:
        message = _read_message(packet)
    except _Malformed as exc:
        return Rejected(header_reply(ident, opcode, rd, RCODE_FORMERR), f"malformed: {exc}")
    query = ParsedQuery(
        id=ident,
        opcode=opcode,
        rd=rd,
        cd=bool(flags & 0x0010),
        qname=message.qname,
        qtype=message.qtype,
        qclass=message.qclass,
        edns=None,
    )
    if not message.opts:
        return query
    if len(message.opts) > 1:
        return Rejected(header_reply(ident, opcode, rd, RCODE_FORMERR), "more than one OPT")
    opt = message.opts[0]
    if opt.owner:
        return Rejected(header_reply(ident, opcode, rd, RCODE_FORMERR), "OPT owner is not root")
    version = (opt.ttl >> 16) & 0xFF
    dnssec_ok = bool(opt.ttl & 0x8000)
    if version != 0:
        edns = Edns(EDNS_PAYLOAD, version, dnssec_ok, None)
        reply = _badvers(query, edns)
        return Rejected(reply, f"EDNS version {version}: BADVERS")
    try:
        subnet = _client_subnet(_edns_options(opt.rdata))
    except (ValueError, _Malformed) as exc:
        return Rejected(header_reply(ident, opcode, rd, RCODE_FORMERR), f"bad OPT: {exc}")
    edns = Edns(max(opt.payload, UDP_PLAIN_LIMIT), version, dnssec_ok, subnet)
    # Built anew rather than with dataclasses.replace, which costs microseconds per query.
    return ParsedQuery(
        query.id, query.opcode, query.rd, query.cd, query.qname, query.qtype, query.qclass, edns
    )


class _Malformed(Exception):
    """The packet cannot be read as a DNS message (answered with FORMERR)."""


@dataclass(frozen=True, slots=True)
class _OptRecord:
    owner: Name
    payload: int  # the CLASS field
    ttl: int  # extended RCODE, version and flags
    rdata: bytes


@dataclass(frozen=True, slots=True)
class _Message:
    qname: Name
    qtype: int
    qclass: int
    opts: list[_OptRecord]


# The query is read here rather than by dnslib's parser, which rejects labels that are not
# UTF-8 (legal DNS: such names get NXDOMAIN or REFUSED), accepts label lengths 64-191 and names
# over 255 bytes (which then cannot be rendered), and parses rdata the server never needs.
# Bytes after the counted records are ignored.
def _read_message(packet: bytes) -> _Message:
    _ident, _flags, _qd, ancount, nscount, arcount = _HEADER.unpack_from(packet)
    qname, offset = _read_name(packet, _HEADER.size)
    qtype, qclass = _unpack("!HH", packet, offset)
    offset += 4
    for _ in range(ancount + nscount):
        _owner, _rtype, _rclass, _ttl, _rdata, offset = _read_record(packet, offset)
    opts = []
    for _ in range(arcount):
        owner, rtype, rclass, ttl, rdata, offset = _read_record(packet, offset)
        if rtype == TYPE_OPT:
            opts.append(_OptRecord(owner, rclass, ttl, rdata))
    return _Message(qname, qtype, qclass, opts)


_MAX_NAME = 255  # wire bytes, root label included (RFC 1035 §3.1)


def _read_name(packet: bytes, offset: int) -> tuple[Name, int]:
    """The name at `offset` and the offset just after it (following compression pointers).

    A pointer must go back before every byte of the name read so far (as dnspython requires),
    so loops are impossible and reading always ends.
    """
    labels: list[bytes] = []
    size = 1
    after: int | None = None
    earliest = offset
    while True:
        if offset >= len(packet):
            raise _Malformed("name runs past the end of the packet")
        length = packet[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(packet):
                raise _Malformed("compression pointer cut short")
            pointer = ((length & 0x3F) << 8) | packet[offset + 1]
            if after is None:
                after = offset + 2
            if pointer >= earliest:
                raise _Malformed(f"compression pointer to {pointer} does not point back")
            offset = earliest = pointer
            continue
        if length & 0xC0:
            raise _Malformed(f"label type {length & 0xC0:#x} is not supported")
        offset += 1
        if length == 0:
            return tuple(labels), offset if after is None else after
        label = packet[offset : offset + length]
        if len(label) < length:
            raise _Malformed("label runs past the end of the packet")
        size += length + 1
        if size > _MAX_NAME:
            raise _Malformed("name is longer than 255 bytes")
        labels.append(label)
        offset += length


def _read_record(packet: bytes, offset: int) -> tuple[Name, int, int, int, bytes, int]:
    """One resource record: owner, type, class, TTL, rdata, and the offset after it."""
    owner, offset = _read_name(packet, offset)
    rtype, rclass, ttl, rdlength = _unpack("!HHIH", packet, offset)
    offset += 10
    rdata = packet[offset : offset + rdlength]
    if len(rdata) < rdlength:
        raise _Malformed("rdata runs past the end of the packet")
    return owner, rtype, rclass, ttl, rdata, offset + rdlength


def _unpack(layout: str, packet: bytes, offset: int) -> tuple[int, ...]:
    try:
        return struct.unpack_from(layout, packet, offset)
    except struct.error:
        raise _Malformed("record runs past the end of the packet") from None


def _edns_options(rdata: bytes) -> list[tuple[int, bytes]]:
    """The (code, data) options of an OPT record's rdata (RFC 6891 §6.1.2)."""
    options = []
    offset = 0
    while offset < len(rdata):
        code, length = _unpack("!HH", rdata, offset)
        data = rdata[offset + 4 : offset + 4 + length]
        if len(data) < length:
            raise _Malformed(f"EDNS option {code} runs past the end of the OPT record")
        options.append((code, data))
        offset += 4 + length
    return options


def _client_subnet(options: list[tuple[int, bytes]]) -> ClientSubnet | None:
    """The ECS option, validated as RFC 7871 §6 requires (violations are FORMERR)."""
    found = [data for code, data in options if code == OPTION_ECS]
    if not found:
        return None
    if len(found) > 1:
        raise ValueError("more than one ECS option")
    data = found[0]
    if len(data) < 4:
        raise ValueError("option shorter than 4 bytes")
    family, source, scope = struct.unpack_from("!HBB", data)
    address = data[4:]
    if family not in (1, 2):
        raise ValueError(f"unknown address family {family}")
    bits = 32 if family == 1 else 128
    if source > bits:
        raise ValueError(f"source prefix {source} is longer than {bits}")
    if scope != 0:
        raise ValueError("scope prefix must be 0 in a query")
    if len(address) != (source + 7) // 8:
        raise ValueError(f"{len(address)} address bytes for a /{source} prefix")
    if source % 8 and address and address[-1] & (0xFF >> (source % 8)):
        raise ValueError("address has bits set beyond the source prefix")
    return ClientSubnet(family, source, address)


def reply_flags(opcode: int, authoritative: bool, rcode: int, rd: bool, cd: bool) -> int:
    """A reply's header flags (§2.1, §2.8): QR, the query's opcode, AA for authoritative
    answers, RD and CD copied from the query, RA and AD never set (not a resolver, no DNSSEC),
    the rcode's low four bits. The slow path and the reply cache both take them from here."""
    return (
        FLAG_QR
        | (opcode << 11)
        | (FLAG_AA if authoritative else 0)
        | (FLAG_RD if rd else 0)
        | (FLAG_CD if cd else 0)
        | (rcode & 0xF)
    )


def reply_opt(dnssec_ok: bool, ecs: bytes | None = None, rcode: int = RCODE_NOERROR) -> bytes:
    """A reply's OPT record (§2.8): payload 4096, the rcode's upper bits, version 0, DO copied
    and the other flags cleared, and the ECS option's data `ecs` (family, source prefix, scope,
    address) when the query sent one. The slow path and the reply cache both take it from here.
    """
    ttl = ((rcode >> 4) << 24) | (0x8000 if dnssec_ok else 0)
    option = b"" if ecs is None else _OPTION_HEAD.pack(OPTION_ECS, len(ecs)) + ecs
    return _OPT_HEAD.pack(0, TYPE_OPT, EDNS_PAYLOAD, ttl, len(option)) + option


def header_reply(ident: int, opcode: int, rd: bool, rcode: int) -> bytes:
    """A header-only reply (FORMERR, NOTIMP): ID and opcode copied, QR set, no sections. RD is
    copied for QUERY only: RFC 1035 defines it for queries, and other opcodes (NOTIFY, UPDATE,
    ...) get it clear (ISC's DNS compliance test `opcodeflg` checks this)."""
    flags = reply_flags(opcode, False, rcode, rd and opcode == 0, False)
    return _HEADER.pack(ident, flags, 0, 0, 0, 0)


def render_whole(query: ParsedQuery, answer: Answer, limit: int) -> tuple[bytes, Packed]:
    """`render`'s reply, from the whole answer packed (returned too): what the reply cache
    keeps is made from the same packing, so a reply it will learn is packed once."""
    opt = b"" if query.edns is None else _opt(query.edns, answer)
    flags = reply_flags(query.opcode, answer.authoritative, answer.rcode, query.rd, query.cd)
    packed = pack_sections(query, answer)
    return reply_of(packed, query.id, flags, answer, limit, opt), packed


def render(query: ParsedQuery, answer: Answer, limit: int) -> bytes:
    """The reply for `answer`, at most `limit` bytes.

    When it does not fit, the additional section is dropped first (it is optional, except glue
    in a referral); if it still does not fit, the reply keeps only question and OPT, with TC=1.

    The message is packed once, record by record, and only until it outgrows `limit`: the
    reply without the additional section is the packed message cut after the authority section
    (compression pointers only point back), and the truncated one the header and the question.
    """
    opt = b"" if query.edns is None else _opt(query.edns, answer)
    flags = reply_flags(query.opcode, answer.authoritative, answer.rcode, query.rd, query.cd)
    packed = pack_sections(query, answer, limit - len(opt))
    return reply_of(packed, query.id, flags, answer, limit, opt)


@dataclass(frozen=True, slots=True)
class Packed:
    """A reply packed by dnslib without its OPT, as far as it was packed: the bytes after the
    header (question, then the records), where the question ends in them and where each record
    packed ends, and the three section counts."""

    body: bytes
    question_end: int
    ends: tuple[int, ...]
    counts: tuple[int, int, int]
    # The pointers into the question's name, as (where in `body`, the offset in `body` they
    # point at): `sharedreplies` shares a reply between names only where none would change.
    question_pointers: tuple[tuple[int, int], ...] = ()

    @property
    def complete(self) -> bool:
        return len(self.ends) == sum(self.counts)

    def authority_end(self) -> int | None:
        """Where the authority section ends (None: not packed so far)."""
        before = self.counts[0] + self.counts[1]
        if before == 0:
            return self.question_end
        return self.ends[before - 1] if len(self.ends) >= before else None


def pack_sections(query: ParsedQuery, answer: Answer, room: int | None = None) -> Packed:
    """The question and the records of `answer` as dnslib packs them in one message (the bytes
    `_message` makes after the header), stopping after the first record that takes the message
    past `room` bytes (None: pack everything). The names of the records not packed are checked
    as dnslib would check them, so that a reply fails exactly where packing it whole would."""
    buffer = _CompressingBuffer()
    buffer.pack("!HHHHHH", 0, 0, 0, 0, 0, 0)  # the header, made by the caller
    DNSQuestion(DNSLabel(query.qname), query.qtype, query.qclass).pack(buffer)
    question_end = buffer.offset - _HEADER.size
    records = answer.answer + answer.authority + answer.additional
    ends: list[int] = []
    for position, record in enumerate(records):
        rr_of(record).pack(buffer)
        ends.append(buffer.offset - _HEADER.size)
        if room is not None and buffer.offset > room:
            for name in {later.name for later in records[position + 1 :]}:
                _check_name(name)
            break
    counts = (len(answer.answer), len(answer.authority), len(answer.additional))
    pointers = tuple(
        (offset - _HEADER.size, target - _HEADER.size)
        for offset, target in buffer.early_pointers
        if target < _HEADER.size + question_end
    )
    body = bytes(buffer.data[_HEADER.size :])
    return Packed(body, question_end, tuple(ends), counts, pointers)


MAX_POINTER = 0x3FFF  # a compression pointer holds a 14-bit offset (RFC 1035 §4.1.4)
_EARLY = 12 + 256  # past the header and the longest question name


class _CompressingBuffer(DNSBuffer):  # type: ignore[misc]
    """dnslib's buffer, but a name is remembered for compression only where a pointer can
    reach it. dnslib remembered every offset, and past 16 KB (a large answer over TCP) wrote
    pointers cut to 14 bits: owner names that pointed elsewhere, or nowhere readable."""

    # Pointers written to the first 268 bytes (the header and a question's name at most),
    # as (where, the offset pointed at).
    early_pointers: list[tuple[int, int]]

    def __init__(self) -> None:
        super().__init__()
        self.early_pointers = []

    def encode_name(self, name: DNSLabel | Name) -> None:
        label = name if isinstance(name, DNSLabel) else DNSLabel(name)
        if len(label) > 253:
            raise DNSLabelError(f"Domain label too long: {label!r}")
        labels = list(label.label)
        while labels:
            key = tuple(labels)
            pointer = self.names.get(key)
            if pointer is not None:
                if pointer < _EARLY:
                    self.early_pointers.append((self.offset, pointer))
                self.pack("!H", 0xC000 | pointer)
                return
            if self.offset <= MAX_POINTER:
                self.names[key] = self.offset
            element = labels.pop(0)
            if len(element) > 63:
                raise DNSLabelError(f"Label component too long: {element!r}")
            self.pack("!B", len(element))
            self.append(element)
        self.append(b"\x00")


def _check_name(name: Name) -> None:
    """Raise as dnslib's `encode_name` would for `name` (the only check packing a record makes
    that can fail for a name the lookup produced)."""
    label = DNSLabel(name)
    if len(label) > 253:
        raise DNSLabelError(f"Domain label too long: {label!r}")


def reply_of(
    packed: Packed, ident: int, flags: int, answer: Answer, limit: int, opt: bytes
) -> bytes:
    """The reply `render` sends from the packed sections: whole, without the additional
    section (not for a referral, whose glue it is), else truncated, whichever fits `limit`
    first; `flags` without TC, `opt` the reply's OPT record (b"": none)."""
    answers, authority, additional = packed.counts
    with_opt = 1 if opt else 0
    room = limit - _HEADER.size - len(opt)
    body = packed.body
    if packed.complete and len(body) <= room:
        return _HEADER.pack(ident, flags, 1, answers, authority, additional + with_opt) + body + opt
    if answer.outcome is not Outcome.REFERRAL:
        end = packed.authority_end()
        if end is not None and end <= room:
            head = _HEADER.pack(ident, flags, 1, answers, authority, with_opt)
            return head + body[:end] + opt
    head = _HEADER.pack(ident, flags | FLAG_TC, 1, 0, 0, with_opt)
    return head + body[: packed.question_end] + opt


# The answer to a query that failed inside r53emu (no section; the query log records its rcode).
SERVFAIL_ANSWER = Answer(outcome=Outcome.REFUSED, rcode=RCODE_SERVFAIL, authoritative=False)


def servfail(query: ParsedQuery) -> bytes:
    """SERVFAIL for an internal error, question echoed (header only if even that fails)."""
    try:
        return _message(query, SERVFAIL_ANSWER, (), (), ())
    except Exception:  # the caller has logged the original error; a reply must still go out
        return header_reply(query.id, query.opcode, query.rd, RCODE_SERVFAIL)


def _badvers(query: ParsedQuery, edns: Edns) -> bytes:
    failure = Answer(outcome=Outcome.REFUSED, rcode=RCODE_BADVERS, authoritative=False)
    return _message(query, failure, (), (), (), edns=edns)


def _message(
    query: ParsedQuery,
    answer: Answer,
    answers: tuple[ResourceRecord, ...],
    authority: tuple[ResourceRecord, ...],
    additional: tuple[ResourceRecord, ...],
    edns: Edns | None = None,
) -> bytes:
    flags = reply_flags(query.opcode, answer.authoritative, answer.rcode, query.rd, query.cd)
    message = DNSRecord(
        header=DNSHeader(id=query.id, bitmap=flags),
        q=DNSQuestion(DNSLabel(query.qname), query.qtype, query.qclass),
    )
    message.rr = [rr_of(record) for record in answers]
    message.auth = [rr_of(record) for record in authority]
    message.ar = [rr_of(record) for record in additional]
    packed = bytes(message.pack())
    edns = edns or query.edns
    if edns is None:
        return packed
    # The OPT goes last in the additional section; it has the root as owner, so nothing
    # before it changes when it is appended and counted.
    arcount = len(message.ar) + 1
    return packed[:10] + arcount.to_bytes(2, "big") + packed[12:] + _opt(edns, answer)


def rr_of(record: ResourceRecord) -> RR:
    """A record as dnslib renders it (its rdata already in wire form)."""
    return RR(
        rname=DNSLabel(record.name),
        rtype=record.rtype,
        rclass=CLASS_IN,
        ttl=record.ttl,
        rdata=RD(record.rdata),
    )


def _opt(edns: Edns, answer: Answer) -> bytes:
    subnet = edns.client_subnet
    ecs = None
    if subnet is not None:
        # Scope: the source prefix when the answer used the location, else 0. Route 53's real
        # scope values are UNCONFIRMED (semantics §2.9); this is the book's recommendation.
        scope = subnet.source_prefix if answer.location_dependent else 0
        ecs = subnet.reply_option(scope)
    return reply_opt(edns.dnssec_ok, ecs, answer.rcode)
