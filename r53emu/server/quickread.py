"""The hand reader of the fast path: header, question and OPT/ECS of an ordinary query.

`wire.parse_query` reads any packet strictly and builds values for the lookup; that costs
microseconds a query that a cached reply does not need. `read_query` takes only the common
shape, reads it in a few byte comparisons and returns what a cached reply depends on:

    header: QR 0, opcode QUERY, QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 0 or 1
    question: an uncompressed name (labels of at most 63 bytes, at most 255 bytes), type, class
    additional: nothing, or one OPT (root owner, version 0, extended rcode 0) whose options are
        read one by one: an ECS option (RFC 7871 §6, valid), others ignored as the strict
        reader ignores them; nothing after the last record

Anything else gives None and goes to the strict reader, which answers it (FORMERR, BADVERS,
NOTIMP, a drop) or reads it. So whatever `read_query` accepts, `parse_query` accepts too and
reads to the same question, DO bit and ECS option (tests/unit/server/test_quickread.py checks
both ways).
"""

from __future__ import annotations

from r53emu.model.dnsconstants import OPTION_ECS, TYPE_OPT

NO_EDNS = -1  # the query has no OPT record; else the EDNS value is its DO bit, 0 or 1

_PLAIN_COUNTS = b"\x00\x01\x00\x00\x00\x00\x00\x00"
_EDNS_COUNTS = b"\x00\x01\x00\x00\x00\x00\x00\x01"
_OPT_START = b"\x00" + TYPE_OPT.to_bytes(2, "big")  # root owner, TYPE OPT
_MAX_NAME = 255

Quick = tuple[bytes, int, bytes | None]  # question, EDNS (NO_EDNS, else DO), ECS option data


def read_query(packet: bytes) -> Quick | None:
    """The question bytes (name as sent, type, class), EDNS and ECS option of an ordinary
    query, or None when the packet needs the strict reader."""
    if len(packet) < 17 or packet[2] & 0xF8:  # QR set or an opcode other than QUERY
        return None
    end = 12
    try:
        length = packet[end]
        while length:
            if length > 63:  # a compression pointer or another label type
                return None
            end += length + 1
            length = packet[end]
    except IndexError:
        return None
    if end - 11 > _MAX_NAME:
        return None
    end += 5  # the root label, QTYPE and QCLASS
    counts = packet[4:12]
    if counts == _PLAIN_COUNTS:
        return (packet[12:end], NO_EDNS, None) if len(packet) == end else None
    if counts != _EDNS_COUNTS or len(packet) < end + 11 or packet[end : end + 3] != _OPT_START:
        return None
    if packet[end + 5] or packet[end + 6]:  # extended rcode or EDNS version not 0
        return None
    options = end + 11
    if options + int.from_bytes(packet[end + 9 : options]) != len(packet):
        return None
    subnet = _client_subnet(packet, options)
    if isinstance(subnet, bool):  # False: not plainly valid
        return None
    return packet[12:end], packet[end + 7] >> 7, subnet


def _client_subnet(packet: bytes, offset: int) -> bytes | bool | None:
    """The ECS option's data (None: none), or False when the options are not plainly valid."""
    found: bytes | None = None
    while offset < len(packet):
        code = int.from_bytes(packet[offset : offset + 2])
        start = offset + 4
        offset = start + int.from_bytes(packet[offset + 2 : start])
        if offset > len(packet):
            return False
        if code == OPTION_ECS:
            if found is not None:
                return False
            found = packet[start:offset]
    if found is not None and not _valid_subnet(found):
        return False
    return found


def _valid_subnet(data: bytes) -> bool:
    """RFC 7871 §6 as the strict reader enforces it (a violation there is FORMERR)."""
    if len(data) < 4 or data[0] or data[1] not in (1, 2) or data[3]:
        return False
    source = data[2]
    if source > (32 if data[1] == 1 else 128) or len(data) - 4 != (source + 7) // 8:
        return False
    return not (source % 8 and data[-1] & (0xFF >> (source % 8)))
