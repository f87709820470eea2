"""DNS messages <-> r53emu values: query parsing, EDNS0 (RFC 6891), ECS (RFC 7871), rendering.

`parse_query` turns bytes into a `ParsedQuery`, or a `Rejected` carrying the reply to send (if
any): unreadable packets are dropped, readable headers with a bad body get FORMERR, other opcodes
NOTIMP, EDNS versions above 0 BADVERS. `render` turns an `Answer` into a reply that fits the
client's UDP size (semantics §2.8), setting TC when it cannot.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, replace

from dnslib import RD, RR, DNSHeader, DNSLabel, DNSQuestion, DNSRecord, EDNSOption

from r53emu.names import Name
from r53emu.query import (
    RCODE_BADVERS,
    RCODE_FORMERR,
    RCODE_NOTIMP,
    RCODE_SERVFAIL,
    Answer,
    IPNetwork,
    Outcome,
    ResourceRecord,
)

OPT = 41
ECS_OPTION = 8
CLASS_IN = 1
UDP_PLAIN_LIMIT = 512  # without EDNS0
EDNS_PAYLOAD = 4096  # what Route 53 advertises and accepts (semantics §2.8)
TCP_LIMIT = 65535
_HEADER = struct.Struct("!HHHHHH")


@dataclass(frozen=True, slots=True)
class ClientSubnet:
    """An EDNS Client Subnet option as the query sent it (RFC 7871 §6)."""

    family: int
    source_prefix: int
    address: bytes  # the significant bytes only, as on the wire

    @property
    def network(self) -> IPNetwork:
        size = 4 if self.family == 1 else 16
        packed = self.address.ljust(size, b"\0")
        if self.family == 1:
            return ipaddress.IPv4Network((packed, self.source_prefix))
        return ipaddress.IPv6Network((packed, self.source_prefix))

    def reply_option(self, scope_prefix: int) -> bytes:
        """The option data to echo, with the scope prefix this answer depended on."""
        return struct.pack("!HBB", self.family, self.source_prefix, scope_prefix) + self.address


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
        message = DNSRecord.parse(packet)
    except Exception as exc:  # dnslib raises DNSError, struct.error, UnicodeError, ...
        return Rejected(header_reply(ident, opcode, rd, RCODE_FORMERR), f"unparseable: {exc}")
    question = message.q
    query = ParsedQuery(
        id=ident,
        opcode=opcode,
        rd=rd,
        cd=bool(flags & 0x0010),
        qname=tuple(question.qname.label),
        qtype=question.qtype,
        qclass=question.qclass,
        edns=None,
    )
    opts = [rr for rr in message.ar if rr.rtype == OPT]
    if not opts:
        return query
    if len(opts) > 1:
        return Rejected(header_reply(ident, opcode, rd, RCODE_FORMERR), "more than one OPT")
    opt = opts[0]
    if tuple(opt.rname.label):
        return Rejected(header_reply(ident, opcode, rd, RCODE_FORMERR), "OPT owner is not root")
    version = (opt.ttl >> 16) & 0xFF
    dnssec_ok = bool(opt.ttl & 0x8000)
    if version != 0:
        edns = Edns(EDNS_PAYLOAD, version, dnssec_ok, None)
        reply = _badvers(query, edns)
        return Rejected(reply, f"EDNS version {version}: BADVERS")
    try:
        subnet = _client_subnet(opt.rdata)
    except ValueError as exc:
        return Rejected(header_reply(ident, opcode, rd, RCODE_FORMERR), f"bad ECS: {exc}")
    edns = Edns(max(opt.rclass, UDP_PLAIN_LIMIT), version, dnssec_ok, subnet)
    return replace(query, edns=edns)


def _client_subnet(options: list[EDNSOption]) -> ClientSubnet | None:
    """The ECS option, validated as RFC 7871 §6 requires (violations are FORMERR)."""
    found = [option for option in options if option.code == ECS_OPTION]
    if not found:
        return None
    if len(found) > 1:
        raise ValueError("more than one ECS option")
    data = bytes(found[0].data)
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


def header_reply(ident: int, opcode: int, rd: bool, rcode: int) -> bytes:
    """A header-only reply (FORMERR, NOTIMP): ID, opcode and RD copied, QR set, no sections."""
    flags = 0x8000 | (opcode << 11) | (0x0100 if rd else 0) | (rcode & 0xF)
    return _HEADER.pack(ident, flags, 0, 0, 0, 0)


def render(query: ParsedQuery, answer: Answer, limit: int) -> bytes:
    """The reply for `answer`, at most `limit` bytes.

    When it does not fit, the additional section is dropped first (it is optional, except glue
    in a referral); if it still does not fit, the reply keeps only question and OPT, with TC=1.
    """
    full = _message(query, answer, answer.answer, answer.authority, answer.additional)
    packed = full.pack()
    if len(packed) <= limit:
        return bytes(packed)
    if answer.outcome is not Outcome.REFERRAL:
        trimmed = _message(query, answer, answer.answer, answer.authority, ()).pack()
        if len(trimmed) <= limit:
            return bytes(trimmed)
    truncated = _message(query, answer, (), (), ())
    truncated.header.tc = 1
    return bytes(truncated.pack())


def servfail(query: ParsedQuery) -> bytes:
    """SERVFAIL for an internal error, question echoed."""
    failure = Answer(outcome=Outcome.REFUSED, rcode=RCODE_SERVFAIL, authoritative=False)
    return bytes(_message(query, failure, (), (), ()).pack())


def _badvers(query: ParsedQuery, edns: Edns) -> bytes:
    failure = Answer(outcome=Outcome.REFUSED, rcode=RCODE_BADVERS, authoritative=False)
    return bytes(_message(query, failure, (), (), (), edns=edns).pack())


def _message(
    query: ParsedQuery,
    answer: Answer,
    answers: tuple[ResourceRecord, ...],
    authority: tuple[ResourceRecord, ...],
    additional: tuple[ResourceRecord, ...],
    edns: Edns | None = None,
) -> DNSRecord:
    # RA is never set (not a recursive server); AD never; RD and CD are copied (§2.1, §2.8).
    header = DNSHeader(
        id=query.id,
        qr=1,
        opcode=query.opcode,
        aa=int(answer.authoritative),
        rd=int(query.rd),
        ra=0,
        rcode=answer.rcode & 0xF,
    )
    header.cd = int(query.cd)
    message = DNSRecord(
        header=header,
        q=DNSQuestion(DNSLabel(query.qname), query.qtype, query.qclass),
    )
    message.rr = [_rr(record) for record in answers]
    message.auth = [_rr(record) for record in authority]
    message.ar = [_rr(record) for record in additional]
    edns = edns or query.edns
    if edns is not None:
        message.ar.append(_opt(edns, answer))
    return message


def _rr(record: ResourceRecord) -> RR:
    return RR(
        rname=DNSLabel(record.name),
        rtype=record.rtype,
        rclass=CLASS_IN,
        ttl=record.ttl,
        rdata=RD(record.rdata),
    )


def _opt(edns: Edns, answer: Answer) -> RR:
    """The reply's OPT: version 0, payload 4096, DO copied, other flags cleared, ECS echoed."""
    ttl = ((answer.rcode >> 4) << 24) | (0x8000 if edns.dnssec_ok else 0)
    options = []
    if edns.client_subnet is not None:
        subnet = edns.client_subnet
        # Scope: the source prefix when the answer used the location, else 0. Route 53's real
        # scope values are UNCONFIRMED (semantics §2.9); this is the spec's recommendation.
        scope = subnet.source_prefix if answer.location_dependent else 0
        options.append(EDNSOption(ECS_OPTION, subnet.reply_option(scope)))
    return RR(rname=DNSLabel(()), rtype=OPT, rclass=EDNS_PAYLOAD, ttl=ttl, rdata=options)
