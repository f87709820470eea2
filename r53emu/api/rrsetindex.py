"""One hosted zone's record sets in the API's shape, kept in listing order.

A listing page costs the same at the first page and the last: the keys stay sorted (`bisect`
finds where a page starts) and a change moves only the keys it adds or removes, so no request
sorts the zone again. Values are the record sets as the API lists them (`rrsetnames.canonical`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from r53emu.api.rrsetnames import SortKey

RecordSetData = dict[str, Any]


class Page(NamedTuple):
    """Up to `max_items` record sets from a start, and the key of the one after them, if any."""

    record_sets: list[RecordSetData]
    next_key: SortKey | None


class RecordSetIndex:
    """Record sets by key, with the keys in listing order."""

    def __init__(self) -> None:
        self._keys: list[SortKey] = []
        self._sets: dict[SortKey, RecordSetData] = {}

    def __len__(self) -> int:
        return len(self._sets)

    def __contains__(self, key: object) -> bool:
        return key in self._sets

    def get(self, key: SortKey) -> RecordSetData | None:
        return self._sets.get(key)

    def items(self) -> Iterator[tuple[SortKey, RecordSetData]]:
        """Every (key, record set), in no particular order (building a zone needs none)."""
        return iter(self._sets.items())

    def apply(self, changed: Mapping[SortKey, RecordSetData | None]) -> None:
        """Put each record set of `changed`, or remove it where the value is None."""
        for key, record_set in changed.items():
            present = key in self._sets
            if record_set is None:
                if present:
                    del self._sets[key]
                    del self._keys[bisect.bisect_left(self._keys, key)]
                continue
            if not present:
                bisect.insort(self._keys, key)
            self._sets[key] = record_set

    def page(self, start: SortKey | None, max_items: int) -> Page:
        """The record sets from the first whose key is at least `start` (from the first of all
        when None)."""
        first = 0 if start is None else bisect.bisect_left(self._keys, start)
        keys = self._keys[first : first + max_items + 1]
        following = keys[max_items] if len(keys) > max_items else None
        return Page([self._sets[key] for key in keys[:max_items]], following)
