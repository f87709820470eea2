"""Typed reads of zone-file fields that report problems instead of raising.

Each reader takes the raw value, its `Field` and the error list; it returns the converted value,
or None after appending a `ZoneError` that names the file, line and field. Numbers may be written
as strings, as Terraform writes them (`ttl: "300"`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from r53emu.errors import Field, ZoneError
from r53emu.sourcefile import LineDict, LineList, source_text

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


class _Reported:
    """The type of `REPORTED`."""

    def __repr__(self) -> str:
        return "REPORTED"


# Stands in for a value whose problem a converter already reported (a malformed JSON
# `{"Value": ...}` item): `read_str` skips it without a second error.
REPORTED = _Reported()


def read_int(value: Any, where: Field, errors: list[ZoneError], low: int, high: int) -> int | None:
    """An integer in low..high, given as a YAML number or a string of digits."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None:
        errors.append(where.error(f"{value!r} is not a whole number"))
        return None
    if not low <= number <= high:
        errors.append(where.error(f"{number} is not in {low}..{high}"))
        return None
    return number


def read_str(value: Any, where: Field, errors: list[ZoneError]) -> str | None:
    """A text value; plain numbers are accepted as the text they were written as (`name: 010`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return source_text(value)
    if value is REPORTED:
        return None
    errors.append(where.error(f"expected text, found {_kind(value)}"))
    return None


def read_bool(value: Any, where: Field, errors: list[ZoneError]) -> bool | None:
    """true/false, also as the strings "true"/"false" (Terraform writes both)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    errors.append(where.error(f"expected true or false, found {value!r}"))
    return None


def read_mapping(value: Any, where: Field, errors: list[ZoneError]) -> LineDict | None:
    if isinstance(value, LineDict):
        return value
    errors.append(where.error(f"expected a mapping, found {_kind(value)}"))
    return None


def read_list(value: Any, where: Field, errors: list[ZoneError]) -> LineList | None:
    if isinstance(value, LineList):
        return value
    errors.append(where.error(f"expected a list, found {_kind(value)}"))
    return None


def check_keys(
    mapping: LineDict, allowed: Iterable[str], where: Field, errors: list[ZoneError]
) -> None:
    """Report every key of `mapping` that is not in `allowed` (typos must not pass silently).

    The expected fields are listed as the file names them (`TTL` in a JSON dump).
    """
    known = tuple(allowed)
    shown = ", ".join(mapping.name_of(key) for key in known)
    for key in mapping:
        if key not in known:
            errors.append(
                where.child(mapping, key).error(f"unknown field (expected one of: {shown})")
            )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {source_text(value)}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{type(value).__name__} {value!r}"
