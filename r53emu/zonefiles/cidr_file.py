"""The `cidr_collections:` section of a zone file -> `CidrCollection`s (semantics §3.8).

`collection -> location name -> [CIDR blocks]`. Location names are 1..16 of `[0-9A-Za-z_-]`;
`*` is the default location every collection has and holds no blocks. Blocks are IPv4 /1../24
or IPv6 /1../48, written without host bits, each in one location of its collection.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from r53emu.model.catalog import CidrCollection, IPNetwork, Source
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.fieldreaders import read_list, read_mapping, read_str
from r53emu.zonefiles.quoting import quoted, quoted_if_long
from r53emu.zonefiles.sourcefile import source_text

# Route 53 collections have UUID ids and 1..64-character names of these characters.
COLLECTION_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
LOCATION_NAME = re.compile(r"[0-9A-Za-z_-]{1,16}")
MAX_PREFIX = {4: 24, 6: 48}


@dataclass(frozen=True)
class ParsedCollection:
    """One collection of a section: its id and field, its location names (written, valid or
    not) with their blocks, and the collection itself when it has no error."""

    id: str
    at: Field
    locations: dict[str, tuple[IPNetwork, ...]]
    collection: CidrCollection | None


def parse_cidr_collections(
    value: Any, at: Field, errors: list[ZoneError]
) -> list[ParsedCollection]:
    """Every collection of one `cidr_collections:` mapping, errors appended."""
    mapping = read_mapping(value, at, errors)
    if mapping is None:
        return []
    result = []
    for key, raw in mapping.items():
        collection_at = at.child(mapping, key)
        collection_id = source_text(key) if isinstance(key, int | float) else str(key)
        before = len(errors)
        if not COLLECTION_ID.fullmatch(collection_id):
            errors.append(
                collection_at.error(
                    f"{quoted(collection_id)} is not a collection id (1..64 of 0-9 A-Z a-z _ -)"
                )
            )
        locations = _locations(raw, collection_at, errors)
        collection = None
        if len(errors) == before:
            source = Source(collection_at.file, collection_at.line)
            collection = CidrCollection(id=collection_id, locations=locations, source=source)
        result.append(ParsedCollection(collection_id, collection_at, locations, collection))
    return result


def _locations(raw: Any, at: Field, errors: list[ZoneError]) -> dict[str, tuple[IPNetwork, ...]]:
    mapping = read_mapping(raw, at, errors)
    if mapping is None:
        return {}
    locations: dict[str, tuple[IPNetwork, ...]] = {}
    placed: dict[IPNetwork, str] = {}  # block -> its location, for duplicates
    for key, blocks_raw in mapping.items():
        location_at = at.child(mapping, key)
        name = source_text(key) if isinstance(key, int | float) else str(key)
        if name == "*":
            errors.append(
                location_at.error(
                    '"*" is the default location of every collection; it holds no blocks'
                )
            )
        elif not LOCATION_NAME.fullmatch(name):
            errors.append(
                location_at.error(
                    f"{quoted(name)} is not a location name (1..16 of 0-9 A-Z a-z _ -)"
                )
            )
        locations[name] = _blocks(blocks_raw, location_at, name, placed, errors)
    return locations


def _blocks(
    raw: Any, at: Field, location: str, placed: dict[IPNetwork, str], errors: list[ZoneError]
) -> tuple[IPNetwork, ...]:
    values = read_list(raw, at, errors)
    if values is None:
        return ()
    if not values:
        errors.append(at.error("needs at least one CIDR block"))
    blocks = []
    for index, value in enumerate(values):
        block_at = at.child(values, index)
        block = read_block(value, block_at, errors)
        if block is None:
            continue
        # A block in two locations would make the answer depend on file order; Route 53's
        # handling of that is UNCONFIRMED, so it is refused here.
        if block in placed:
            where = "this location" if placed[block] == location else f"location {placed[block]}"
            errors.append(block_at.error(f"{block} is already in {where} of this collection"))
            continue
        placed[block] = location
        blocks.append(block)
    return tuple(blocks)


def read_block(value: Any, at: Field, errors: list[ZoneError]) -> IPNetwork | None:
    """A collection block: IPv4 /1../24 or IPv6 /1../48 without host bits (§3.8)."""
    block = read_network(value, at, errors)
    if block is None:
        return None
    longest = MAX_PREFIX[block.version]
    if not 1 <= block.prefixlen <= longest:
        errors.append(
            at.error(
                f"{block}: IPv{block.version} blocks of a CIDR collection are /1 to /{longest} "
                '(the "*" location stands for /0)'
            )
        )
        return None
    return block


def read_network(value: Any, at: Field, errors: list[ZoneError]) -> IPNetwork | None:
    """An IPv4 or IPv6 network written `address/length`, without host bits."""
    text = read_str(value, at, errors)
    if text is None:
        return None
    text = text.strip()
    if "/" not in text:
        errors.append(at.error(f"{quoted(text)} is not a CIDR block (write address/prefix-length)"))
        return None
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        try:
            meant = ipaddress.ip_network(text, strict=False)
        except ValueError:
            # ipaddress's own message only repeats the whole text: "... does not appear to be
            # an IPv4 or IPv6 network"
            problem = "not an IPv4 or IPv6 address/prefix-length"
            errors.append(at.error(f"{quoted(text)} is not a CIDR block ({problem})"))
            return None
        shown = quoted_if_long(text)  # the prefix may be written with any number of zeros
        errors.append(at.error(f"{shown} has host bits set (the block is {meant})"))
        return None
