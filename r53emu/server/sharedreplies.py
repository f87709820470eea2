"""Replies shared by the names a zone does not hold below one name: the reply cache's key for them.

A name a zone does not hold (a name under a wildcard, an NXDOMAIN name) is answered from what
its ancestors hold: the lookup (answer.lookup) finds the zone and the delegation above it, then
the closest encloser (the nearest ancestor the zone holds) and its wildcard, and none of that
depends on the labels below the closest encloser, as long as the one right below it is not the
label of a name the catalog holds there (a node, an empty non-terminal, a hosted zone's apex or
a name above one): then nothing below it is held either. So every name `P.E` whose part `P`
below the closest encloser `E` starts with such a label is answered alike, but for the owner of
the records synthesized from the wildcard, which is the question's name. r53emu packs that owner
as a pointer to the question's name (offset 12) and values as stored, so the reply of one such
name serves every other whose part `P` has as many bytes, byte for byte once the question is
swapped: every compression pointer points at the same offsets (the question's name, or `E` and
what follows, which are the same).

The reply cache keys such a reply by `shared_key` (the length of `P` in bytes, then `E`, type
and class as sent, behind a byte no question can start with); a query not cached by its own
question tries each split of its name (`candidates`) and takes a shared reply where the label
right above the split, lower-cased, is none of `ChildLabels.of(E)`. `shareable` says whether an
answer just made may be shared so, and by which split: the name is not held, not ANY (whose
reply is fitted to its own size), and no pointer into the question's name would change: only
record owners point at the whole name, nothing points inside `P`.

Clients asking endless distinct names under a wildcard or for NXDOMAIN (the hostile benchmark's
never-repeating rows) are so answered from the cache after one lookup per encloser and length.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from r53emu.model.catalog import Catalog
from r53emu.model.dnsconstants import TYPE_ANY
from r53emu.model.names import Name
from r53emu.model.query import Answer
from r53emu.server.wire import Packed, ParsedQuery

SHARED = b"\xff"  # starts a shared key: a question starts with a label length (at most 63)
MAX_SPLITS = 8  # the splits a query tries, from its first label down


def shared_key(question: bytes, below: int) -> bytes:
    """The key of the reply shared by the names whose first `below` bytes (whole labels) are
    below the closest encloser that the rest of `question` names."""
    return SHARED + bytes((below,)) + question[below:]


def candidates(question: bytes) -> Iterator[tuple[bytes, bytes]]:
    """For each split of the question's name below its first label, from the first label on:
    the shared key and the label right above the split (as sent)."""
    start, splits = 0, 0
    length = question[0]
    while length and splits < MAX_SPLITS:
        end = start + 1 + length
        yield shared_key(question, end), question[start + 1 : end]
        start, length, splits = end, question[end], splits + 1


class ChildLabels:
    """The labels, lower-cased, of the names the catalog holds directly under each parent."""

    def __init__(self, catalog: Catalog) -> None:
        children: dict[Name, set[bytes]] = {}
        for apex, zone in catalog.zones.items():
            for name in zone.existing:
                if name:
                    children.setdefault(name[1:], set()).add(name[0])
            for depth in range(len(apex)):  # the apex and the names between it and the root
                children.setdefault(apex[depth + 1 :], set()).add(apex[depth])
        self._children = {parent: frozenset(labels) for parent, labels in children.items()}

    def of(self, parent: Name) -> frozenset[bytes]:
        return self._children.get(parent, frozenset())


def shareable(
    query: ParsedQuery, answer: Answer, catalog: Catalog, packed: Packed | None
) -> tuple[int, Name] | None:
    """How many bytes of the question's name lie below its closest encloser, and that encloser
    (lower-cased), when the reply to `query` may be shared by the names alike (see the module
    docstring); else None."""
    if packed is None or query.qtype == TYPE_ANY or not query.qname or answer.zone is None:
        return None
    key = tuple(label.lower() for label in query.qname)
    zone = catalog.zones.get(answer.zone)
    if zone is None or key in zone.existing or len(key) <= len(zone.name):
        return None
    depth = len(key) - 1
    while depth > len(zone.name) and key[len(key) - depth :] not in zone.existing:
        depth -= 1
    encloser = key[len(key) - depth :]
    below = sum(1 + len(label) for label in query.qname[: len(key) - depth])
    if len(key) - depth > MAX_SPLITS:
        return None  # deeper than a query tries
    starts = {packed.question_end, *packed.ends[:-1]}
    for where, target in packed.question_pointers:
        if (target == 0 and where not in starts) or 0 < target < below:
            return None  # the question's name in a value, or a part of `P`
    return below, encloser


def renamed(answer: Answer, qname: Name) -> Answer:
    """`answer` (made for another name of the parent) as made for `qname`: the records that
    the first name owned are `qname`'s."""
    if not answer.answer:
        return answer
    old = answer.answer[0].name
    records = tuple(
        dataclasses.replace(record, name=qname) if record.name == old else record
        for record in answer.answer
    )
    return dataclasses.replace(answer, answer=records)
