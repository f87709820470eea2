"""Record values: Route 53 presentation text -> wire bytes, with Route 53's rules.

dnspython's presentation parser reads every type except TXT/SPF (it covers all 17 Route 53
types, SVCB/HTTPS SvcParams and DS/TLSA digest checks included, which dnslib cannot). TXT and SPF
follow zone-format.md instead: a value starting with `"` is master-file character-strings, one
without a leading quote is one text split into 255-byte strings.

Loading a large zone parses hundreds of thousands of values, so two shortcuts keep it fast; both
give exactly the `Rdata` (or the error) dnspython's path gives. Parsed values are remembered
(`functools.lru_cache`): zones repeat the same addresses and targets, and repeats then also
share one `Rdata`, which keeps the loaded catalog smaller. Addresses the C library reads
(`socket.inet_pton`) skip dnspython's tokenizer; anything it rejects still goes to dnspython,
which decides and words the error.
"""

from __future__ import annotations

import functools
import re
import socket

import dns.exception
import dns.ipv6
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from r53emu.model.catalog import Rdata
from r53emu.model.dnsconstants import RECORD_TYPES
from r53emu.model.escapes import unescape_at
from r53emu.model.names import Name

MAX_VALUE_CHARS = 4000  # every ResourceRecord.Value (semantics §1.3)
MAX_STRING_BYTES = 255  # one character-string (semantics §1.4)
# The characters of a value an error quotes: a longer value shows this many, then its length
# (as the zone loader quotes values, docs/limits.md). A value may be 4,000 characters.
QUOTE_CHARS = 60

_TARGET_ATTRIBUTE = {"CNAME": "target", "NS": "target", "MX": "exchange", "SRV": "target"}


class InvalidValue(ValueError):
    """A value Route 53 would reject; the message says why."""


# Values `parse_value` remembers: all those of a zone of 10,000 record sets (Route 53's quota)
# are found again when it reloads, and what stays after loading is at most about 10 MB (300 to
# 600 bytes a value).
PARSED_VALUES_KEPT = 1 << 14


@functools.lru_cache(maxsize=PARSED_VALUES_KEPT)
def parse_value(type_name: str, text: str) -> Rdata:
    """Parse one value of a record set of type `type_name` (a key of RECORD_TYPES).

    The same (type, text) gives the same `Rdata` object while it is remembered.
    """
    if type_name in ("A", "AAAA"):
        address = _address(type_name, text)
        if address is not None:
            return address
    return _parse_value(type_name, text)


def _address(type_name: str, text: str) -> Rdata | None:
    """An A/AAAA value that `socket.inet_pton` reads, else None (dnspython then decides).

    dnspython reads every address the C library reads, to the same bytes (a table test pins
    it): it accepts an IPv4 address only in canonical form, and its text of an IPv6 address is
    `dns.ipv6.inet_ntoa` of the bytes.
    """
    try:
        if type_name == "A":
            packed = socket.inet_pton(socket.AF_INET, text)
            # inet_pton takes forms such as leading zeros on some systems; dnspython takes none
            return Rdata(wire=packed, text=text) if socket.inet_ntoa(packed) == text else None
        packed = socket.inet_pton(socket.AF_INET6, text)
    except (OSError, ValueError):  # ValueError: a NUL character in the text
        return None
    return Rdata(wire=packed, text=dns.ipv6.inet_ntoa(packed))


def _parse_value(type_name: str, text: str) -> Rdata:
    if len(text) > MAX_VALUE_CHARS:
        raise InvalidValue(f"value is {len(text)} characters long (at most {MAX_VALUE_CHARS})")
    if type_name in ("TXT", "SPF"):
        strings = character_strings(text)
        wire = b"".join(bytes([len(s)]) + s for s in strings)
        return Rdata(wire=wire, text=" ".join(quote(s) for s in strings))
    if type_name == "CAA" and '"' not in text:
        raise InvalidValue('CAA value must be quoted: flags tag "value"')
    try:
        rdata = dns.rdata.from_text(
            dns.rdataclass.IN,
            dns.rdatatype.RdataType(RECORD_TYPES[type_name]),
            text,
            origin=dns.name.root,  # names in values are absolute with or without a trailing dot
            relativize=False,
        )
    except (dns.exception.DNSException, ValueError) as exc:
        problem = _shortened(str(exc))
        raise InvalidValue(f"{_quoted(text)} is not a valid {type_name} value: {problem}") from None
    attribute = _TARGET_ATTRIBUTE.get(type_name)
    target = _key(getattr(rdata, attribute)) if attribute else None
    packed = rdata.to_wire()  # without a file argument it returns the bytes
    assert packed is not None
    return Rdata(wire=packed, text=rdata.to_text(), target=target)


def _key(name: dns.name.Name) -> Name:
    return tuple(label.lower() for label in name.labels if label)


def character_strings(text: str) -> list[bytes]:
    """The character-strings of one TXT/SPF value (zone-format.md, "TXT values").

    Quoted input: `"part1" "part2"` with `\\"`, `\\\\` and Route 53's `\\ooo` octal escapes; a
    string over 255 bytes is Route 53's CharacterStringTooLong. Unquoted input: one text split
    into 255-byte strings.
    """
    if not text.startswith('"'):
        raw = text.encode("utf-8")
        if not raw:
            return [b""]
        return [raw[i : i + MAX_STRING_BYTES] for i in range(0, len(raw), MAX_STRING_BYTES)]
    strings: list[bytes] = []
    data = text.encode("utf-8")
    i = 0
    while i < len(data):
        if data[i] in b" \t":
            i += 1
            continue
        if data[i] != 0x22:
            raise InvalidValue(f"{_quoted(text)}: expected a quoted string at character {i + 1}")
        current, i = _read_quoted(data, i + 1, text)
        if len(current) > MAX_STRING_BYTES:
            raise InvalidValue(
                f"CharacterStringTooLong (Value is too long): a string of {len(current)} bytes "
                f"(at most {MAX_STRING_BYTES}; split it into several quoted strings)"
            )
        strings.append(current)
    return strings


def _read_quoted(data: bytes, i: int, text: str) -> tuple[bytes, int]:
    """Read one quoted string starting after its opening quote; return it and the next index."""
    current = bytearray()
    while i < len(data):
        byte = data[i]
        if byte == 0x22:
            return bytes(current), i + 1
        if byte == 0x5C:
            try:
                value, i = unescape_at(data, i)
            except ValueError as exc:
                raise InvalidValue(f"{_quoted(text)}: {_shortened(str(exc))}") from None
            current.append(value)
            continue
        current.append(byte)
        i += 1
    raise InvalidValue(f"{_quoted(text)}: a quoted string is not closed")


def _quoted(text: str) -> str:
    """`repr(text)` when short; else its first QUOTE_CHARS characters, `...` and its length."""
    if len(text) <= QUOTE_CHARS:
        return repr(text)
    return f"{text[:QUOTE_CHARS]!r}... ({len(text):,} characters)"


# A token (or a quoted one, spaces and all) longer than what an error quotes of it.
_LONG_RUN = re.compile(rf'"[^"\n]{{{QUOTE_CHARS + 1},}}"|\S{{{QUOTE_CHARS + 3},}}')


def _shortened(message: str) -> str:
    """dnspython's `message` with each long token it repeats (`got 3 "..."`, `invalid key
    "..."`) cut to its first QUOTE_CHARS characters and its length."""
    return _LONG_RUN.sub(
        lambda run: f"{run.group()[:QUOTE_CHARS]}... ({len(run.group()):,} characters)", message
    )


def quote(string: bytes) -> str:
    """A character-string as Route 53 lists it: quoted, `"` and `\\` escaped, other bytes octal."""
    out = []
    for byte in string:
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'
