"""Routing fields of zone files load into the model the routing policies read (zone-format.md).

Each `*_routing_policy` key becomes `RecordSet.policy` (the registry name) and the matching
routing attributes; `health_check_id` and `set_identifier` are kept; CIDR records carry their
location's blocks. JSON dumps (semantics §7.2) load to the same record sets as YAML.
"""

from __future__ import annotations

import ipaddress
import json
import textwrap
from pathlib import Path

import pytest

from r53emu.model.catalog import (
    POLICY_NAMES,
    Catalog,
    CidrRouting,
    FailoverRouting,
    GeolocationRouting,
    GeoproximityRouting,
    LatencyRouting,
    MultivalueRouting,
    RecordGroup,
    RecordSet,
    RoutingAttributes,
    WeightedRouting,
)
from r53emu.model.dnsconstants import RECORD_TYPES
from r53emu.model.names import Name
from r53emu.zonefiles.loader import load_catalog

EXAMPLE: Name = (b"example", b"com")
ACCOUNT = """\
health_checks:
  hc1: {type: HTTP, ip_address: 127.0.0.1}
cidr_collections:
  corp:
    hq: [203.0.113.0/24, "2001:db8:1::/48"]
    branch: [198.51.100.0/24]
"""


def load(tmp_path: Path, records: str, account: str = ACCOUNT) -> Catalog:
    """Load `example.com.yaml` (default TTL 60, the given record-set lines) beside the account."""
    (tmp_path / "account.yaml").write_text(account, encoding="utf-8")
    text = "zone: example.com\nttl: 60\nrecord_sets:\n" + textwrap.indent(
        textwrap.dedent(records), "  "
    )
    (tmp_path / "example.com.yaml").write_text(text, encoding="utf-8")
    return load_catalog(tmp_path)


def group(catalog: Catalog, label: str, type_name: str = "A") -> RecordGroup:
    found = catalog.zones[EXAMPLE].group((label.encode(), *EXAMPLE), RECORD_TYPES[type_name])
    assert found is not None, f"no {type_name} group at {label}"
    return found


def only(catalog: Catalog, label: str, type_name: str = "A") -> RecordSet:
    members = group(catalog, label, type_name).members
    assert len(members) == 1
    return members[0]


# (policy text as written, expected routing attributes)
POLICY_CASES: list[tuple[str, RoutingAttributes]] = [
    ("weighted_routing_policy: {weight: 0}", WeightedRouting(0)),
    ("weighted_routing_policy: {weight: '255'}", WeightedRouting(255)),
    ("latency_routing_policy: {region: eu-central-1}", LatencyRouting("eu-central-1")),
    ("latency_routing_policy: {region: AP-Southeast-7}", LatencyRouting("ap-southeast-7")),
    ("failover_routing_policy: {type: PRIMARY}", FailoverRouting(primary=True)),
    ("failover_routing_policy: {type: secondary}", FailoverRouting(primary=False)),
    ("geolocation_routing_policy: {continent: eu}", GeolocationRouting(continent="EU")),
    ("geolocation_routing_policy: {country: de}", GeolocationRouting(country="DE")),
    ("geolocation_routing_policy: {country: '*'}", GeolocationRouting(country="*")),
    # YAML 1.1 would read the country code of Norway as false; zone files use YAML 1.2.
    ("geolocation_routing_policy: {country: NO}", GeolocationRouting(country="NO")),
    (
        "geolocation_routing_policy: {country: US, subdivision: ca}",
        GeolocationRouting(country="US", subdivision="CA"),
    ),
    (
        "geolocation_routing_policy: {country: UA, subdivision: 05}",
        GeolocationRouting(country="UA", subdivision="05"),
    ),
    (
        "geoproximity_routing_policy: {aws_region: us-west-2}",
        GeoproximityRouting(region="us-west-2"),
    ),
    (
        "geoproximity_routing_policy: {aws_region: eu-west-1, bias: '-99'}",
        GeoproximityRouting(region="eu-west-1", bias=-99),
    ),
    (
        "geoproximity_routing_policy: {local_zone_group: us-east-1-bue-1, bias: 99}",
        GeoproximityRouting(local_zone_group="us-east-1-bue-1", bias=99),
    ),
    (
        "geoproximity_routing_policy: {coordinates: {latitude: '40.71', longitude: '-74.01'}}",
        GeoproximityRouting(coordinates=(40.71, -74.01)),
    ),
    (
        "geoproximity_routing_policy: {coordinates: {latitude: -90, longitude: 180.0}}",
        GeoproximityRouting(coordinates=(-90.0, 180.0)),
    ),
    ("multivalue_answer_routing_policy: true", MultivalueRouting()),
    ("multivalue_answer_routing_policy: 'true'", MultivalueRouting()),
    (
        "cidr_routing_policy: {collection_id: corp, location_name: branch}",
        CidrRouting("corp", "branch", (ipaddress.ip_network("198.51.100.0/24"),)),
    ),
    (
        "cidr_routing_policy: {collection_id: corp, location_name: '*'}",
        CidrRouting("corp", "*", ()),
    ),
]


@pytest.mark.parametrize(("written", "expected"), POLICY_CASES, ids=[c[0] for c in POLICY_CASES])
def test_routing_policy_loads_into_its_attributes(
    tmp_path: Path, written: str, expected: RoutingAttributes
) -> None:
    """The record set gets the policy's registry name, its attributes and its set identifier."""
    catalog = load(
        tmp_path, f"- {{name: r, type: A, records: [192.0.2.1], set_identifier: id1, {written}}}"
    )
    record_set = only(catalog, "r")
    assert record_set.routing == expected
    assert record_set.policy == POLICY_NAMES[type(expected)]
    assert record_set.set_identifier == "id1"
    assert group(catalog, "r").policy == record_set.policy


def test_cidr_record_carries_every_block_of_its_location(tmp_path: Path) -> None:
    """A CIDR record's attributes hold its location's IPv4 and IPv6 blocks, in file order."""
    catalog = load(
        tmp_path,
        """\
        - {name: ip, type: A, records: [192.0.2.1], set_identifier: office,
           cidr_routing_policy: {collection_id: corp, location_name: hq}}
        - {name: ip, type: A, records: [192.0.2.2], set_identifier: rest,
           cidr_routing_policy: {collection_id: corp, location_name: "*"}}
        """,
    )
    office, rest = group(catalog, "ip").members
    assert isinstance(office.routing, CidrRouting)
    assert office.routing.blocks == (
        ipaddress.ip_network("203.0.113.0/24"),
        ipaddress.ip_network("2001:db8:1::/48"),
    )
    assert isinstance(rest.routing, CidrRouting)
    assert rest.routing.is_default
    assert rest.routing.blocks == ()


def test_group_members_keep_file_order_and_may_mix_alias_and_values(tmp_path: Path) -> None:
    """A routed group holds its record sets in file order; alias and non-alias members mix
    (semantics §3.0), and health checks and evaluate_target_health are kept per member."""
    catalog = load(
        tmp_path,
        """\
        - {name: api, type: A, records: [192.0.2.10], set_identifier: blue,
           weighted_routing_policy: {weight: 90}, health_check_id: hc1}
        - {name: api, type: A, set_identifier: green, weighted_routing_policy: {weight: 10},
           alias: {name: green.example.com, evaluate_target_health: true}}
        - {name: green, type: A, records: [192.0.2.20]}
        """,
    )
    api = group(catalog, "api")
    assert api.policy == "weighted"
    assert [m.set_identifier for m in api.members] == ["blue", "green"]
    assert [m.health_check_id for m in api.members] == ["hc1", None]
    alias = api.members[1].alias
    assert alias is not None
    assert alias.evaluate_target_health


def test_health_check_on_a_simple_record_is_kept(tmp_path: Path) -> None:
    """Route 53 accepts a health check on a simple record (it has no effect there, §3.1)."""
    record_set = only(
        load(tmp_path, "- {name: s, type: A, records: [192.0.2.1], health_check_id: hc1}"), "s"
    )
    assert (record_set.policy, record_set.health_check_id) == ("simple", "hc1")


def test_multivalue_false_is_simple_routing(tmp_path: Path) -> None:
    """`multivalue_answer_routing_policy: false` (as Terraform writes it) means no policy."""
    record_set = only(
        load(
            tmp_path,
            "- {name: s, type: A, records: [192.0.2.1], multivalue_answer_routing_policy: false}",
        ),
        "s",
    )
    assert (record_set.policy, record_set.routing, record_set.set_identifier) == (
        "simple",
        None,
        None,
    )


def test_same_set_identifier_in_different_groups_is_allowed(tmp_path: Path) -> None:
    """Set identifiers are unique per name and type only (semantics §3.0)."""
    catalog = load(
        tmp_path,
        """\
        - {name: a, type: A, records: [192.0.2.1], set_identifier: x,
           weighted_routing_policy: {weight: 1}}
        - {name: a, type: AAAA, records: ["2001:db8::1"], set_identifier: x,
           weighted_routing_policy: {weight: 1}}
        - {name: b, type: A, records: [192.0.2.1], set_identifier: x,
           latency_routing_policy: {region: us-east-1}}
        """,
    )
    assert only(catalog, "a", "AAAA").set_identifier == "x"
    assert only(catalog, "b").policy == "latency"


def test_failover_pair_and_a_lone_primary_load(tmp_path: Path) -> None:
    """One PRIMARY and one SECONDARY load; a group with only one of them is served as it is
    (semantics §3.4, UNCONFIRMED point 11)."""
    catalog = load(
        tmp_path,
        """\
        - {name: app, type: A, records: [192.0.2.1], set_identifier: p,
           failover_routing_policy: {type: PRIMARY}}
        - {name: app, type: A, records: [192.0.2.2], set_identifier: s,
           failover_routing_policy: {type: SECONDARY}}
        - {name: solo, type: A, records: [192.0.2.3], set_identifier: p,
           failover_routing_policy: {type: PRIMARY}}
        """,
    )
    assert [m.routing for m in group(catalog, "app").members] == [
        FailoverRouting(primary=True),
        FailoverRouting(primary=False),
    ]
    assert only(catalog, "solo").routing == FailoverRouting(primary=True)


def test_what_the_spec_recommends_accepting_loads(tmp_path: Path) -> None:
    """Differing TTLs in a weighted group and a failover alias without evaluate_target_health
    load (semantics §9 points 21 and 11, UNCONFIRMED: accepted)."""
    catalog = load(
        tmp_path,
        """\
        - {name: w, type: A, ttl: 30, records: [192.0.2.1], set_identifier: a,
           weighted_routing_policy: {weight: 1}}
        - {name: w, type: A, ttl: 300, records: [192.0.2.2], set_identifier: b,
           weighted_routing_policy: {weight: 1}}
        - {name: app, type: A, set_identifier: p, failover_routing_policy: {type: PRIMARY},
           alias: {name: w.example.com, evaluate_target_health: false}}
        """,
    )
    assert [m.ttl for m in group(catalog, "w").members] == [30, 300]
    primary = only(catalog, "app")
    assert primary.alias is not None
    assert not primary.alias.evaluate_target_health


def test_geolocation_locations_of_every_kind_share_one_group(tmp_path: Path) -> None:
    """Subdivision, country, continent and default records of one name form one group."""
    catalog = load(
        tmp_path,
        """\
        - {name: geo, type: A, records: [192.0.2.42], set_identifier: us-ca,
           geolocation_routing_policy: {country: US, subdivision: CA}}
        - {name: geo, type: A, records: [192.0.2.44], set_identifier: us,
           geolocation_routing_policy: {country: US}}
        - {name: geo, type: A, records: [192.0.2.43], set_identifier: na,
           geolocation_routing_policy: {continent: NA}}
        - {name: geo, type: A, records: [192.0.2.40], set_identifier: default,
           geolocation_routing_policy: {country: "*"}}
        """,
    )
    assert [m.set_identifier for m in group(catalog, "geo").members] == [
        "us-ca",
        "us",
        "na",
        "default",
    ]


@pytest.mark.parametrize(("policy", "limit"), [("weighted", 100), ("geoproximity", 30)])
def test_largest_groups_route53_allows_load(tmp_path: Path, policy: str, limit: int) -> None:
    """100 weighted and 30 geoproximity record sets of one name and type are within quota."""
    lines = []
    for i in range(limit):
        attributes = (
            "weighted_routing_policy: {weight: 1}"
            if policy == "weighted"
            else f"geoproximity_routing_policy: {{coordinates: {{latitude: {i}, longitude: 0}}}}"
        )
        lines.append(
            f"- {{name: a, type: A, records: [192.0.2.1], set_identifier: s{i}, {attributes}}}\n"
        )
    assert len(group(load(tmp_path, "".join(lines)), "a").members) == limit


def test_json_dump_routing_fields_load_like_yaml(tmp_path: Path) -> None:
    """A list-resource-record-sets dump with every routing field loads to the same record sets
    as the YAML zone that writes them with Terraform's names."""
    yaml_records = """\
        - {name: w, type: A, records: [192.0.2.1], set_identifier: w,
           weighted_routing_policy: {weight: 7}, health_check_id: hc1}
        - {name: l, type: A, records: [192.0.2.1], set_identifier: l,
           latency_routing_policy: {region: eu-west-1}}
        - {name: f, type: A, records: [192.0.2.1], set_identifier: f,
           failover_routing_policy: {type: SECONDARY}}
        - {name: g, type: A, records: [192.0.2.1], set_identifier: g,
           geolocation_routing_policy: {country: US, subdivision: NY}}
        - {name: c, type: A, records: [192.0.2.1], set_identifier: c,
           geolocation_routing_policy: {continent: AF}}
        - {name: p, type: A, records: [192.0.2.1], set_identifier: p,
           geoproximity_routing_policy: {coordinates: {latitude: "1.5", longitude: "-2.25"},
                                         bias: -10}}
        - {name: m, type: A, records: [192.0.2.1], set_identifier: m,
           multivalue_answer_routing_policy: true}
        - {name: i, type: A, records: [192.0.2.1], set_identifier: i,
           cidr_routing_policy: {collection_id: corp, location_name: hq}}
        """

    def rrs(label: str, **fields: object) -> dict[str, object]:
        return {
            "Name": f"{label}.example.com.",
            "Type": "A",
            "SetIdentifier": label,
            **fields,
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
        }

    dump = {
        "ResourceRecordSets": [
            rrs("w", Weight=7, HealthCheckId="hc1"),
            rrs("l", Region="eu-west-1"),
            rrs("f", Failover="SECONDARY"),
            rrs("g", GeoLocation={"CountryCode": "US", "SubdivisionCode": "NY"}),
            rrs("c", GeoLocation={"ContinentCode": "AF"}),
            rrs(
                "p",
                GeoProximityLocation={
                    "Coordinates": {"Latitude": "1.5", "Longitude": "-2.25"},
                    "Bias": -10,
                },
            ),
            rrs("m", MultiValueAnswer=True),
            rrs("i", CidrRoutingConfig={"CollectionId": "corp", "LocationName": "hq"}),
        ]
    }
    yaml_dir = tmp_path / "yaml"
    yaml_dir.mkdir()
    from_yaml = load(yaml_dir, yaml_records)
    json_dir = tmp_path / "json"
    json_dir.mkdir()
    (json_dir / "account.yaml").write_text(ACCOUNT, encoding="utf-8")
    (json_dir / "example.com.json").write_text(json.dumps(dump, indent=1), encoding="utf-8")
    from_json = load_catalog(json_dir)
    for label in "wlfgcpmi":
        yaml_set, json_set = only(from_yaml, label), only(from_json, label)
        assert (json_set.policy, json_set.routing, json_set.health_check_id) == (
            yaml_set.policy,
            yaml_set.routing,
            yaml_set.health_check_id,
        ), label
    assert only(from_json, "p").routing == GeoproximityRouting(coordinates=(1.5, -2.25), bias=-10)
