"""The frozen model of hosted zones: what the loader builds and the lookup reads.

Nothing on the query path mutates these values; a reload builds a new `Catalog` and swaps it whole.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from r53emu.model.names import Name, to_text

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Point = tuple[float, float]  # (latitude, longitude) in degrees

# The longest chain of aliases (an alias to an alias to ...) a zone may hold, counted in
# aliases: the loader refuses longer chains and the lookup never follows more. Route 53
# documents no depth (semantics §4); r53emu's bound, far above the few levels decision trees
# use, and low enough that resolving a chain stays cheap and shallow.
MAX_ALIAS_CHAIN = 32


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
class WeightedRouting:
    """`weighted_routing_policy`: weight 0..255 (semantics §3.2)."""

    weight: int


@dataclass(frozen=True, slots=True)
class LatencyRouting:
    """`latency_routing_policy`: the AWS Region of the resource (§3.3)."""

    region: str


@dataclass(frozen=True, slots=True)
class FailoverRouting:
    """`failover_routing_policy`: PRIMARY (primary=True) or SECONDARY (§3.4)."""

    primary: bool


@dataclass(frozen=True, slots=True)
class GeolocationRouting:
    """`geolocation_routing_policy`: a continent, or a country (+ subdivision); country `*` is
    the default record (§3.5)."""

    continent: str | None = None
    country: str | None = None
    subdivision: str | None = None

    @property
    def is_default(self) -> bool:
        return self.country == "*"


@dataclass(frozen=True, slots=True)
class GeoproximityRouting:
    """`geoproximity_routing_policy`: exactly one of region, local zone group or coordinates,
    plus a bias of -99..99 (§3.6)."""

    region: str | None = None
    local_zone_group: str | None = None
    coordinates: Point | None = None
    bias: int = 0


@dataclass(frozen=True, slots=True)
class MultivalueRouting:
    """`multivalue_answer_routing_policy: true` (§3.7)."""


@dataclass(frozen=True, slots=True)
class CidrRouting:
    """`cidr_routing_policy`: a collection and one of its locations; `*` is the default (§3.8).

    `blocks` are the location's CIDR blocks, resolved from the collection when zones load, so
    the policy needs nothing but the group.
    """

    collection_id: str
    location_name: str
    blocks: tuple[IPNetwork, ...] = ()

    @property
    def is_default(self) -> bool:
        return self.location_name == "*"


RoutingAttributes = (
    WeightedRouting
    | LatencyRouting
    | FailoverRouting
    | GeolocationRouting
    | GeoproximityRouting
    | MultivalueRouting
    | CidrRouting
)

# Policy names used in `RecordSet.policy` and the routing registry, by attribute class.
POLICY_NAMES: dict[type, str] = {
    WeightedRouting: "weighted",
    LatencyRouting: "latency",
    FailoverRouting: "failover",
    GeolocationRouting: "geolocation",
    GeoproximityRouting: "geoproximity",
    MultivalueRouting: "multivalue",
    CidrRouting: "cidr",
}


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
    routing: RoutingAttributes | None = None
    health_check_id: str | None = None

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
class HealthCheckSpec:
    """A health check of the `health_checks:` section (Terraform `aws_route53_health_check`).

    Probed types: HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH, TCP. CALCULATED combines
    `child_healthchecks` with `child_health_threshold`. RECOVERY_CONTROL and CLOUDWATCH_METRIC
    are switches: `routing_control_state` ("On"/"Off") and `alarm_state` ("OK"/"ALARM"/
    "INSUFFICIENT_DATA", an r53emu extension) hold their state as the file sets it.
    """

    id: str
    type: str
    source: Source
    ip_address: str | None = None
    fqdn: str | None = None
    port: int | None = None
    resource_path: str = "/"
    search_string: str | None = None
    request_interval: float = 30.0
    failure_threshold: int = 3
    invert_healthcheck: bool = False
    disabled: bool = False
    enable_sni: bool = True
    child_healthchecks: tuple[str, ...] = ()
    child_health_threshold: int = 1
    routing_control_state: str | None = None
    alarm_state: str | None = None
    insufficient_data_health_status: str = "LastKnownStatus"


@dataclass(frozen=True)
class CidrCollection:
    """A CIDR collection (`cidr_collections:`): location name -> CIDR blocks (§3.8)."""

    id: str
    locations: Mapping[str, tuple[IPNetwork, ...]]
    source: Source


@dataclass(frozen=True)
class ClientLocationRule:
    """An entry of `client_locations:`: where clients of `network` are (emulator-specific).

    `latency` is an explicit table of milliseconds per AWS Region for latency routing.
    """

    network: IPNetwork
    source: Source
    country: str | None = None
    subdivision: str | None = None
    continent: str | None = None
    coordinates: Point | None = None
    latency: Mapping[str, float] | None = None


@dataclass(frozen=True)
class Catalog:
    """Every hosted zone r53emu serves, keyed by lower-case apex name, with the account-level
    sections merged across files: health checks, CIDR collections and client locations."""

    zones: Mapping[Name, Zone]
    health_checks: Mapping[str, HealthCheckSpec] = field(default_factory=dict)
    cidr_collections: Mapping[str, CidrCollection] = field(default_factory=dict)
    client_locations: tuple[ClientLocationRule, ...] = ()

    def find(self, qname: Name) -> Zone | None:
        """The hosted zone whose name is the longest suffix of `qname` (semantics §0 step 1)."""
        for start in range(len(qname) + 1):
            zone = self.zones.get(qname[start:])
            if zone is not None:
                return zone
        return None


EMPTY_CATALOG = Catalog(zones={})
