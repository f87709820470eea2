"""Typed reads of zone-file fields that report problems instead of raising.

Each reader takes the raw value, its `Field` and the error list; it returns the converted value,
or None after appending a `ZoneError` that names the file, line and field. Numbers may be written
as strings, as Terraform writes them (`ttl: "300"`).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable
from typing import Any

from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.quoting import quoted, quoted_if_long
from r53emu.zonefiles.sourcefile import LineDict, LineList, source_text

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_MAX_DIGITS = 4_000  # Python's int() refuses text of more than 4,300 digits
_LARGEST = sys.float_info.max  # what a field read as a float holds at most


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
        # A plain int: a SourceInt keeps its source text in a dict of its own, and the catalog
        # would keep that for every TTL and weight it holds.
        number = int(value)
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        if len(value.strip()) > _MAX_DIGITS:  # past what int() reads, and past every range
            errors.append(where.error(f"{quoted(value)} is not in {low}..{high}"))
            return None
        number = int(value.strip())
    if number is None:
        errors.append(where.error(f"{quoted(value)} is not a whole number"))
        return None
    if not low <= number <= high:
        # As written: a number past the range may be too long to print (`0x` and 4,000 digits)
        shown = quoted_if_long(source_text(value) if isinstance(value, int) else value.strip())
        errors.append(where.error(f"{shown} is not in {low}..{high}"))
        return None
    return number


def read_number(
    value: Any, where: Field, errors: list[ZoneError], low: float, high: float | None = None
) -> float | None:
    """A finite number in low..high (no upper bound when `high` is None), as a number or text.

    A number too large for a float (`1` and 400 zeros, `1e400`) is out of range; infinity and
    NaN written as such (`.inf`, `"nan"`) are not numbers.
    """
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an int past a float's range
            number = math.inf if value > 0 else -math.inf
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or math.isnan(number) or (math.isinf(number) and not _has_digits(value)):
        errors.append(where.error(f"{_shown(value)} is not a number"))
        return None
    if number < low or (high is not None and number > high):
        bounds = f"in {low:g}..{high:g}" if high is not None else f"at least {low:g}"
        errors.append(where.error(f"{_shown(value)} is not {bounds}"))
        return None
    if math.isinf(number):
        errors.append(where.error(f"{_shown(value)} is too large (at most {_LARGEST:.4g})"))
        return None
    return number


def read_choice(
    value: Any, where: Field, errors: list[ZoneError], choices: Iterable[str]
) -> str | None:
    """One of `choices`, matched without regard to case and returned as the choice is spelled."""
    text = read_str(value, where, errors)
    if text is None:
        return None
    options = tuple(choices)
    for choice in options:
        if text.strip().lower() == choice.lower():
            return choice
    errors.append(where.error(f"{quoted(text)} is not one of {', '.join(options)}"))
    return None


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


def read_str_at(mapping: LineDict, key: str, where: Field, errors: list[ZoneError]) -> str | None:
    """`read_str` of `mapping[key]`, where `mapping` is the value at `where`.

    This and `read_int_at` make the key's `Field` only to report a problem: loading a large zone
    reads millions of fields and reports few.
    """
    value = mapping[key]
    return value if isinstance(value, str) else read_str(value, where.child(mapping, key), errors)


def read_int_at(
    mapping: LineDict, key: str, where: Field, errors: list[ZoneError], low: int, high: int
) -> int | None:
    """`read_int` of `mapping[key]`, where `mapping` is the value at `where`."""
    value = mapping[key]
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return int(value)
    return read_int(value, where.child(mapping, key), errors, low, high)


def read_bool(value: Any, where: Field, errors: list[ZoneError]) -> bool | None:
    """true/false, also as the strings "true"/"false" (Terraform writes both)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    errors.append(where.error(f"expected true or false, found {quoted(value)}"))
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
    known = allowed if isinstance(allowed, tuple) else tuple(allowed)
    for key in mapping:
        if key not in known:
            shown = ", ".join(name for name in map(mapping.name_of, known) if name)
            errors.append(
                where.child(mapping, key).error(f"unknown field (expected one of: {shown})")
            )


def _shown(value: Any) -> str:
    """A scalar as the user wrote it, for messages."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return quoted_if_long(source_text(value))
    return quoted(value)


def _has_digits(value: Any) -> bool:
    """Whether a number (or its text) is written with digits: `1e400`, not `.inf`."""
    text = source_text(value) if isinstance(value, int | float) else str(value)
    return any(character.isdigit() for character in text)


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
        return f"the number {quoted_if_long(source_text(value))}"
    if isinstance(value, str):
        return f"the text {quoted(value)}"
    return f"{type(value).__name__} {quoted(value)}"
