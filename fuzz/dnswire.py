"""DNS messages read and built by the fuzzer itself: its checks do not trust r53emu's reader.

`read_message` reads a whole message (header, question, records; names through compression
pointers that must point back, as RFC 1035 §4.1.4 and dnspython require) and raises `WireError`
on anything malformed. `Record`s keep their rdata as bytes: r53emu never compresses rdata, so two
replies hold the same records exactly when their records are equal as values. `query` builds a
plain query, for probes and seeds.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from typing import NamedTuple

HEADER = struct.Struct("!HHHHHH")
RECORD_HEAD = struct.Struct("!HHIH")  # type, class, TTL, rdata length
TYPE_OPT = 41
OPTION_ECS = 8
MAX_NAME = 255  # wire bytes of a name, root label included

FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD = 0x8000, 0x0400, 0x0200, 0x0100
FLAG_RA, FLAG_Z, FLAG_AD, FLAG_CD = 0x0080, 0x0040, 0x0020, 0x0010
RCODE_NOERROR, RCODE_FORMERR, RCODE_SERVFAIL = 0, 1, 2
RCODE_NXDOMAIN, RCODE_NOTIMP, RCODE_REFUSED, RCODE_BADVERS = 3, 4, 5, 16

Labels = tuple[bytes, ...]


class WireError(Exception):
    """The bytes are not a well-formed DNS message."""


class Question(NamedTuple):
    name: Labels  # as sent: case and every byte kept
    qtype: int
    qclass: int


class Record(NamedTuple):  # a tuple: replies of a thousand records sort quickly
    owner: Labels
    rtype: int
    rclass: int
    ttl: int
    rdata: bytes


@dataclass(frozen=True)
class Message:
    ident: int
    flags: int
    questions: tuple[Question, ...]
    answer: tuple[Record, ...]
    authority: tuple[Record, ...]
    additional: tuple[Record, ...]
    end: int  # the offset just after the last counted record

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    @property
    def opts(self) -> list[Record]:
        return [record for record in self.additional if record.rtype == TYPE_OPT]

    @property
    def rcode(self) -> int:
        """The whole rcode: the header's four bits and the OPT's upper eight."""
        opts = self.opts
        upper = (opts[0].ttl >> 24) & 0xFF if len(opts) == 1 else 0
        return (upper << 4) | (self.flags & 0xF)

    @functools.cached_property
    def summary(self) -> tuple[object, ...]:
        """What a client sees, with the order of records left out (values, additional
        records and multivalue record sets come in random order)."""
        return (
            self.ident,
            self.flags,
            self.questions,
            tuple(sorted(self.answer)),
            tuple(sorted(self.authority)),
            tuple(sorted(self.additional)),
        )


def read_name(data: bytes, offset: int) -> tuple[Labels, int]:
    """The name at `offset` and the offset after it. Each compression pointer must point
    before every byte of the name read so far, so reading always ends."""
    labels: list[bytes] = []
    size = 1
    after: int | None = None
    earliest = offset
    while True:
        if offset >= len(data):
            raise WireError("name runs past the end")
        length = data[offset]
        if length & 0xC0 == 0xC0:
            if offset + 1 >= len(data):
                raise WireError("compression pointer cut short")
            pointer = ((length & 0x3F) << 8) | data[offset + 1]
            if after is None:
                after = offset + 2
            if pointer >= earliest:
                raise WireError(f"compression pointer to {pointer} does not point back")
            offset = earliest = pointer
            continue
        if length & 0xC0:
            raise WireError(f"label type {length & 0xC0:#x}")
        offset += 1
        if length == 0:
            return tuple(labels), offset if after is None else after
        label = data[offset : offset + length]
        if len(label) < length:
            raise WireError("label runs past the end")
        size += length + 1
        if size > MAX_NAME:
            raise WireError("name over 255 bytes")
        labels.append(label)
        offset += length


def _record(data: bytes, offset: int) -> tuple[Record, int]:
    owner, offset = read_name(data, offset)
    if offset + RECORD_HEAD.size > len(data):
        raise WireError("record head runs past the end")
    rtype, rclass, ttl, length = RECORD_HEAD.unpack_from(data, offset)
    offset += RECORD_HEAD.size
    rdata = data[offset : offset + length]
    if len(rdata) < length:
        raise WireError("rdata runs past the end")
    return Record(owner, rtype, rclass, ttl, rdata), offset + length


def read_message(data: bytes, *, trailing_ok: bool = False) -> Message:
    """The message in `data`; bytes after its last record are an error unless `trailing_ok`."""
    if len(data) < HEADER.size:
        raise WireError("shorter than a header")
    ident, flags, qdcount, ancount, nscount, arcount = HEADER.unpack_from(data)
    offset = HEADER.size
    questions = []
    for _ in range(qdcount):
        name, offset = read_name(data, offset)
        if offset + 4 > len(data):
            raise WireError("question runs past the end")
        qtype, qclass = struct.unpack_from("!HH", data, offset)
        offset += 4
        questions.append(Question(name, qtype, qclass))
    sections: list[tuple[Record, ...]] = []
    for count in (ancount, nscount, arcount):
        records = []
        for _ in range(count):
            record, offset = _record(data, offset)
            records.append(record)
        sections.append(tuple(records))
    if not trailing_ok and offset != len(data):
        raise WireError(f"{len(data) - offset} bytes after the last record")
    answer, authority, additional = sections
    return Message(ident, flags, tuple(questions), answer, authority, additional, offset)


def read_options(rdata: bytes) -> list[tuple[int, bytes]]:
    """The (code, data) options of an OPT record (RFC 6891 §6.1.2)."""
    options = []
    offset = 0
    while offset < len(rdata):
        if offset + 4 > len(rdata):
            raise WireError("option head runs past the end of the OPT")
        code, length = struct.unpack_from("!HH", rdata, offset)
        value = rdata[offset + 4 : offset + 4 + length]
        if len(value) < length:
            raise WireError(f"option {code} runs past the end of the OPT")
        options.append((code, value))
        offset += 4 + length
    return options


def ecs_problem(data: bytes) -> str | None:
    """Why an ECS option of a query breaks RFC 7871 §6, or None when it is valid."""
    if len(data) < 4:
        return "ECS option shorter than 4 bytes"
    family, source, scope = struct.unpack_from("!HBB", data)
    if family not in (1, 2):
        return f"ECS family {family}"
    if source > (32 if family == 1 else 128):
        return f"ECS source prefix {source} too long"
    if scope:
        return "ECS scope prefix not 0 in a query"
    address = data[4:]
    if len(address) != (source + 7) // 8:
        return f"{len(address)} ECS address bytes for /{source}"
    if source % 8 and address[-1] & (0xFF >> (source % 8)):
        return "ECS address bits set beyond the prefix"
    return None


def encode_name(labels: Labels) -> bytes:
    return b"".join(bytes((len(label),)) + label for label in labels) + b"\0"


def labels_of(text: str) -> Labels:
    return tuple(label.encode() for label in text.strip(".").split(".") if label)


def opt_record(
    payload: int = 4096, *, version: int = 0, do: bool = False, options: bytes = b""
) -> bytes:
    ttl = (version << 16) | (0x8000 if do else 0)
    return b"\0" + RECORD_HEAD.pack(TYPE_OPT, payload, ttl, len(options)) + options


def ecs_option(family: int, source: int, scope: int, address: bytes) -> bytes:
    body = struct.pack("!HBB", family, source, scope) + address
    return struct.pack("!HH", OPTION_ECS, len(body)) + body


def query(
    name: str | Labels,
    qtype: int = 1,
    *,
    ident: int = 0x1234,
    flags: int = FLAG_RD,
    qclass: int = 1,
    opt: bytes | None = None,
) -> bytes:
    """A query with one question and, when given, one OPT record (`opt_record`)."""
    labels = labels_of(name) if isinstance(name, str) else name
    head = HEADER.pack(ident, flags, 1, 0, 0, 0 if opt is None else 1)
    return head + encode_name(labels) + struct.pack("!HH", qtype, qclass) + (opt or b"")


def frame(packet: bytes) -> bytes:
    """A DNS-over-TCP message: two bytes of length, then the message."""
    return len(packet).to_bytes(2, "big") + packet
