"""Values quoted in load errors, never whole: a prefix of a long value, then its length.

A zone file may hold a value of many megabytes (a mistake or an attack); an error that quoted it
whole made a reload response and a log line just as large. Every zone-file error quotes values
through `quoted`, and `clipped` bounds a whole message or field path (what the model's own
exceptions say about a value is not ours to shorten at the source).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The characters of a value an error message quotes; a longer value shows this many, then
# `...` and its length. Enough to recognise a name, an address or the start of a TXT value.
QUOTE_CHARS = 60
# The characters of one error's message or field path (a safety net behind `quoted`: the
# longest message r53emu writes itself, an unknown field listing the expected ones, is ~400).
MAX_MESSAGE_CHARS = 1_000
_MAX_NESTING = 8  # levels of a mapping or list shown inside a quoted value


def quoted(value: Any, limit: int = QUOTE_CHARS) -> str:
    """`repr(value)` when it is short; else its first `limit` characters, `...` and the length.

    Lists and mappings are shown item by item only as far as `limit` reaches, so a value that
    aliases expand to millions of items is never walked whole.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    pieces: list[str] = []
    _bounded_repr(value, pieces, limit + 1, 0)
    text = "".join(pieces)
    return text if len(text) <= limit else f"{text[:limit]}..."


def quoted_if_long(text: str, limit: int = QUOTE_CHARS) -> str:
    """`text` as it is when short (a number, an address: `300 is not in ...`), else `quoted`."""
    return text if len(text) <= limit else quoted(text, limit)


def clipped(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text`, or its first `limit` characters, `...` and its length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def _bounded_repr(value: Any, pieces: list[str], budget: int, depth: int) -> int:
    """Append `repr(value)` to `pieces` until `budget` characters are written; the remainder."""
    if budget <= 0:
        return 0
    if isinstance(value, str):
        text = repr(value[:budget])
    elif isinstance(value, dict | list | tuple) and depth < _MAX_NESTING:
        items: Iterable[Any]
        if isinstance(value, dict):
            opening, closing, items = "{", "}", value.items()
        elif isinstance(value, list):
            opening, closing, items = "[", "]", value
        else:
            opening, closing, items = "(", ",)" if len(value) == 1 else ")", value
        pieces.append(opening)
        budget -= 1
        for index, item in enumerate(items):
            if budget <= 0:
                return 0
            if index:
                pieces.append(", ")
                budget -= 2
            if isinstance(value, dict):
                key, item = item
                budget = _bounded_repr(key, pieces, budget, depth + 1)
                pieces.append(": ")
                budget -= 2
            budget = _bounded_repr(item, pieces, budget, depth + 1)
        text = closing
    elif isinstance(value, dict | list | tuple):
        text = "..."
    else:
        try:
            text = repr(value)
        except ValueError:  # an int too long to print (Python's 4,300-digit limit)
            text = f"<a number of about {value.bit_length() * 0.30103:,.0f} digits>"
    pieces.append(text[:budget])
    return budget - len(text)
