"""Hypothesis strategies for whole zones directories that load, valid by construction.

`zone_directories()` draws an account file and one or two hosted zones (a parent and sometimes a
child zone below it) as YAML texts for `r53emu.zonefiles.loader.load_catalog`, with:

- health checks that are never probed: routing controls On/Off, alarms OK/ALARM/
  INSUFFICIENT_DATA, inverted or disabled ones, and a CALCULATED check over them;
- a CIDR collection whose locations hold nested documentation blocks, and `client_locations`
  that place documentation subnets in countries, a US state, a Ukrainian oblast, China (for
  cn-north-1), one with a latency table;
- record sets of every kind: simple (several types, several values, small and over-512-byte TXT),
  CNAME, MX and SRV towards in-zone targets (additional section), a wildcard with an exact name
  beside it, NS delegations with glue and names hidden below them, aliases (with and without
  evaluate_target_health) to earlier record sets, and routed groups of every policy, some with
  aliases and health checks: weighted (weight 0 included), failover (one role or both), latency,
  geolocation (default and subdivision included), geoproximity (bias, coordinates, Local Zone
  groups), multivalue (up to 10 record sets, so more than 8 can be healthy) and IP-based.

Validity comes from construction rather than filtering: every family of record sets gets an
owner name of its own (so a CNAME never shares one), aliases only point at record sets drawn
earlier (so no cycle and no missing target), set identifiers and locations are unique within
a group, and health checks and CIDR locations are only referenced once they exist. The
`names` of a drawn directory are the names worth asking about: owners, names below them, empty
non-terminals, names a wildcard covers, names below a delegation, and names in no zone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

Draw = st.DrawFn
RecordSetDoc = dict[str, Any]

ACCOUNT_FILE = "account.yaml"
ZONE_NAMES = ("gen.test", "shop.example", "deep.zone.example.net")
CHILD_LABEL = "kid"
OUTSIDE_NAMES = ("example.com.", "test.", ".", "mail.example.net.")

# Documentation subnets a client can be in (client_locations) and CIDR blocks can hold; nested
# on purpose, so the longest match has to win in both.
LOCATED_SUBNETS = (
    "198.51.100.0/26",
    "198.51.100.64/26",
    "198.51.100.0/24",
    "203.0.113.0/25",
    "203.0.113.128/25",
    "2001:db8:1::/48",
    "2001:db8::/32",
)
CIDR_BLOCKS = (  # a collection holds IPv4 /1../24 and IPv6 /1../48 blocks
    "198.51.100.0/24",
    "198.51.96.0/20",
    "203.0.113.0/24",
    "192.0.2.0/24",
    "2001:db8::/32",
    "2001:db8:1::/48",
)
CIDR_LOCATIONS = ("hq", "branch", "lab")
PLACES: tuple[dict[str, Any], ...] = (
    {"country": "DE", "latitude": 50.11, "longitude": 8.68},
    {"country": "US", "subdivision": "CA", "latitude": 37.77, "longitude": -122.42},
    {"country": "US"},
    {"country": "JP", "latency": {"ap-northeast-1": 5, "us-east-1": 160, "eu-central-1": 230}},
    {"country": "FR"},
    {"country": "CN"},
    {"country": "BR"},
    {"country": "UA", "subdivision": "30"},
)

REGIONS = (
    "us-east-1",
    "us-west-2",
    "eu-central-1",
    "eu-west-1",
    "ap-northeast-1",
    "sa-east-1",
    "cn-north-1",
)
GEO_LOCATIONS: tuple[dict[str, str], ...] = (
    {"country": "*"},
    {"country": "DE"},
    {"country": "US"},
    {"country": "US", "subdivision": "CA"},
    {"country": "JP"},
    {"country": "UA", "subdivision": "30"},
    {"continent": "EU"},
    {"continent": "NA"},
    {"continent": "AS"},
)
GEOPROXIMITY_PLACES: tuple[dict[str, Any], ...] = (
    {"aws_region": "eu-central-1"},
    {"aws_region": "us-west-2"},
    {"aws_region": "us-east-1"},
    {"coordinates": {"latitude": "35.68", "longitude": "139.69"}},
    {"coordinates": {"latitude": "-33.87", "longitude": "151.21"}},
    {"local_zone_group": "us-east-1-bos-1"},
    {"local_zone_group": "us-west-2-lax-1"},
)
WEIGHTS = st.one_of(st.sampled_from((1, 3, 255, 0)), st.integers(0, 255))
TTLS = st.sampled_from((0, 1, 60, 300, 86400))

SIMPLE_TYPES = ("A", "AAAA", "TXT", "MX", "SRV", "CAA")
ROUTED_TYPES = ("A", "A", "AAAA", "TXT")  # A twice: aliases find targets more often
ALIAS_TYPES = frozenset({"A", "AAAA", "TXT"})
ROUTED_POLICIES = (
    "weighted",
    "failover",
    "latency",
    "geolocation",
    "geoproximity",
    "multivalue",
    "cidr",
)
FAMILIES = ("simple", "cname", "wildcard", "delegation", "alias", "big", *ROUTED_POLICIES)


@dataclass(frozen=True)
class ZoneDirectory:
    """A drawn zones directory: its files as YAML text and the names worth querying."""

    files: tuple[tuple[str, str], ...]  # (file name, YAML text)
    names: tuple[str, ...]  # absolute, lower-case
    groups: tuple[tuple[str, str, str], ...]  # (owner, type, policy) of every group drawn
    check_ids: tuple[str, ...]
    subnets: tuple[str, ...]  # subnets client_locations or the CIDR collection place

    def write(self, directory: Path) -> Path:
        """Write every file into `directory` and return it."""
        for file_name, text in self.files:
            (directory / file_name).write_text(text, encoding="utf-8")
        return directory

    def text(self) -> str:
        """All files, each under a `# file` line (for the report of a failing example)."""
        return "\n".join(f"# {name}\n{text}" for name, text in self.files)


@dataclass
class _Values:
    """Distinct record values across the whole directory, so every answer says where it came
    from (and values never repeat inside one record set, which the loader refuses)."""

    counter: itertools.count[int] = field(default_factory=itertools.count)

    def ipv4(self) -> str:
        n = next(self.counter)
        return f"{('192.0.2', '198.51.100', '203.0.113')[n // 254 % 3]}.{n % 254 + 1}"

    def ipv6(self) -> str:
        return f"2001:db8:ffff::{next(self.counter):x}"

    def text(self, size: int) -> str:
        """A TXT value of about `size` bytes: one quoted string, or two above 255 bytes."""
        head = f"v{next(self.counter)}-"
        body = (head + "x" * size)[:size] if size > len(head) else head
        if len(body) <= 255:
            return f'"{body}"'
        return f'"{body[:255]}" "{body[255:510]}"'


@dataclass
class _Zone:
    """A zone being drawn: its record sets, the groups they form and the names to ask."""

    apex: str  # lower-case, without the trailing dot
    values: _Values
    check_ids: tuple[str, ...]
    cidr_locations: tuple[str, ...]
    record_sets: list[RecordSetDoc] = field(default_factory=list)
    groups: dict[tuple[str, str], str] = field(default_factory=dict)  # (owner, type) -> policy
    names: list[str] = field(default_factory=list)
    next_label: itertools.count[int] = field(default_factory=itertools.count)

    def absolute(self, relative: str) -> str:
        return f"{self.apex}." if relative == "@" else f"{relative}.{self.apex}."

    def fresh(self, prefix: str) -> str:
        """A relative owner name no family has used."""
        return f"{prefix}{next(self.next_label)}"

    def add(self, relative: str, rtype: str, policy: str, record_set: RecordSetDoc) -> None:
        self.record_sets.append({"name": relative, "type": rtype, **record_set})
        self.groups[(self.absolute(relative), rtype)] = policy

    def alias_targets(self, rtype: str) -> list[str]:
        return sorted(owner for owner, kind in self.groups if kind == rtype)

    def address_owners(self) -> list[str]:
        return sorted({owner for owner, kind in self.groups if kind in ("A", "AAAA")})


def values_of(draw: Draw, zone: _Zone, rtype: str, targets: list[str]) -> list[str]:
    """Values of one record set of `rtype`; MX, SRV and CNAME point at one of `targets`."""
    if rtype == "CNAME":
        return [draw(st.sampled_from(targets))]
    count = draw(st.integers(1, 3))
    if rtype == "A":
        return [zone.values.ipv4() for _ in range(count)]
    if rtype == "AAAA":
        return [zone.values.ipv6() for _ in range(count)]
    if rtype == "TXT":
        return [zone.values.text(draw(st.sampled_from((4, 40, 300)))) for _ in range(count)]
    if rtype == "CAA":
        return ['0 issue "amazon.com"', '0 iodef "mailto:ops@example.net"'][:count]
    chosen = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=3, unique=True))
    if rtype == "MX":
        return [f"{10 * (n + 1)} {target}" for n, target in enumerate(chosen)]
    assert rtype == "SRV"
    return [f"{n} 5 5060 {target}" for n, target in enumerate(chosen)]


def targets_of(zone: _Zone) -> list[str]:
    """Names a CNAME, MX or SRV may point at: in-zone owners (their A/AAAA become additional
    records), an in-zone name that does not exist, and a name outside the zone."""
    return [*zone.address_owners(), f"nope.{zone.apex}.", "mail.example.net."]


def records_or_alias(
    draw: Draw, zone: _Zone, rtype: str, allow_alias: bool, targets: list[str]
) -> RecordSetDoc:
    """`ttl` + `records`, or (when allowed and a target exists) an `alias`."""
    candidates = zone.alias_targets(rtype) if allow_alias and rtype in ALIAS_TYPES else []
    if candidates and draw(st.integers(0, 2)) == 0:
        alias = {
            "name": draw(st.sampled_from(candidates)),
            "evaluate_target_health": draw(st.booleans()),
        }
        return {"alias": alias}
    return {"ttl": draw(TTLS), "records": values_of(draw, zone, rtype, targets)}


def health_check(draw: Draw, zone: _Zone) -> dict[str, str]:
    if not zone.check_ids or draw(st.integers(0, 2)) == 0:
        return {}
    return {"health_check_id": draw(st.sampled_from(zone.check_ids))}


def routing_attributes(draw: Draw, zone: _Zone, policy: str) -> list[dict[str, Any]]:
    """One `*_routing_policy` mapping per member of a group, unique where the policy says."""
    if policy == "weighted":
        count = draw(st.sampled_from((2, 3, 4, 1)))
        return [{"weighted_routing_policy": {"weight": draw(WEIGHTS)}} for _ in range(count)]
    if policy == "failover":
        both = draw(st.sampled_from((("PRIMARY", "SECONDARY"), ("SECONDARY", "PRIMARY"))))
        roles = both[: draw(st.sampled_from((1, 2, 2)))]  # one role alone is served (§3.4)
        return [{"failover_routing_policy": {"type": role}} for role in roles]
    if policy == "latency":
        regions = draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=4, unique=True))
        return [{"latency_routing_policy": {"region": region}} for region in regions]
    if policy == "geolocation":
        places = draw(distinct(GEO_LOCATIONS, 5))
        return [{"geolocation_routing_policy": place} for place in places]
    if policy == "geoproximity":
        places = draw(distinct(GEOPROXIMITY_PLACES, 4))
        return [{"geoproximity_routing_policy": {**place, **bias(draw)}} for place in places]
    if policy == "multivalue":
        count = draw(st.sampled_from((9, 10, 3, 8, 1)))  # over 8: a random 8 per answer
        return [{"multivalue_answer_routing_policy": True} for _ in range(count)]
    assert policy == "cidr"
    locations = draw(
        st.lists(st.sampled_from((*zone.cidr_locations, "*")), min_size=1, max_size=4, unique=True)
    )
    return [
        {"cidr_routing_policy": {"collection_id": "corp", "location_name": location}}
        for location in locations
    ]


def distinct(options: tuple[dict[str, Any], ...], most: int) -> st.SearchStrategy[list[Any]]:
    """1..`most` different items of `options` (mappings, which are not hashable)."""
    indices = st.lists(st.sampled_from(range(len(options))), min_size=1, max_size=most, unique=True)
    return indices.map(lambda chosen: [options[n] for n in chosen])


def bias(draw: Draw) -> dict[str, int]:
    value = draw(st.sampled_from((0, 0, 25, -50, 99, -99)))
    return {"bias": value} if value else {}


def routed_group(draw: Draw, zone: _Zone, policy: str, relative: str) -> None:
    """A group of one routing policy at `relative`: aliases where Route 53 allows them."""
    rtype = draw(st.sampled_from(ROUTED_TYPES))
    if policy in ("weighted", "failover") and relative != "@" and draw(st.integers(0, 4)) == 0:
        rtype = "CNAME"
    targets = targets_of(zone)
    members = []
    for index, attributes in enumerate(routing_attributes(draw, zone, policy)):
        member = records_or_alias(draw, zone, rtype, policy != "multivalue", targets)
        members.append(
            {**member, "set_identifier": f"{policy[:3]}-{index}", **attributes}
            | health_check(draw, zone)
        )
    for member in members:
        zone.add(relative, rtype, policy, member)
    owner = zone.absolute(relative)
    zone.names.extend((owner, f"below.{owner}"))


def simple_family(draw: Draw, zone: _Zone, relative: str) -> None:
    """Simple record sets of several types at one name (aliases among them)."""
    types = draw(st.lists(st.sampled_from(SIMPLE_TYPES), min_size=1, max_size=3, unique=True))
    targets = [*targets_of(zone), zone.absolute(relative)]
    for rtype in types:
        zone.add(relative, rtype, "simple", records_or_alias(draw, zone, rtype, True, targets))
    owner = zone.absolute(relative)
    zone.names.extend((owner, f"below.{owner}"))


def cname_family(draw: Draw, zone: _Zone) -> None:
    relative = zone.fresh("c")
    record_set = {"ttl": draw(TTLS), "records": values_of(draw, zone, "CNAME", targets_of(zone))}
    zone.add(relative, "CNAME", "simple", record_set)
    zone.names.append(zone.absolute(relative))


def wildcard_family(draw: Draw, zone: _Zone) -> None:
    """`*.wcN` (simple, CNAME or weighted) beside an exact name and an empty non-terminal."""
    parent = zone.fresh("wc")
    relative = f"*.{parent}"
    kind = draw(st.sampled_from(("simple", "cname", "weighted")))
    if kind == "weighted":
        routed_group(draw, zone, "weighted", relative)
    else:
        rtype = "CNAME" if kind == "cname" else draw(st.sampled_from(("A", "TXT", "MX")))
        targets = targets_of(zone)
        zone.add(relative, rtype, "simple", records_or_alias(draw, zone, rtype, True, targets))
    zone.add(f"exact.{parent}", "TXT", "simple", {"ttl": 60, "records": [zone.values.text(8)]})
    zone.add(f"leaf.ent.{parent}", "A", "simple", {"ttl": 60, "records": [zone.values.ipv4()]})
    base = zone.absolute(parent)
    zone.names.extend(
        (
            f"any.{base}",
            f"a.b.{base}",
            f"*.{base}",
            f"exact.{base}",
            f"ent.{base}",
            f"x.ent.{base}",
            f"x.exact.{base}",
            base,
        )
    )


def delegation_family(draw: Draw, zone: _Zone, relative: str | None = None) -> None:
    """NS for a child below the apex, with in-zone glue (A, sometimes AAAA) and a name below
    the cut that must never be answered."""
    relative = relative or zone.fresh("del")
    glue = f"ns1.{relative}"
    nameservers = [zone.absolute(glue), "ns.example.net."]
    zone.add(relative, "NS", "simple", {"ttl": 172800, "records": nameservers})
    zone.add(glue, "A", "simple", {"ttl": 300, "records": [zone.values.ipv4()]})
    if draw(st.booleans()):
        zone.add(glue, "AAAA", "simple", {"ttl": 300, "records": [zone.values.ipv6()]})
    zone.add(f"hidden.{relative}", "TXT", "simple", {"ttl": 60, "records": [zone.values.text(8)]})
    owner = zone.absolute(relative)
    zone.names.extend((owner, zone.absolute(glue), f"hidden.{owner}", f"x.y.{owner}"))


def alias_family(draw: Draw, zone: _Zone, relative: str) -> None:
    """A simple alias to an earlier record set of the same type (records when there is none)."""
    rtype = draw(st.sampled_from(tuple(sorted(ALIAS_TYPES))))
    zone.add(relative, rtype, "simple", records_or_alias(draw, zone, rtype, True, []))
    zone.names.append(zone.absolute(relative))


def big_family(draw: Draw, zone: _Zone, relative: str) -> None:
    """A TXT record set over 512 bytes (truncated without EDNS), sometimes over 4,096."""
    count = draw(st.sampled_from((3, 6, 20)))
    values = [zone.values.text(200) for _ in range(count)]
    zone.add(relative, "TXT", "simple", {"ttl": 300, "records": values})
    zone.names.append(zone.absolute(relative))


def family(draw: Draw, zone: _Zone, kind: str, apex_free: bool) -> bool:
    """Draw one family of record sets into `zone`; True when it took the apex."""
    if kind == "cname":
        cname_family(draw, zone)
        return False
    if kind == "wildcard":
        wildcard_family(draw, zone)
        return False
    if kind == "delegation":
        delegation_family(draw, zone)
        return False
    at_apex = apex_free and kind != "big" and draw(st.booleans())
    relative = "@" if at_apex else zone.fresh(kind[:2])
    if not at_apex and draw(st.integers(0, 3)) == 0:
        relative = f"{relative}.sub"  # sub.<zone> becomes an empty non-terminal
        zone.names.append(zone.absolute("sub"))
    if kind == "simple" or (kind == "cidr" and not zone.cidr_locations):
        simple_family(draw, zone, relative)  # (IP-based needs a collection to route on)
    elif kind == "alias":
        alias_family(draw, zone, relative)
    elif kind == "big":
        big_family(draw, zone, relative)
    else:
        routed_group(draw, zone, kind, relative)
    return at_apex


def zone_document(draw: Draw, zone: _Zone, kinds: list[str]) -> dict[str, Any]:
    """The zone file's mapping: families in drawn order, sometimes SOA and name servers."""
    apex_free = True
    for kind in kinds:
        apex_free &= not family(draw, zone, kind, apex_free)
    document: dict[str, Any] = {"zone": zone.apex}
    if draw(st.booleans()):
        # MINIMUM below the SOA TTL: negative answers carry min(TTL, MINIMUM) (semantics §2.1).
        document["soa"] = {"minimum": draw(st.sampled_from((60, 86400))), "ttl": 900}
    if draw(st.integers(0, 3)) == 0:
        # In-zone name servers: an apex NS answer then carries their addresses as additional.
        document["nameservers"] = [f"ns1.{zone.apex}.", "ns2.example.net."]
        zone.add("ns1", "A", "simple", {"ttl": 3600, "records": [zone.values.ipv4()]})
    document["record_sets"] = zone.record_sets
    apex = zone.absolute("@")
    zone.names.extend((apex, f"nope.{apex}", f"a.nope.{apex}", *odd_names(apex)))
    return document


def odd_names(apex: str) -> tuple[str, ...]:
    """Names in the zone that are unusual on the wire: a dot and non-ASCII bytes inside a
    label, a label of 63 bytes, a name of exactly 255 bytes, a literal `*` label."""
    room = 255 - (len(apex) + 1)  # wire bytes of the apex: its text with the dot, plus one
    full, rest = divmod(room, 64)  # labels of 63 bytes take 64 each
    if rest < 2:  # the last label needs a length byte and at least one byte
        full, rest = full - 1, rest + 64
    longest = ".".join(["y" * 63] * full + ["z" * (rest - 1)])
    return (
        f"a\\.b.{apex}",
        f"\\200\\255x.{apex}",
        f"{'x' * 63}.{apex}",
        f"{longest}.{apex}",
        f"*.{apex}",
    )


@st.composite
def health_checks(draw: Draw) -> dict[str, dict[str, Any]]:
    """Checks that are never probed, keyed by id; a CALCULATED one over some of the others."""
    checks: dict[str, dict[str, Any]] = {}
    for n in range(draw(st.sampled_from((2, 3, 1, 4, 0)))):
        if draw(st.booleans()):
            check: dict[str, Any] = {
                "type": "RECOVERY_CONTROL",
                "routing_control_state": draw(st.sampled_from(("On", "Off"))),
            }
        else:
            check = {
                "type": "CLOUDWATCH_METRIC",
                "alarm_state": draw(st.sampled_from(("OK", "ALARM", "INSUFFICIENT_DATA"))),
                "insufficient_data_health_status": draw(
                    st.sampled_from(("Healthy", "Unhealthy", "LastKnownStatus"))
                ),
            }
        flag = draw(st.sampled_from(("", "", "invert_healthcheck", "disabled")))
        if flag:
            check[flag] = True
        checks[f"hc{n}"] = check
    if draw(st.booleans()) and checks:
        children = draw(st.lists(st.sampled_from(sorted(checks)), min_size=1, unique=True))
        checks["calc"] = {
            "type": "CALCULATED",
            "child_healthchecks": children,
            "child_health_threshold": draw(st.integers(0, len(children) + 1)),
        }
    return checks


@st.composite
def cidr_collection(draw: Draw) -> dict[str, list[str]]:
    """Location -> blocks of the `corp` collection; each block in at most one location."""
    assignment = draw(
        st.lists(
            st.sampled_from((None, *CIDR_LOCATIONS)),
            min_size=len(CIDR_BLOCKS),
            max_size=len(CIDR_BLOCKS),
        )
    )
    locations: dict[str, list[str]] = {}
    for block, location in zip(CIDR_BLOCKS, assignment, strict=True):
        if location is not None:
            locations.setdefault(location, []).append(block)
    return locations


@st.composite
def client_locations(draw: Draw) -> list[dict[str, Any]]:
    subnets = draw(st.lists(st.sampled_from(LOCATED_SUBNETS), max_size=5, unique=True))
    return [{"cidr": subnet, **draw(st.sampled_from(PLACES))} for subnet in subnets]


@st.composite
def zone_directories(draw: Draw) -> ZoneDirectory:
    """A zones directory that loads: see the module docstring."""
    checks = draw(health_checks())
    collection = draw(cidr_collection())
    locations = draw(client_locations())
    account: dict[str, Any] = {"health_checks": checks} if checks else {}
    if collection:
        account["cidr_collections"] = {"corp": collection}
    if locations:
        account["client_locations"] = locations
    files = [(ACCOUNT_FILE, _yaml(account))] if account else []
    values = _Values()
    apex = draw(st.sampled_from(ZONE_NAMES))
    parent = _Zone(apex, values, tuple(checks), tuple(collection))
    kinds = draw(st.lists(st.sampled_from(FAMILIES), min_size=1, max_size=10))
    child_kinds = draw(st.one_of(st.none(), st.lists(st.sampled_from(FAMILIES), max_size=4)))
    if child_kinds is not None:
        # The parent delegates the child zone it also hosts: the child's own answers win.
        delegation_family(draw, parent, CHILD_LABEL)
    documents = [zone_document(draw, parent, kinds)]
    zones = [parent]
    if child_kinds is not None:
        child = _Zone(f"{CHILD_LABEL}.{apex}", values, tuple(checks), tuple(collection))
        documents.append(zone_document(draw, child, child_kinds))
        zones.append(child)
    files += [(f"{document['zone']}.yaml", _yaml(document)) for document in documents]
    names = sorted({name for zone in zones for name in zone.names} | set(OUTSIDE_NAMES))
    groups = sorted((*group, policy) for zone in zones for group, policy in zone.groups.items())
    subnets = sorted({location["cidr"] for location in locations} | _blocks(collection))
    return ZoneDirectory(tuple(files), tuple(names), tuple(groups), tuple(checks), tuple(subnets))


def _blocks(collection: dict[str, list[str]]) -> set[str]:
    return {block for blocks in collection.values() for block in blocks}


def _yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=120)
