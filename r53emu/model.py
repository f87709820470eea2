"""The frozen model of hosted zones: what the loader builds and the lookup reads.

Nothing on the query path mutates these values; a reload builds a new `Catalog` and swaps it whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from r53emu.names import Name, to_text


@dataclass(frozen=True, slots=True)
class Source:
    """Where a definition was written: file and 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Rdata:
    """One value of a record set: its uncompressed wire form and its presentation text.

    `target` is the domain name the value points at for CNAME, MX, SRV and NS values (the names
    whose in-zone addresses go into the additional section, semantics §2.3), else None.
    """

    wire: bytes
    text: str
    target: Name | None = None


@dataclass(frozen=True, slots=True)
class AliasTarget:
    """An alias to another record set of the same hosted zone and type (semantics §4)."""

    name: Name
    evaluate_target_health: bool = False
    zone_id: str | None = None


@dataclass(frozen=True, slots=True)
class RecordSet:
    """One record set: a name, a type, and either TTL + values or an alias.

    `policy` names the routing policy in the routing registry ("simple" when the file gives none).
    """

    name: Name
    rtype: int
    ttl: int | None
    records: tuple[Rdata, ...]
    source: Source
    alias: AliasTarget | None = None
    policy: str = "simple"
    set_identifier: str | None = None

    @property
    def label(self) -> str:
        """How the explanation names this record set: its set identifier, else its values."""
        if self.set_identifier is not None:
            return self.set_identifier
        if self.alias is not None:
            return f"alias to {to_text(self.alias.name)}"
        return ", ".join(value.text for value in self.records)


@dataclass(frozen=True, slots=True)
class RecordGroup:
    """All record sets with the same name and type; they share one routing policy (§3.0)."""

    name: Name
    rtype: int
    policy: str
    members: tuple[RecordSet, ...]


@dataclass(frozen=True)
class Zone:
    """A hosted zone, indexed for lookup.

    `nodes` maps each owner name (lower-case key) to its groups by type. `existing` holds every
    owner name and every empty non-terminal between an owner and the apex (RFC 4592 closest
    encloser). `cuts` holds the delegation points: names below the apex with an NS group.
    """

    name: Name
    zone_id: str
    source: Source
    nodes: Mapping[Name, Mapping[int, RecordGroup]]
    existing: frozenset[Name]
    cuts: frozenset[Name]
    record_set_count: int
    nameservers: tuple[str, ...] = field(default=())

    def group(self, name: Name, rtype: int) -> RecordGroup | None:
        """The group at exactly `name` of type `rtype`, if the zone has one."""
        node = self.nodes.get(name)
        return None if node is None else node.get(rtype)

    @property
    def apex(self) -> Mapping[int, RecordGroup]:
        return self.nodes[self.name]


@dataclass(frozen=True)
class Catalog:
    """Every hosted zone r53emu serves, keyed by lower-case apex name."""

    zones: Mapping[Name, Zone]

    def find(self, qname: Name) -> Zone | None:
        """The hosted zone whose name is the longest suffix of `qname` (semantics §0 step 1)."""
        for start in range(len(qname) + 1):
            zone = self.zones.get(qname[start:])
            if zone is not None:
                return zone
        return None


EMPTY_CATALOG = Catalog(zones={})
