"""Every routing truth table of semantics §3 (and the alias rules of §4), end to end.

One seeded server serves one zone, `wire.test`, where each scenario (a policy with one pattern of
health) sits on its own name; health comes from RECOVERY_CONTROL switches (`up` is "On", `down`
is "Off") and one CLOUDWATCH_METRIC check in ALARM. Clients are placed with `client_locations`
on documentation ranges and sent as EDNS Client Subnet by dnspython. Each row asks its name a
number of times and checks the set of answers seen, the size of each answer, AA, the rcode, the
SOA of NODATA answers, and the ECS echo: scope = the source prefix when the answer depended on
the client's location, else 0 (semantics §2.9, as r53emu/wire.py implements the recommendation).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer
from tests.support.helpers import query, write_zones

Address = tuple[str, int]

ZONE = "wire.test"
SEED = 20240604  # fixed, so the answers seen over a row's queries are the same every run

# Where clients are: each /28 of 203.0.113.0/24 is one place (client_locations below).
US_CA = "203.0.113.0/28"  # San Francisco
US_TX = "203.0.113.16/28"  # a US state with no record of its own
CANADA = "203.0.113.32/28"  # NA continent, no country record
GERMANY = "203.0.113.48/28"  # Frankfurt
JAPAN_TABLE = "203.0.113.64/28"  # Japan, with a latency table that prefers eu-central-1
JAPAN = "203.0.113.80/28"  # Japan, latency from distance
ICELAND = "203.0.113.96/28"  # Reykjavik: eu-central-1 2,377 km, us-east-1 4,523 km away
UNLOCATED = "192.0.2.0/24"  # in no rule and not in the built-in data

ACCOUNT = f"""\
health_checks:
  up: {{type: RECOVERY_CONTROL, routing_control_state: "On"}}
  down: {{type: RECOVERY_CONTROL, routing_control_state: "Off"}}
  alarm: {{type: CLOUDWATCH_METRIC, alarm_state: ALARM}}
cidr_collections:
  corp:
    hq: [198.51.100.0/24, "2001:db8::/32"]
    lab: ["2001:db8:1200::/40"]
    site: ["2001:db8:1234::/48"]
client_locations:
  - {{cidr: {US_CA}, country: US, subdivision: CA, latitude: 37.77, longitude: -122.42}}
  - {{cidr: {US_TX}, country: US, subdivision: TX}}
  - {{cidr: {CANADA}, country: CA}}
  - {{cidr: {GERMANY}, country: DE, latitude: 50.11, longitude: 8.68}}
  - {{cidr: {JAPAN_TABLE}, country: JP, latency: {{ap-northeast-1: 250, eu-central-1: 5}}}}
  - {{cidr: {JAPAN}, country: JP}}
  - {{cidr: {ICELAND}, country: IS, latitude: 64.13, longitude: -21.94}}
"""

HEALTH = {"H": "up", "U": "down", "A": "alarm", "-": None}


def record(
    name: str, value: str, set_id: str, policy: str, health: str = "-", ttl: int = 60
) -> str:
    """One A record set as a flow-style YAML list item; `health` is H, U, A or - (no check)."""
    check = HEALTH[health]
    suffix = f", health_check_id: {check}" if check else ""
    return (
        f"  - {{name: {name}, type: A, ttl: {ttl}, records: [{value}], "
        f"set_identifier: {set_id}, {policy}{suffix}}}"
    )


def alias(
    name: str, set_id: str, policy: str, target: str, evaluate: bool, health: str = "-"
) -> str:
    """An A alias record set to `target` in this zone, with a health check if `health` says."""
    eth = "true" if evaluate else "false"
    check = HEALTH[health]
    suffix = f", health_check_id: {check}" if check else ""
    return (
        f"  - {{name: {name}, type: A, set_identifier: {set_id}, {policy}, "
        f"alias: {{name: {target}.{ZONE}., evaluate_target_health: {eth}}}{suffix}}}"
    )


def weighted(name: str, weights: tuple[int, ...], health: str, first: int) -> list[str]:
    """Records R1.. with the given weights and health, values 192.0.2.<first>, <first+1>, ..."""
    return [
        record(
            name,
            f"192.0.2.{first + i}",
            f"r{i + 1}",
            f"weighted_routing_policy: {{weight: {w}}}",
            h,
        )
        for i, (w, h) in enumerate(zip(weights, health, strict=True))
    ]


# Geolocation families: (set id, location, value); `health` gives one letter per entry.
GEO_LOCATIONS = [
    ("ca", "{country: US, subdivision: CA}", "192.0.2.21"),
    ("us", "{country: US}", "192.0.2.22"),
    ("na", "{continent: NA}", "192.0.2.23"),
    ("eu", "{continent: EU}", "192.0.2.24"),
    ("default", '{country: "*"}', "192.0.2.20"),
]


def geolocation(name: str, health: str, with_default: bool = True) -> list[str]:
    """The GEO_LOCATIONS records (without the default if asked), one health letter each."""
    locations = GEO_LOCATIONS if with_default else GEO_LOCATIONS[:-1]
    return [
        record(name, value, set_id, f"geolocation_routing_policy: {location}", h)
        for (set_id, location, value), h in zip(locations, health, strict=True)
    ]


LATENCY_REGIONS = [
    ("us-west-1", "192.0.2.91"),
    ("us-east-1", "192.0.2.92"),
    ("eu-central-1", "192.0.2.93"),
    ("ap-northeast-1", "192.0.2.94"),
]


def latency(name: str, health: str) -> list[str]:
    """One record per LATENCY_REGIONS entry, one health letter each."""
    return [
        record(name, value, region, f"latency_routing_policy: {{region: {region}}}", h)
        for (region, value), h in zip(LATENCY_REGIONS, health, strict=True)
    ]


def geoproximity(name: str, health: str, us_bias: int = 0, eu_bias: int = 0) -> list[str]:
    """eu-central-1 (.81), us-east-1 (.82) and a point in Tokyo (.83), with the given biases."""
    places = [
        ("fra", f"{{aws_region: eu-central-1, bias: {eu_bias}}}", "192.0.2.81"),
        ("iad", f"{{aws_region: us-east-1, bias: {us_bias}}}", "192.0.2.82"),
        ("tokyo", '{coordinates: {latitude: "35.68", longitude: "139.69"}}', "192.0.2.83"),
    ]
    return [
        record(name, value, set_id, f"geoproximity_routing_policy: {where}", h)
        for (set_id, where, value), h in zip(places, health, strict=True)
    ]


def multivalue(name: str, health: str) -> list[str]:
    """One record per health letter, values 192.0.2.101, .102, ..."""
    return [
        record(name, f"192.0.2.{101 + i}", f"m{i + 1}", "multivalue_answer_routing_policy: true", h)
        for i, h in enumerate(health)
    ]


CIDR_LOCATIONS = [("hq", "192.0.2.31"), ("lab", "192.0.2.32"), ("site", "192.0.2.33")]


def ip_based(
    name: str, locations: str, health: str | None = None, with_default: bool = True
) -> list[str]:
    """Records for the named corp locations (some of hq, lab, site), then the `*` record;
    `health` has one letter per record (default: none has a check)."""
    chosen = [(loc, value) for loc, value in CIDR_LOCATIONS if loc in locations.split()]
    if with_default:
        chosen.append(("'*'", "192.0.2.30"))
    health = health or "-" * len(chosen)
    return [
        record(
            name,
            value,
            location.strip("'*") or "rest",
            f"cidr_routing_policy: {{collection_id: corp, location_name: {location}}}",
            h,
        )
        for (location, value), h in zip(chosen, health, strict=True)
    ]


def failover(name: str, health: str) -> list[str]:
    """Primary .41 and secondary .42 with the given health letters."""
    return [
        record(
            name, "192.0.2.41", "primary", "failover_routing_policy: {type: PRIMARY}", health[0]
        ),
        record(
            name, "192.0.2.42", "secondary", "failover_routing_policy: {type: SECONDARY}", health[1]
        ),
    ]


def failover_alias(name: str, target: str, evaluate: bool, health: str = "-") -> list[str]:
    """A primary alias to `target` (health check per `health`) and a secondary .42 without."""
    return [
        alias(
            name, "primary", "failover_routing_policy: {type: PRIMARY}", target, evaluate, health
        ),
        record(name, "192.0.2.42", "secondary", "failover_routing_policy: {type: SECONDARY}"),
    ]


def latency_tree(name: str, west: str, evaluate: bool) -> list[str]:
    """A latency record set whose us-west-1 and us-east-1 members alias weighted pools (§4)."""
    return [
        alias(name, "west", "latency_routing_policy: {region: us-west-1}", west, evaluate),
        alias(name, "east", "latency_routing_policy: {region: us-east-1}", "pool-east", evaluate),
    ]


RECORD_SETS = [
    "  - {name: simple, type: A, ttl: 60, records: [192.0.2.1, 192.0.2.2]}",
    # §3.2: AWS's tables, weights 1, 1, 0 (R1 .11, R2 .12, R3 .13); "-" = no health check.
    *weighted("w-uuh", (1, 1, 0), "UUH", 11),
    *weighted("w-uuu", (1, 1, 0), "UUU", 11),
    *weighted("w-uhu", (1, 1, 0), "UHU", 11),
    *weighted("w-hhu", (1, 1, 0), "HHU", 11),
    *weighted("w-hhh", (1, 1, 0), "HHH", 11),
    *weighted("w-hh-", (1, 1, 0), "HH-", 11),
    *weighted("w-uu-", (1, 1, 0), "UU-", 11),
    *weighted("w-uh-", (1, 1, 0), "UH-", 11),
    *weighted("w-zero", (0, 0, 0), "---", 11),
    *weighted("w-guide", (10, 20, 20), "HHU", 11),
    # §3.4: primary .41, secondary .42.
    *failover("fo-hh", "HH"),
    *failover("fo-hu", "HU"),
    *failover("fo-uh", "UH"),
    *failover("fo-uu", "UU"),
    *failover("fo-u-", "U-"),
    *failover("fo-alarm", "A-"),
    *failover_alias("fo-alias-up", "pool-west-up", evaluate=True),
    *failover_alias("fo-alias-down", "pool-west-down", evaluate=True),
    *failover_alias("fo-alias-noeth", "pool-west-down", evaluate=False),
    *failover_alias("fo-alias-check-down", "pool-west-up", evaluate=True, health="U"),
    # Weighted pools that aliases point at (§4).
    *weighted("pool-west-up", (1, 1), "HH", 61),
    *weighted("pool-west-down", (1, 1), "UU", 63),
    *weighted("pool-east", (1, 1), "--", 71),
    # §3.5: ca, us, na, eu, default.
    *geolocation("geo", "HHHHH"),
    *geolocation("geo-ca-down", "UHHHH"),
    *geolocation("geo-ca-us-down", "UUHHH"),
    *geolocation("geo-only-default", "UUUUH"),
    *geolocation("geo-all-down", "UUUUU"),
    *geolocation("geo-no-default", "HHHH", with_default=False),
    # §3.3: us-west-1, us-east-1, eu-central-1, ap-northeast-1.
    *latency("lat", "----"),
    *latency("lat-best-down", "UHHH"),
    *latency("lat-all-down", "UUUU"),
    # §3.6: fra, iad, tokyo.
    *geoproximity("gp", "---"),
    *geoproximity("gp-plus", "---", us_bias=75),
    *geoproximity("gp-weak", "---", us_bias=40),
    *geoproximity("gp-minus", "---", eu_bias=-50),
    *geoproximity("gp-fra-down", "U--"),
    *geoproximity("gp-all-down", "UUU"),
    # §3.7.
    *multivalue("mv-some", "UHU-H-U-HH"),
    *multivalue("mv-one", "UUUUHUUUUU"),
    *multivalue("mv-many", "HHHHHH------"),
    *multivalue("mv-none", "UUUUUUUUUU"),
    *multivalue("mv-nine", "HUH-U-H-UHH-"),
    # §3.8: hq .31, lab .32, site .33, * .30.
    *ip_based("ip", "hq lab site"),
    *ip_based("ip-site", "site"),
    *ip_based("ip-no-default", "hq lab", with_default=False),
    *ip_based("ip-hq-down", "hq", health="UH"),
    # §4: latency -> weighted decision trees.
    *latency_tree("tree", "pool-west-up", evaluate=True),
    *latency_tree("tree-backout", "pool-west-down", evaluate=True),
    *latency_tree("tree-noeth", "pool-west-down", evaluate=False),
    alias("w-to-geo", "only", "weighted_routing_policy: {weight: 1}", "geo", evaluate=False),
]

ZONE_FILE = f"zone: {ZONE}\nrecord_sets:\n" + "\n".join(RECORD_SETS) + "\n"


@dataclass(frozen=True)
class Row:
    """One row of a truth table: ask `name` from `subnet` `samples` times.

    `expected` is the set of A values seen over all the answers (empty: NODATA), `per_answer`
    the number of records in every answer, `located` whether the answer depends on where the
    client is (ECS scope = source prefix) or not (scope 0).
    """

    name: str
    expected: frozenset[str]
    subnet: str = UNLOCATED
    located: bool = False
    samples: int = 3
    per_answer: int = 1


def values(*last_octets: int) -> frozenset[str]:
    return frozenset(f"192.0.2.{octet}" for octet in last_octets)


RANDOM = 60  # queries for rows whose answer is drawn at random: every possible answer shows up
NODATA = frozenset[str]()

ROWS: dict[str, Row] = {
    "simple: both values, scope 0": Row("simple", values(1, 2), GERMANY, per_answer=2),
    # §3.2, HC on the zero-weight record.
    "weighted U,U,H: R3 only": Row("w-uuh", values(13), samples=RANDOM),
    "weighted U,U,U: R1 and R2 (fail-open)": Row("w-uuu", values(11, 12), samples=RANDOM),
    "weighted U,H,U: R2": Row("w-uhu", values(12), samples=RANDOM),
    "weighted H,H,U: R1 and R2": Row("w-hhu", values(11, 12), samples=RANDOM),
    "weighted H,H,H: R1 and R2": Row("w-hhh", values(11, 12), samples=RANDOM),
    # §3.2, no HC on the zero-weight record.
    "weighted H,H,-: R1 and R2": Row("w-hh-", values(11, 12), samples=RANDOM),
    "weighted U,U,-: R3": Row("w-uu-", values(13), samples=RANDOM),
    "weighted U,H,-: R2": Row("w-uh-", values(12), samples=RANDOM),
    "weighted all zero: all equally likely": Row("w-zero", values(11, 12, 13), samples=RANDOM),
    "weighted 10/20/20, third unhealthy: first two": Row("w-guide", values(11, 12), samples=RANDOM),
    # §3.4.
    "failover H,H: primary": Row("fo-hh", values(41)),
    "failover H,U: primary": Row("fo-hu", values(41)),
    "failover U,H: secondary": Row("fo-uh", values(42)),
    "failover U,U: primary": Row("fo-uu", values(41)),
    "failover U, no check: secondary": Row("fo-u-", values(42)),
    "failover primary in ALARM: secondary": Row("fo-alarm", values(42)),
    "failover alias primary, target healthy: target": Row(
        "fo-alias-up", values(61, 62), samples=RANDOM
    ),
    "failover alias primary ETH, target all unhealthy: secondary": Row("fo-alias-down", values(42)),
    "failover alias primary ETH, target healthy, own check unhealthy: secondary": Row(
        "fo-alias-check-down", values(42)
    ),
    "failover alias primary without ETH: descends into unhealthy target": Row(
        "fo-alias-noeth", values(63, 64), samples=RANDOM
    ),
    # §3.5.
    "geolocation subdivision": Row("geo", values(21), US_CA, located=True),
    "geolocation country (other state)": Row("geo", values(22), US_TX, located=True),
    "geolocation continent NA": Row("geo", values(23), CANADA, located=True),
    "geolocation continent EU": Row("geo", values(24), GERMANY, located=True),
    "geolocation no match: default": Row("geo", values(20), JAPAN, located=True),
    "geolocation unlocated: default": Row("geo", values(20), UNLOCATED, located=True),
    "geolocation subdivision unhealthy: country": Row(
        "geo-ca-down", values(22), US_CA, located=True
    ),
    "geolocation subdivision, country unhealthy: continent": Row(
        "geo-ca-us-down", values(23), US_CA, located=True
    ),
    "geolocation all but default unhealthy: default": Row(
        "geo-only-default", values(20), US_CA, located=True
    ),
    "geolocation all unhealthy: most specific": Row(
        "geo-all-down", values(21), US_CA, located=True
    ),
    "geolocation no match, no default: NODATA": Row(
        "geo-no-default", NODATA, JAPAN, located=True, per_answer=0
    ),
    "geolocation unlocated, no default: NODATA": Row(
        "geo-no-default", NODATA, UNLOCATED, located=True, per_answer=0
    ),
    "geolocation no default, country match": Row("geo-no-default", values(22), US_TX, located=True),
    # §3.3.
    "latency nearest us-west-1": Row("lat", values(91), US_CA, located=True),
    "latency nearest eu-central-1": Row("lat", values(93), GERMANY, located=True),
    "latency nearest ap-northeast-1": Row("lat", values(94), JAPAN, located=True),
    "latency table beats distance": Row("lat", values(93), JAPAN_TABLE, located=True),
    "latency unlocated: us-east-1": Row("lat", values(92), UNLOCATED, located=True),
    "latency best unhealthy: next best": Row("lat-best-down", values(92), US_CA, located=True),
    "latency all unhealthy: best (fail-open)": Row("lat-all-down", values(91), US_CA, located=True),
    # §3.6.
    "geoproximity nearest region": Row("gp", values(81), ICELAND, located=True),
    "geoproximity coordinates": Row("gp", values(83), JAPAN, located=True),
    "geoproximity unlocated: us-east-1": Row("gp", values(82), UNLOCATED, located=True),
    "geoproximity bias +75 flips the winner": Row("gp-plus", values(82), ICELAND, located=True),
    "geoproximity bias +40 is not enough": Row("gp-weak", values(81), ICELAND, located=True),
    "geoproximity bias -50 flips the winner": Row("gp-minus", values(82), ICELAND, located=True),
    "geoproximity nearest unhealthy: next": Row("gp-fra-down", values(82), ICELAND, located=True),
    "geoproximity all unhealthy: nearest": Row("gp-all-down", values(81), ICELAND, located=True),
    # §3.7.
    "multivalue 7 healthy of 10: exactly those": Row(
        "mv-some", values(102, 104, 105, 106, 108, 109, 110), per_answer=7
    ),
    "multivalue 1 healthy of 10: only it": Row("mv-one", values(105), per_answer=1),
    "multivalue 12 healthy: 8 at random": Row(
        "mv-many", values(*range(101, 113)), samples=RANDOM, per_answer=8
    ),
    "multivalue 9 healthy of 12: 8 of the healthy ones": Row(
        "mv-nine", values(101, 103, 104, 106, 107, 108, 110, 111, 112), samples=RANDOM, per_answer=8
    ),
    "multivalue none healthy: 8 regardless": Row(
        "mv-none", values(*range(101, 111)), samples=RANDOM, per_answer=8
    ),
    # §3.8.
    "ip-based IPv4 block": Row("ip", values(31), "198.51.100.0/24", located=True),
    "ip-based longer ECS inside the block": Row(
        "ip", values(31), "198.51.100.128/25", located=True
    ),
    "ip-based longest of three blocks wins": Row(
        "ip", values(33), "2001:db8:1234::/48", located=True
    ),
    "ip-based /48 block, /64 ECS": Row("ip", values(33), "2001:db8:1234:5678::/64", located=True),
    "ip-based /40 ECS: the /40 block, not the /48 inside": Row(
        "ip", values(32), "2001:db8:1200::/40", located=True
    ),
    "ip-based /48 ECS outside the /48 block: the /40": Row(
        "ip", values(32), "2001:db8:1299::/48", located=True
    ),
    "ip-based /32 ECS: the /32 block, not the longer ones inside": Row(
        "ip", values(31), "2001:db8::/32", located=True
    ),
    "ip-based /32 ECS never matches a /48 block: *": Row(
        "ip-site", values(30), "2001:db8::/32", located=True
    ),
    "ip-based /48 ECS matches the /48 block": Row(
        "ip-site", values(33), "2001:db8:1234::/48", located=True
    ),
    "ip-based no match: *": Row("ip", values(30), "203.0.113.0/24", located=True),
    "ip-based no match, no *: NODATA": Row(
        "ip-no-default", NODATA, "203.0.113.0/24", located=True, per_answer=0
    ),
    "ip-based match, no *": Row("ip-no-default", values(31), "198.51.100.0/24", located=True),
    "ip-based match unhealthy: *": Row("ip-hq-down", values(30), "198.51.100.0/24", located=True),
    # §4: a latency alias tree over weighted pools.
    "alias tree: nearest branch": Row("tree", values(61, 62), US_CA, located=True, samples=RANDOM),
    "alias tree ETH, nearest branch all unhealthy: next branch": Row(
        "tree-backout", values(71, 72), US_CA, located=True, samples=RANDOM
    ),
    "alias tree without ETH: descends into the unhealthy branch": Row(
        "tree-noeth", values(63, 64), US_CA, located=True, samples=RANDOM
    ),
    "alias tree, client nearest the east branch": Row(
        "tree", values(71, 72), UNLOCATED, located=True, samples=RANDOM
    ),
    "weighted alias to a geolocation group: located by the target": Row(
        "w-to-geo", values(21), US_CA, located=True
    ),
    "weighted alias to a geolocation group, elsewhere": Row(
        "w-to-geo", values(24), GERMANY, located=True
    ),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Address]:
    """One seeded server on `wire.test` and the account file, for the whole module."""
    directory = write_zones(
        tmp_path_factory.mktemp("routing-wire") / "zones",
        {"account.yaml": ACCOUNT, "wire.test.yaml": ZONE_FILE},
    )
    config = ServerConfig(zones=Path(directory), address="127.0.0.1", port=0, seed=SEED)
    with BackgroundServer(config) as background:
        yield background.address


def ecs_of(reply: dns.message.Message) -> dns.edns.ECSOption:
    (option,) = [opt for opt in reply.options if isinstance(opt, dns.edns.ECSOption)]
    return option


def ask(server: Address, name: str, subnet: str) -> dns.message.Message:
    network = ipaddress.ip_network(subnet)
    option = dns.edns.ECSOption(str(network.network_address), network.prefixlen)
    return query(server, f"{name}.{ZONE}", "A", use_edns=0, options=[option])


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
def test_truth_table_row(server: Address, row: Row) -> None:
    """Each §3/§4 truth-table row answers its records, AA, NOERROR, with the ECS echo it should."""
    network = ipaddress.ip_network(row.subnet)
    seen: set[str] = set()
    for _ in range(row.samples):
        reply = ask(server, row.name, row.subnet)
        assert reply.rcode() == dns.rcode.NOERROR
        assert reply.flags & dns.flags.AA
        answer = [rr for rrset in reply.answer for rr in rrset]
        assert len(answer) == row.per_answer, reply.to_text()
        for rrset in reply.answer:
            assert rrset.name.to_text() == f"{row.name}.{ZONE}."
            assert rrset.rdtype == dns.rdatatype.A
        texts = [rr.to_text() for rr in answer]
        assert len(set(texts)) == len(texts), "a record appears twice in one answer"
        seen.update(texts)
        if not row.expected:
            (soa,) = reply.authority
            assert soa.rdtype == dns.rdatatype.SOA
            assert soa.name.to_text() == f"{ZONE}."
        echoed = ecs_of(reply)
        assert echoed.address == str(network.network_address)
        assert echoed.srclen == network.prefixlen
        assert echoed.scopelen == (network.prefixlen if row.located else 0)
    assert seen == row.expected
