"""Mutators: bytes in general, and DNS queries field by field.

Byte mutators (`mutate_bytes`): bit flips, bytes set to edge values, inserted, deleted,
duplicated, ranges copied or swapped, truncation, splicing two inputs. DNS mutators
(`mutate_query`) know the layout: header fields (ID, each flag, opcode, rcode, the four counts)
set to edge values; the question's type and class; the name's labels (case, lengths 0/63/64/
0xC0, binary bytes, a name of 255 or 256 bytes) and compression pointers (to itself, forward,
loops, past the end); OPT records (payload 0, 511, 512, 65535, versions, DO and unknown
flags, truncated or overlong rdata, a second OPT, a non-root owner); EDNS options (ECS with every
family, prefix and address length edge, cookies, padding, unknown codes); extra records in any
section. Every mutator is a function (data, rng, pool) -> data; all draw from the given rng only.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Sequence

from fuzz import dnswire

Mutator = Callable[[bytes, random.Random, Sequence[bytes]], bytes]

MAX_QUERY = 4096
EDGE_BYTES = (0x00, 0x01, 0x3F, 0x40, 0x7F, 0x80, 0xC0, 0xFF, 0x2E, 0x2A, 0x5C)
EDGE_WORDS = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x1FF, 0x200, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF)
QTYPES = (0, 1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 41, 43, 46, 64, 65, 99, 249, 250, 251, 252)
QTYPES_MORE = (253, 254, 255, 256, 257, 32768, 65280, 65535)
QCLASSES = (0, 1, 1, 1, 2, 3, 4, 254, 255, 256, 65535)
PAYLOADS = (0, 1, 100, 511, 512, 513, 1232, 1400, 4095, 4096, 4097, 8192, 65535)
ECS_PREFIXES = (0, 1, 7, 8, 9, 16, 23, 24, 25, 31, 32, 33, 48, 56, 64, 120, 127, 128, 129, 255)


def _pick(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data)) if data else 0


def flip_bit(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    at = _pick(rng, data)
    return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1 :]


def set_byte(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    at = _pick(rng, data)
    value = rng.choice(EDGE_BYTES) if rng.random() < 0.6 else rng.randrange(256)
    return data[:at] + bytes([value]) + data[at + 1 :]


def set_word(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    at = _pick(rng, data)
    return data[:at] + struct.pack("!H", rng.choice(EDGE_WORDS)) + data[at + 2 :]


def insert_bytes(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    at = rng.randrange(len(data) + 1)
    count = rng.choice((1, 1, 2, 4, 16, 64, 300))
    filler = bytes([rng.choice(EDGE_BYTES)]) * count if rng.random() < 0.5 else rng.randbytes(count)
    return data[:at] + filler + data[at:]


def delete_bytes(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    at = _pick(rng, data)
    return data[:at] + data[at + rng.choice((1, 1, 2, 4, 16, 64)) :]


def duplicate_range(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    at = _pick(rng, data)
    piece = data[at : at + rng.choice((1, 2, 4, 8, 32, 256))]
    return data[:at] + piece * rng.choice((2, 2, 3, 10)) + data[at:]


def swap_ranges(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    if len(data) < 4:
        return data
    a, b = sorted(rng.sample(range(len(data)), 2))
    size = rng.randint(1, min(16, b - a))
    return (
        data[:a] + data[b : b + size] + data[a + size : b] + data[a : a + size] + data[b + size :]
    )


def truncate(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def splice(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    """The start of this input and the end of another."""
    other = rng.choice(pool) if pool else data
    return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1) :]


BYTE_MUTATORS: tuple[Mutator, ...] = (
    flip_bit,
    flip_bit,
    set_byte,
    set_word,
    insert_bytes,
    delete_bytes,
    duplicate_range,
    swap_ranges,
    truncate,
    splice,
)


def mutate_bytes(data: bytes, rng: random.Random, pool: Sequence[bytes], limit: int) -> bytes:
    for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
        data = rng.choice(BYTE_MUTATORS)(data, rng, pool)[:limit]
    return data


# --- DNS queries --------------------------------------------------------------------------------


def _header(data: bytes) -> bytes:
    return data[:12].ljust(12, b"\0")


def header_field(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    """One of the six header words, or one flag, opcode or rcode, set to an edge value."""
    fields = list(dnswire.HEADER.unpack(_header(data)))
    choice = rng.randrange(6)
    if choice == 0:
        fields[0] = rng.choice(EDGE_WORDS)
    elif choice == 1:
        fields[1] ^= 1 << rng.randrange(16)
    elif choice == 2:
        fields[1] = (fields[1] & ~0x7800) | (rng.choice((0, 0, 1, 2, 3, 4, 5, 6, 15)) << 11)
    elif choice == 3:
        fields[1] = (fields[1] & ~0x000F) | rng.randrange(16)
    else:
        count = rng.randrange(2, 6)
        fields[count] = rng.choice((0, 1, 2, 3, fields[count] + 1, fields[count] - 1, 0xFFFF))
        fields[count] &= 0xFFFF
    return dnswire.HEADER.pack(*fields) + data[12:]


def question_end(data: bytes) -> int | None:
    """Where the first question's name ends (at a pointer, after it), without following it."""
    offset = 12
    while offset < len(data):
        length = data[offset]
        if length & 0xC0 == 0xC0:
            return offset + 2
        if length == 0:
            return offset + 1
        offset += length + 1
    return None


def question_fields(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    end = question_end(data)
    if end is None:
        return data
    qtype = rng.choice(QTYPES + QTYPES_MORE) if rng.random() < 0.7 else rng.randrange(65536)
    value = struct.pack("!H", qtype if rng.random() < 0.6 else rng.choice(QCLASSES))
    at = end + (0 if rng.random() < 0.6 else 2)
    return data[:at] + value + data[at + 2 :]


def _name_at_12(data: bytes) -> tuple[list[bytes], int] | None:
    """The plain labels of the question's name and where the name ends (no pointers)."""
    labels: list[bytes] = []
    offset = 12
    while offset < len(data):
        length = data[offset]
        if length == 0:
            return labels, offset + 1
        if length > 63:
            return None
        labels.append(data[offset + 1 : offset + 1 + length])
        offset += length + 1
    return None


def name_trick(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    """Rewrite the question's name: case, labels, lengths, pointers."""
    found = _name_at_12(data)
    if found is None:
        return flip_bit(data, rng, pool)
    labels, end = found
    rest = data[end:]
    trick = rng.randrange(11)
    if trick == 0:  # flip the case of some letters
        labels = [_case_flipped(label, rng) for label in labels]
    elif trick == 1:  # a label of binary bytes, or of dots, NULs, escapes
        label = rng.choice(
            (b"\xff\x80\x00", b"a.b", b"\x00", b"\\", b"*", b"\xc0", rng.randbytes(5))
        )
        labels.insert(rng.randrange(len(labels) + 1), label)
    elif trick == 2:  # a label of 63 or 64 bytes
        labels.insert(0, b"a" * rng.choice((62, 63, 64)))
    elif trick == 3:  # a name of about 255 bytes
        while sum(len(label) + 1 for label in labels) + 1 < rng.choice((250, 254, 255, 256, 300)):
            labels.insert(0, b"x" * rng.randint(1, 63))
    elif trick == 4 and labels:  # drop or repeat a label
        at = rng.randrange(len(labels))
        labels = (
            labels[:at] + labels[at + 1 :] if rng.random() < 0.5 else labels[: at + 1] + labels[at:]
        )
    elif trick == 5:  # a wildcard label, or many tiny labels
        labels = [b"*", *labels] if rng.random() < 0.5 else [b"a"] * rng.randint(2, 127) + labels
    else:
        return _pointer_trick(data, labels, rest, rng)
    # Each label's real length is written: 64 and more read as another label type on the wire.
    name = dnswire.encode_name(tuple(label[:255] for label in labels))
    return data[:12] + name + rest


def _case_flipped(label: bytes, rng: random.Random) -> bytes:
    letters = range(0x61, 0x7B)
    return bytes(c ^ 0x20 if (c | 0x20) in letters and rng.random() < 0.5 else c for c in label)


def _pointer_trick(data: bytes, labels: list[bytes], rest: bytes, rng: random.Random) -> bytes:
    """Compression pointers where the question's name is: loops, forward, past the end."""
    head = dnswire.encode_name(tuple(labels))[:-1]
    target = rng.choice(
        (12, 12, 13, 14, 0, 11, len(data), 0x3FFF, 12 + len(head), 12 + len(head) + 2)
    )
    pointer = struct.pack("!H", 0xC000 | (target & 0x3FFF))
    trick = rng.randrange(5)
    if trick == 0:  # the name is a pointer (to itself, forward, back into the header)
        return data[:12] + pointer + rest
    if trick == 1:  # labels, then a pointer
        return data[:12] + head + pointer + rest
    if trick == 2:  # two labels pointing at each other
        return data[:12] + b"\x01a\xc0\x0e\x01b\xc0\x0c" + rest
    if trick == 3:  # a valid pointer back to the question's own start from a later record
        record = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + b"\xc0\x00\x02\x01"
        return _counted(data[:12] + head + b"\0" + rest + record, 3)
    return data[:12] + head + bytes([rng.choice((0x40, 0x80, 0xBF, 0xC0))]) + b"\0" + rest


def _counted(data: bytes, section: int, delta: int = 1) -> bytes:
    """`data` with the count of section (0 question .. 3 additional) changed by `delta`."""
    fields = list(dnswire.HEADER.unpack(_header(data)))
    fields[2 + section] = (fields[2 + section] + delta) & 0xFFFF
    return dnswire.HEADER.pack(*fields) + data[12:]


def _plain_query(data: bytes) -> bytes | None:
    """The header and question alone (the additional count cleared), when they are readable."""
    end = question_end(data)
    if end is None or end + 4 > len(data):
        return None
    fields = list(dnswire.HEADER.unpack(_header(data)))
    fields[3:6] = [0, 0, 0]
    return dnswire.HEADER.pack(*fields) + data[12 : end + 4]


def ecs_option(rng: random.Random) -> bytes:
    """An ECS option: valid most of the time, else off by one in some field."""
    family = rng.choice((1, 1, 2, 2, 0, 3))
    bits = 32 if family != 2 else 128
    source = rng.choice(ECS_PREFIXES) if rng.random() < 0.7 else rng.randint(0, bits)
    size = (min(source, bits) + 7) // 8
    address = bytearray(rng.choice((b"\xc6\x33\x64\x00", b"\x7f\x00\x00\x01", b"\x08\x08\x08\x08")))
    if family == 2:
        address = bytearray(b"\x20\x01\x0d\xb8\x00\x01" + bytes(10))
    address = address[:size].ljust(size, b"\0")
    if source % 8 and address:
        address[-1] &= 0xFF << (8 - source % 8) & 0xFF
    if rng.random() < 0.25:  # one field off
        which = rng.randrange(3)
        if which == 0 and address:
            address[-1] |= 1
        elif which == 1:
            address = address + b"\0" if rng.random() < 0.5 else address[:-1]
        return dnswire.ecs_option(
            family, source, rng.choice((0, 1)) if which == 2 else 0, bytes(address)
        )
    return dnswire.ecs_option(family, source, 0, bytes(address))


def edns_options(rng: random.Random) -> bytes:
    options = b""
    for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
        kind = rng.randrange(6)
        if kind <= 2:
            options += ecs_option(rng)
        elif kind == 3:  # a cookie (RFC 7873), a client's or a whole one
            cookie = rng.randbytes(rng.choice((8, 16, 24, 7, 41)))
            options += struct.pack("!HH", 10, len(cookie)) + cookie
        elif kind == 4:  # padding, or an unknown option
            body = bytes(rng.choice((0, 1, 100)))
            options += struct.pack("!HH", rng.choice((12, 65001, 0, 65535)), len(body)) + body
        else:  # an option whose length runs past the end
            options += struct.pack("!HH", 8, rng.choice((4, 200, 0xFFFF))) + b"\0\1\x18\0"
    return options


def opt_record(rng: random.Random) -> bytes:
    payload = rng.choice(PAYLOADS)
    version = rng.choice((0,) * 12 + (1, 255))
    flags = rng.choice((0, 0, 0x8000, 0x4000, 0x0001, 0xFFFF))
    ext_rcode = rng.choice((0,) * 12 + (1, 255))
    options = edns_options(rng)
    ttl = (ext_rcode << 24) | (version << 16) | flags
    length = len(options)
    if rng.random() < 0.08:  # a truncated OPT: its rdata length says more than follows
        length = rng.choice((length + 1, length + 100, 0xFFFF))
    owner = b"\0" if rng.random() < 0.95 else b"\x01a\0"
    return owner + struct.pack("!HHIH", dnswire.TYPE_OPT, payload, ttl, length) + options


def edns(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    """Replace the additional section by an OPT (sometimes two, or one after other records)."""
    plain = _plain_query(data)
    if plain is None:
        return data + opt_record(rng)
    records = [opt_record(rng)]
    if rng.random() < 0.1:
        records.append(opt_record(rng))
    if rng.random() < 0.1:
        records.insert(0, _extra_record(rng))
    body = plain + b"".join(records)
    return _counted(body, 3, len(records))


def _extra_record(rng: random.Random) -> bytes:
    rtype = rng.choice((1, 1, 2, 5, 6, 41, 250, 255))
    rdata = rng.choice((b"\xc0\x00\x02\x01", b"", b"\x00", rng.randbytes(16)))
    owner = rng.choice((b"\xc0\x0c", b"\0", b"\x01x\x07example\0"))
    return owner + struct.pack("!HHIH", rtype, rng.choice((1, 255, 254)), 0, len(rdata)) + rdata


def add_record(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    """One more record at the end, counted in the answer, authority or additional section."""
    return _counted(data + _extra_record(rng), rng.randint(1, 3))


def trailing(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    return data + rng.choice((b"\0", b"\0\1junk", rng.randbytes(rng.randint(1, 40))))


def fresh_question(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    """The question of another input, with this one's header and additional section."""
    other = rng.choice(pool) if pool else data
    mine, theirs = question_end(data), question_end(other)
    if mine is None or theirs is None:
        return splice(data, rng, pool)
    return data[:12] + other[12 : theirs + 4] + data[mine + 4 :]


DNS_MUTATORS: tuple[Mutator, ...] = (
    header_field,
    header_field,
    question_fields,
    question_fields,
    name_trick,
    name_trick,
    edns,
    edns,
    edns,
    add_record,
    trailing,
    fresh_question,
)


def mutate_query(data: bytes, rng: random.Random, pool: Sequence[bytes]) -> bytes:
    """One to a few mutations, most of them DNS-aware; at most MAX_QUERY bytes."""
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        if rng.random() < 0.7:
            data = rng.choice(DNS_MUTATORS)(data, rng, pool)
        else:
            data = rng.choice(BYTE_MUTATORS)(data, rng, pool)
        data = data[:MAX_QUERY]
    return data
