"""Names as Route 53's API lists them, the order it lists them in, and how it names a record set.

Route 53 stores a name lower-case, absolute and escaped: every byte other than `a-z`, `0-9`,
`-` and `_` as a three-digit octal escape, so `*.Example.com` is listed `\\052.example.com.`
(DomainNameFormat). That is the form kept, listed and compared here, and the one `r53emu import`
and JSON zone files read back (`\\052` parses as `*`).

ListResourceRecordSets and ListHostedZonesByName sort by the name with its labels reversed,
trailing dot included (`com.example.www.`), in ASCII order of that escaped text: so `a-b` sorts
before `a` (`-` is before `.`), as the API Reference warns. Record sets of one name sort by type,
then (Route 53 documents no order there) by SetIdentifier, which keeps paging stable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from r53emu.model import names
from r53emu.model.names import Name

_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_")


class SortKey(NamedTuple):
    """Where a record set stands in a listing, and what identifies it in its zone: the name with
    labels reversed, the type, and the SetIdentifier ("" for none: identifiers are 1..128
    characters, so "" sorts before every one)."""

    reversed_name: str
    rtype: str
    set_identifier: str


def parse_name(text: str) -> Name:
    """The lower-case `Name` of an API name, trailing dot optional (the API reads every name as
    fully qualified). Raises `names.InvalidName`."""
    return names.lower(names.parse(text))


def listed_name(name: Name) -> str:
    """`name` as Route 53 lists it: lower-case, escaped, with the trailing dot."""
    return "".join(_label(label) + "." for label in name) or "."


def reversed_name(name: Name) -> str:
    """The text Route 53 sorts by: the escaped labels reversed, with the trailing dot."""
    return "".join(_label(label) + "." for label in reversed(name))


def _label(label: bytes) -> str:
    lowered = label.lower()
    if all(byte in _PLAIN for byte in lowered):
        return lowered.decode("ascii")
    return "".join(chr(byte) if byte in _PLAIN else f"\\{byte:03o}" for byte in lowered)


def sort_key(name: Name, rtype: str, set_identifier: str | None) -> SortKey:
    return SortKey(reversed_name(name), rtype, set_identifier or "")


def key_of(record_set: Mapping[str, Any]) -> SortKey:
    """The key of a record set already in the listed form (`canonical`)."""
    return SortKey(
        _reverse_listed(record_set["Name"]),
        record_set["Type"],
        record_set.get("SetIdentifier") or "",
    )


def _reverse_listed(text: str) -> str:
    # Escaped text has no dot inside a label (a dot byte is written \056).
    labels = text.rstrip(".").split(".")
    return "".join(label + "." for label in reversed(labels))


def described(record_set: Mapping[str, Any]) -> str:
    """How Route 53's messages name a record set: `[name='www.example.com.', type='A']`, with
    `, set-identifier='east'` inside the brackets when it has one."""
    text = f"[name='{record_set['Name']}', type='{record_set['Type']}'"
    if record_set.get("SetIdentifier") is not None:
        text += f", set-identifier='{record_set['SetIdentifier']}'"
    return text + "]"


def canonical(record_set: Mapping[str, Any]) -> dict[str, Any]:
    """A record set as the API keeps and lists it: its name (and an alias's DNSName) in the
    listed form, every other member as written. Raises `names.InvalidName`."""
    result = dict(record_set)
    result["Name"] = listed_name(parse_name(record_set["Name"]))
    alias = record_set.get("AliasTarget")
    if alias is not None:
        result["AliasTarget"] = {**alias, "DNSName": listed_name(parse_name(alias["DNSName"]))}
    return result


def same_values(given: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether a DELETE's record set repeats the current one (both canonical), as Route 53
    requires: every member equal, the values in any order."""

    def comparable(record_set: Mapping[str, Any]) -> dict[str, Any]:
        result = dict(record_set)
        values = record_set.get("ResourceRecords")
        if values is not None:
            result["ResourceRecords"] = sorted(item["Value"] for item in values)
        alias = record_set.get("AliasTarget")
        if alias is not None:
            result["AliasTarget"] = {
                **alias,
                "HostedZoneId": alias["HostedZoneId"].upper(),
                "EvaluateTargetHealth": bool(alias.get("EvaluateTargetHealth")),
            }
        return result

    return comparable(given) == comparable(current)
