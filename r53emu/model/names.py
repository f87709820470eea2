"""Domain names as r53emu holds them: absolute tuples of label bytes.

A `Name` is the tuple of a name's labels, leftmost first, without the root label:
`www.example.test.` is `(b"www", b"example", b"test")` and the root is `()`. Keys used for lookup
are lower-cased (Route 53 stores letters lower-case and matches case-insensitively); names echoed
back to a client keep the bytes it sent.
"""

from __future__ import annotations

import re

from r53emu.model.escapes import unescape_at

Name = tuple[bytes, ...]

MAX_LABEL = 63
MAX_NAME = 255
WILDCARD = b"*"

# Route 53 returns every byte other than these as a three-digit octal escape (DomainNameFormat).
_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_*")
_PLAIN_LABEL = re.compile(rb"[a-zA-Z0-9_*-]*")  # a label of _PLAIN bytes only
# Text that `parse` reads as it is written: printable ASCII other than the backslash.
_PRINTABLE_ASCII = re.compile(r"[\x21-\x5b\x5d-\x7e]+")


class InvalidName(ValueError):
    """A name that cannot be a DNS name (bad escape, empty or over-long label, over-long name)."""


def lower(name: Name) -> Name:
    """The lookup key of `name`: ASCII letters lower-cased, other bytes as they are."""
    return tuple(map(bytes.lower, name))


def parse(text: str) -> Name:
    """Parse presentation text into labels; a trailing dot is optional and ignored.

    Escapes follow Route 53's DomainNameFormat (see `r53emu.model.escapes`): `\\052` is `*`,
    and `\\.` is a dot inside a label. Other bytes must be printable ASCII: spaces and control bytes
    are written as escapes, internationalized names in punycode.
    """
    if text in ("", "."):
        return ()
    plain = _plain_labels(text)
    if plain is not None:
        check(plain, text)
        return plain
    labels: list[bytes] = []
    current = bytearray()
    raw = text.encode("utf-8")
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte == 0x5C:  # backslash
            try:
                value, i = unescape_at(raw, i)
            except ValueError as exc:
                raise InvalidName(f"{text!r}: {exc}") from None
            current.append(value)
            continue
        if byte == 0x2E:  # dot
            if not current:
                raise InvalidName(f"{text!r} has an empty label")
            labels.append(bytes(current))
            current = bytearray()
        elif 0x21 <= byte <= 0x7E:
            current.append(byte)
        else:
            raise InvalidName(_unprintable(text, byte))
        i += 1
    if current:
        labels.append(bytes(current))
    check(tuple(labels), text)
    return tuple(labels)


def _plain_labels(text: str) -> Name | None:
    """The labels of a name without escapes, odd bytes or empty labels (nearly every name), or
    None for `parse` to read it byte by byte and say what is wrong."""
    if not _PRINTABLE_ASCII.fullmatch(text):
        return None
    labels = text.encode("ascii").split(b".")
    if not labels[-1]:
        labels.pop()  # the trailing dot of an absolute name
    return None if b"" in labels else tuple(labels)


def _unprintable(text: str, byte: int) -> str:
    """Why a raw byte cannot stand in a name: Route 53 wants it escaped (DomainNameFormat)."""
    if byte >= 0x80:
        return f"{text!r}: write internationalized names in punycode (xn--...)"
    return f"{text!r}: byte 0x{byte:02x} must be written as the escape \\{byte:03o}"


def check(name: Name, text: str = "") -> None:
    """Raise `InvalidName` unless every label is 1..63 bytes and the wire name is at most 255."""
    if b"" in name or max(map(len, name), default=0) > MAX_LABEL or wire_length(name) > MAX_NAME:
        _explain(name, text)


def _explain(name: Name, text: str) -> None:
    """Raise the `InvalidName` that says what is wrong with `name`, first problem first."""
    shown = text or to_text(name)
    for label in name:
        if not label:
            raise InvalidName(f"{shown!r} has an empty label")
        if len(label) > MAX_LABEL:
            raise InvalidName(f"{shown!r} has a label of {len(label)} bytes (at most {MAX_LABEL})")
    if wire_length(name) > MAX_NAME:
        raise InvalidName(
            f"{shown!r} is {wire_length(name)} bytes on the wire (at most {MAX_NAME})"
        )


def wire_length(name: Name) -> int:
    """Length of the uncompressed wire form, root byte included."""
    return sum(map(len, name)) + len(name) + 1


def to_text(name: Name) -> str:
    """Presentation form with a trailing dot, escaping as Route 53's API output does (octal)."""
    if not name:
        return "."
    return "".join(_label_text(label) + "." for label in name)


def _label_text(label: bytes) -> str:
    if _PLAIN_LABEL.fullmatch(label):
        return label.decode("ascii")
    return "".join(chr(b) if b in _PLAIN else f"\\{b:03o}" for b in label)


def is_within(name: Name, ancestor: Name) -> bool:
    """True when `name` equals `ancestor` or lies below it (both lower-cased keys)."""
    return len(name) >= len(ancestor) and name[len(name) - len(ancestor) :] == ancestor


def ancestors(name: Name, stop: Name) -> list[Name]:
    """The names strictly between `name` and `stop`, nearest to `name` first, then `stop`."""
    return [name[i:] for i in range(1, len(name) - len(stop) + 1)]
