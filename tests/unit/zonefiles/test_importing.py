"""`r53emu import`'s conversion: Route 53's JSON listings -> zone-format YAML (pure, no CLI).

The test of correctness is the round trip: a `list-resource-record-sets` dump loaded as it is
(the loader reads JSON dumps) and the YAML `plan_import` makes of it load into the same record
sets, and answer every name and type alike, for clients in several places and several seeds.
The dump of `tests/integration/imports/` covers every record type, every routing policy, in-zone
aliases, health checks of every type and a CIDR collection; the bundled `zones/example.org.json`
is the other. Then each input problem: its message names the file and the JSON path.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import random
import re
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from r53emu.answer.lookup import lookup
from r53emu.health.snapshot import HealthSnapshot, initial_statuses
from r53emu.model import names
from r53emu.model.catalog import Catalog, RecordSet, Source
from r53emu.model.dnsconstants import RECORD_TYPES, TYPE_ANY
from r53emu.model.location import ClientLocation
from r53emu.model.names import Name
from r53emu.model.query import Answer, QueryContext
from r53emu.zonefiles.importbase import ImportFailed, Listing, flow, read_listing, scalar
from r53emu.zonefiles.importing import Plan, plan_import
from r53emu.zonefiles.importrecords import relative_name
from r53emu.zonefiles.loader import load_catalog
from r53emu.zonefiles.sourcefile import load_document
from tests.support.helpers import REPO

IMPORTS = REPO / "tests" / "integration" / "imports"
ZONE: Name = (b"import", b"test")
NOWHERE = Source("", 0)

ACCOUNT = IMPORTS / "expected-account.yaml"  # rrsets.json's account sections, by hand
NOT_IMPORTED = ("elb.aws", "cdn.aws", "via.aws", "tp.aws")  # the fixture's AWS-only record sets

# Clients in several places (the subnets match the CIDR collection's blocks or not).
CLIENTS = (
    (None, ClientLocation()),
    ("198.51.100.0/26", ClientLocation("DE", None, "EU", (50.11, 8.68), source="test")),
    ("203.0.113.0/24", ClientLocation("US", "CA", "NA", (37.77, -122.42), source="test")),
    ("198.51.100.128/25", ClientLocation("FR", None, "EU", (48.86, 2.35), source="test")),
    (
        "2001:db8:1::/48",
        ClientLocation("JP", None, "AS", (35.68, 139.69), {"ap-northeast-1": 5.0}, "test"),
    ),
    ("192.0.2.0/24", ClientLocation("AR", None, "SA", (-34.6, -58.38), source="test")),
)


def fixture_listings(*file_names: str) -> list[Listing]:
    chosen = file_names or tuple(sorted(p.name for p in IMPORTS.glob("*.json")))
    return [read_listing(name, (IMPORTS / name).read_text(encoding="utf-8")) for name in chosen]


def write_plan(plan: Plan, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for file in plan.files:
        (directory / file.name).write_text(file.text, encoding="utf-8")
    return directory


def json_side(tmp_path: Path) -> Catalog:
    """The fixture dump as the loader reads it, without what r53emu cannot load, with the
    hand-written account sections."""
    dump = json.loads((IMPORTS / "rrsets.json").read_text(encoding="utf-8"))
    dump["ResourceRecordSets"] = [
        s for s in dump["ResourceRecordSets"] if not s["Name"].startswith(NOT_IMPORTED)
    ]
    directory = tmp_path / "json"
    directory.mkdir()
    (directory / "import.test.json").write_text(json.dumps(dump), encoding="utf-8")
    (directory / "account.yaml").write_text(ACCOUNT.read_text(encoding="utf-8"), encoding="utf-8")
    return load_catalog(directory)


def without_sources(value: Any) -> Any:
    """A frozen model value with every `source` blanked, recursively (tuples and mappings too)."""
    if isinstance(value, tuple):
        return tuple(without_sources(item) for item in value)
    if isinstance(value, Mapping):
        return {key: without_sources(item) for key, item in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        changes = {
            f.name: NOWHERE if f.name == "source" else without_sources(getattr(value, f.name))
            for f in fields(value)
        }
        return replace(value, **changes)
    return value


def assert_same_catalogs(imported: Catalog, loaded: Catalog) -> None:
    """Zone by zone, group by group, record set by record set; health checks and collections."""
    assert imported.zones.keys() == loaded.zones.keys()
    for name, zone in loaded.zones.items():
        other = imported.zones[name]
        assert (other.zone_id, other.nameservers) == (zone.zone_id, zone.nameservers)
        assert (other.existing, other.cuts) == (zone.existing, zone.cuts)
        assert other.record_set_count == zone.record_set_count
        assert without_sources(dict(other.nodes)) == without_sources(dict(zone.nodes))
    assert without_sources(dict(imported.health_checks)) == without_sources(
        dict(loaded.health_checks)
    )
    assert without_sources(dict(imported.cidr_collections)) == without_sources(
        dict(loaded.cidr_collections)
    )


def questions(catalog: Catalog) -> list[tuple[Name, int]]:
    """Every owner name of every zone with every type (and ANY), and names around them."""
    asked: list[Name] = []
    for zone in catalog.zones.values():
        for owner in zone.nodes:
            asked.append(owner)
            asked.append((b"nothing", *owner))
            if owner and owner[0] == names.WILDCARD:
                asked.append((b"a", b"b", *owner[1:]))
    types = [*RECORD_TYPES.values(), TYPE_ANY]
    return [(name, rtype) for name in dict.fromkeys(asked) for rtype in types]


def comparable(answer: Answer) -> tuple[Any, ...]:
    """An answer without the model objects of `routed`: which members were chosen."""
    routed = tuple(r.chosen for r in answer.routed)
    return (replace(answer, routed=()), routed)


def assert_same_answers(imported: Catalog, loaded: Catalog) -> None:
    checked = 0
    health = [HealthSnapshot(initial_statuses(c.health_checks)) for c in (imported, loaded)]
    for qname, qtype in questions(loaded):
        for subnet, location in CLIENTS:
            network = None if subnet is None else ipaddress.ip_network(subnet)
            context = QueryContext(qname, qtype, subnet=network, location=location)
            for seed in range(3):
                ours, theirs = (
                    lookup(catalog, context, random.Random(seed), snapshot)
                    for catalog, snapshot in zip((imported, loaded), health, strict=True)
                )
                assert comparable(ours) == comparable(theirs), (names.to_text(qname), qtype)
                checked += 1
    assert checked > 1000


# --- the round trip -----------------------------------------------------------------------


def test_every_type_and_policy_loads_as_the_json_dump_does(tmp_path: Path) -> None:
    plan = plan_import(fixture_listings())
    imported = load_catalog(write_plan(plan, tmp_path / "yaml"))
    loaded = json_side(tmp_path)
    assert_same_catalogs(imported, loaded)
    assert_same_answers(imported, loaded)


def test_the_bundled_dump_loads_and_answers_alike(tmp_path: Path) -> None:
    dump = REPO / "zones" / "example.org.json"
    listing = read_listing(str(dump), dump.read_text(encoding="utf-8"))
    imported = load_catalog(write_plan(plan_import([listing]), tmp_path))
    loaded = load_catalog(dump)
    assert_same_catalogs(imported, loaded)
    assert_same_answers(imported, loaded)


def test_the_zone_file_keeps_routes_53s_spelling() -> None:
    """Names relative to the zone as listed (`\\052`), values with their quotes and escapes,
    the apex SOA and NS as record sets, the hosted zone's id and comment."""
    plan = plan_import(fixture_listings())
    zone = next(f for f in plan.files if f.name == "import.test.yaml").text
    assert "zone: import.test\nid: Z0IMPORTTEST1\n" in zone
    assert 'comment: "the import test\'s zone: every type and policy"\n' in zone
    assert "  - {name: \\052.apps, type: A, ttl: 30, records: [192.0.2.80]}\n" in zone
    assert '      - \'"say \\"hi\\" caf\\303\\251"\'\n' in zone
    assert '    records: ["ns-1536.awsdns-00.co.uk. hostmaster.import.test. 7 7200 900' in zone
    assert "  - {name: www.import.test.import.test., type: A, ttl: 60" in zone
    assert '  - {name: "010", type: TXT' in zone
    assert 'geoproximity_routing_policy: {coordinates: {latitude: "40.71"' in zone


def test_aws_resources_and_traffic_policies_become_comments_with_notes() -> None:
    plan = plan_import(fixture_listings())
    zone = next(f for f in plan.files if f.name == "import.test.yaml")
    assert (
        zone.summary == "hosted zone import.test. (Z0IMPORTTEST1), 55 record sets (4 not imported)"
    )
    assert (
        "  # not imported: alias to dualstack.my-lb-1234567890.us-east-1.elb.amazonaws.com., an "
        "Elastic Load Balancing load balancer (r53emu does not emulate aliases to AWS resources "
        "yet)\n  # - name: elb.aws\n  #   type: A\n"
    ) in zone.text
    assert "  # not imported: alias to elb.aws.import.test. A, which is not imported either\n" in (
        zone.text
    )
    assert '  # - {"Name": "tp.aws.import.test.", "Type": "A", "SetIdentifier": "tp"' in zone.text
    assert plan.notes == (
        "rrsets.json: ResourceRecordSets[55]: elb.aws.import.test. A: not imported: alias to "
        "dualstack.my-lb-1234567890.us-east-1.elb.amazonaws.com., an Elastic Load Balancing load "
        "balancer (r53emu does not emulate aliases to AWS resources yet)",
        "rrsets.json: ResourceRecordSets[56]: cdn.aws.import.test. AAAA: not imported: alias to "
        "d111111abcdef8.cloudfront.net., a CloudFront distribution (r53emu does not emulate "
        "aliases to AWS resources yet)",
        "rrsets.json: ResourceRecordSets[57]: via.aws.import.test. A: not imported: alias to "
        "elb.aws.import.test. A, which is not imported either",
        "rrsets.json: ResourceRecordSets[58]: tp.aws.import.test. A (set tp): not imported: "
        'TrafficPolicyInstanceId "7e4c1b9a-2f3d-4e5a-9b8c-1d2e3f4a5b6c" (r53emu does not '
        "emulate traffic policies yet)",
    )


def test_the_account_file_names_collections_and_says_how_switches_are_set() -> None:
    plan = plan_import(fixture_listings())
    account = next(f for f in plan.files if f.name == "account.yaml")
    assert account.summary == "8 health checks, 1 CIDR collection"
    assert "  4c0bd1f6-9e5a-4d2b-a1c3-7f2e8d9b0a11:  # corp\n" in account.text
    assert '    hq: [203.0.113.0/24, "2001:db8:1::/48"]\n' in account.text
    assert '    # left out: EndpointType "PUBLIC" (r53emu does not use it)\n' in account.text
    assert '    # routing_control_state: "Off"' in account.text
    assert "    # alarm_state: ALARM" in account.text


def test_health_checks_alone_make_an_account_file() -> None:
    plan = plan_import(fixture_listings("health-checks.json"))
    assert [f.name for f in plan.files] == ["account.yaml"]


# --- pages --------------------------------------------------------------------------------


def dump_of(record_sets: list[dict[str, Any]], **top: Any) -> str:
    return json.dumps({"ResourceRecordSets": record_sets, **top})


def a_set(name: str, value: str = "192.0.2.1", **fields: Any) -> dict[str, Any]:
    return {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}], **fields}


SOA = {
    "Name": "pages.test.",
    "Type": "SOA",
    "TTL": 900,
    "ResourceRecords": [
        {"Value": "ns-1.awsdns-00.com. hostmaster.pages.test. 1 7200 900 1209600 86400"}
    ],
}


def test_pages_of_one_listing_are_merged_in_listing_order() -> None:
    """The second page has no SOA; it continues the first (NextRecordName); given first."""
    first = dump_of(
        [SOA, a_set("a.pages.test.")],
        IsTruncated=True,
        NextRecordName="b.pages.test.",
        NextRecordType="A",
    )
    second = dump_of([a_set("b.pages.test."), a_set("c.pages.test.")], IsTruncated=False)
    plan = plan_import([read_listing("p2.json", second), read_listing("p1.json", first)])
    (zone,) = plan.files
    assert zone.name == "pages.test.yaml"
    lines = [line for line in zone.text.splitlines() if line.startswith("  - ")]
    assert [line.split(",")[0] for line in lines[1:]] == [
        "  - {name: a",
        "  - {name: b",
        "  - {name: c",
    ]
    assert plan.notes == ()


def test_a_page_given_twice_is_read_once_and_different_copies_are_an_error() -> None:
    page = dump_of([SOA, a_set("a.pages.test.")])
    plan = plan_import([read_listing("p.json", page), read_listing("again.json", page)])
    assert "3 record sets" not in plan.files[0].summary
    assert plan.files[0].summary.endswith(", 2 record sets")
    other = dump_of([SOA, a_set("a.pages.test.", "192.0.2.9")])
    with pytest.raises(ImportFailed) as failed:
        plan_import([read_listing("p.json", page), read_listing("other.json", other)])
    assert [str(p) for p in failed.value.problems] == [
        "other.json: ResourceRecordSets[1]: this record set is also at p.json: "
        "ResourceRecordSets[1], with other fields (pages of listings made at different times?)"
    ]


def test_a_page_without_soa_needs_the_zone() -> None:
    page = dump_of([a_set("www.pages.test.")])
    with pytest.raises(ImportFailed) as failed:
        plan_import([read_listing("rrsets.json", page)])
    assert [str(p) for p in failed.value.problems] == [
        "rrsets.json: ResourceRecordSets: no SOA record set names the zone (the apex SOA is on "
        "the first page of a listing): give --zone NAME, or the get-hosted-zone output with it"
    ]
    plan = plan_import([read_listing("rrsets.json", page)], zone="pages.test")
    assert "zone: pages.test\n" in plan.files[0].text
    hosted = json.dumps(
        {"HostedZone": {"Id": "/hostedzone/Z0PAGES", "Name": "pages.test.", "CallerReference": "x"}}
    )
    plan = plan_import([read_listing("rrsets.json", page), read_listing("zone.json", hosted)])
    assert "zone: pages.test\nid: Z0PAGES\n" in plan.files[0].text


def test_a_truncated_page_that_nothing_continues_is_noted() -> None:
    page = dump_of([SOA], IsTruncated=True, NextRecordName="b.pages.test.", NextRecordType="A")
    plan = plan_import([read_listing("p1.json", page)])
    assert plan.notes == (
        "p1.json: one page of a longer listing (IsTruncated or NextToken), and no file given "
        "continues it: the record sets after it are not imported",
    )


def test_two_zones_mixed_in_one_file_are_an_error_naming_the_record_set() -> None:
    other_soa = {**SOA, "Name": "other.test."}
    mixed = dump_of([SOA, a_set("www.pages.test."), other_soa, a_set("www.other.test.")])
    with pytest.raises(ImportFailed) as failed:
        plan_import([read_listing("mixed.json", mixed)])
    assert [str(p) for p in failed.value.problems] == [
        "mixed.json: ResourceRecordSets[2].Name: other.test. is not in zone pages.test. (told by "
        "its SOA at ResourceRecordSets[0]): this file mixes the record sets of two zones "
        "(list-resource-record-sets lists one hosted zone: give each zone's listing a file of "
        "its own) (and 1 more record set of this file)"
    ]


# --- problems -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
        (
            "[]",
            "expected a JSON object with one of the keys ResourceRecordSets, HostedZone, "
            "HealthChecks, HealthCheck, CidrCollections, CidrBlocks, CidrLocations, found []",
        ),
        (
            '{"Zones": []}',
            "not the output of a Route 53 command r53emu imports (its top-level "
            "keys say which: one of ResourceRecordSets, HostedZone, HealthChecks, "
            "HealthCheck, CidrCollections, CidrBlocks, CidrLocations; found Zones)",
        ),
        (
            '{"ResourceRecordSets": [], "HealthChecks": []}',
            "holds both ResourceRecordSets and HealthChecks: give each command's output a file",
        ),
        (
            '{"ResourceRecordSets": [], "ResourceRecordSets": []}',
            "key 'ResourceRecordSets' is given twice in one JSON object",
        ),
        (
            '{"HostedZones": [], "Marker": ""}',
            "list-hosted-zones output is not imported: give each zone's get-hosted-zone output "
            "(`aws route53 get-hosted-zone --id Z...`)",
        ),
    ],
    ids=["not-json", "a-list", "unknown", "two-kinds", "duplicate-key", "list-hosted-zones"],
)
def test_files_that_hold_no_listing_are_refused(text: str, message: str) -> None:
    with pytest.raises(ImportFailed) as failed:
        read_listing("in.json", text)
    assert [str(p) for p in failed.value.problems] == [f"in.json: {message}"]


@pytest.mark.parametrize(
    ("record_set", "message"),
    [
        ({"Type": "A"}, "ResourceRecordSets[1].Name: required"),
        ({"Name": "www.pages.test."}, "ResourceRecordSets[1].Type: required"),
        ({"Name": 7, "Type": "A"}, "ResourceRecordSets[1].Name: expected a string, found 7"),
        (
            a_set("www.pages.test.", TTL="60"),
            'ResourceRecordSets[1].TTL: expected a whole number, found "60"',
        ),
        (
            {**a_set("www.pages.test."), "ResourceRecords": ["192.0.2.1"]},
            'ResourceRecordSets[1].ResourceRecords[0]: expected {"Value": "..."}, '
            'found "192.0.2.1"',
        ),
        (
            a_set("www.pages.test.", GeoLocation={"CountryCode": 1}),
            "ResourceRecordSets[1].GeoLocation.CountryCode: expected a string, found 1",
        ),
        (
            {"Name": "a..pages.test.", "Type": "A"},
            "ResourceRecordSets[1].Name: 'a..pages.test.' has an empty label",
        ),
    ],
    ids=["no-name", "no-type", "name-number", "ttl-text", "bare-value", "nested-type", "bad-name"],
)
def test_malformed_record_sets_are_refused_with_their_path(
    record_set: dict[str, Any], message: str
) -> None:
    with pytest.raises(ImportFailed) as failed:
        plan_import([read_listing("rrsets.json", dump_of([SOA, record_set]))])
    assert [str(p) for p in failed.value.problems] == [f"rrsets.json: {message}"]


def test_record_sets_r53emu_does_not_know_are_comments() -> None:
    az = a_set(
        "az.pages.test.",
        SetIdentifier="az1",
        AZAffinity={"LocationType": "Global", "LocationId": "global"},
    )
    future = a_set("new.pages.test.", Flavour="mint", GeoLocation={"CountryCode": "DE", "X": 1})
    plan = plan_import([read_listing("rrsets.json", dump_of([SOA, az, future]))])
    assert plan.notes == (
        "rrsets.json: ResourceRecordSets[1]: az.pages.test. A (set az1): not imported: AZAffinity "
        '{"LocationType": "Global", "LocationId": "global"} (r53emu does not emulate AZ-affinity '
        "routing yet)",
        "rrsets.json: ResourceRecordSets[2]: new.pages.test. A: not imported: it has Flavour, "
        "GeoLocation.X, which r53emu does not know",
    )


def test_references_to_checks_and_collections_not_given_are_errors() -> None:
    routed = a_set(
        "ip.pages.test.",
        SetIdentifier="a",
        HealthCheckId="hc-1",
        CidrRoutingConfig={
            "CollectionId": "c0ffee00-0000-4000-8000-000000000000",
            "LocationName": "hq",
        },
    )
    with pytest.raises(ImportFailed) as failed:
        plan_import([read_listing("rrsets.json", dump_of([SOA, routed]))])
    assert [str(p) for p in failed.value.problems] == [
        "rrsets.json: ResourceRecordSets[1].HealthCheckId: health check hc-1 is in no "
        "list-health-checks output given (import the output of `aws route53 list-health-checks` "
        "with it)",
        "rrsets.json: ResourceRecordSets[1].CidrRoutingConfig.CollectionId: CIDR collection "
        "c0ffee00-0000-4000-8000-000000000000 has no list-cidr-blocks output given (import the "
        "output of `aws route53 list-cidr-blocks --collection-id "
        "c0ffee00-0000-4000-8000-000000000000` with it, as a file named after the collection)",
    ]


BLOCKS = '{"CidrBlocks": [{"CidrBlock": "203.0.113.0/24", "LocationName": "hq"}]}'
COLLECTIONS = json.dumps(
    {
        "CidrCollections": [
            {"Id": "c0ffee00-0000-4000-8000-000000000001", "Name": "corp"},
            {"Id": "c0ffee00-0000-4000-8000-000000000002", "Name": "lab"},
        ]
    }
)


@pytest.mark.parametrize(
    ("file", "collection"),
    [
        ("blocks-corp.json", None),
        ("c0ffee00-0000-4000-8000-000000000001.json", None),
        ("blocks.json", "corp"),
        ("blocks.json", "c0ffee00-0000-4000-8000-000000000001"),
    ],
    ids=["named-after-name", "named-after-id", "COLLECTION=name", "COLLECTION=id"],
)
def test_cidr_blocks_belong_to_the_collection_their_file_or_argument_names(
    file: str, collection: str | None
) -> None:
    listings = [
        read_listing("collections.json", COLLECTIONS),
        read_listing(file, BLOCKS, collection),
    ]
    (account,) = plan_import(listings).files
    assert "  c0ffee00-0000-4000-8000-000000000001:  # corp\n    hq: [203.0.113.0/24]\n" in (
        account.text
    )


def test_cidr_blocks_of_no_known_collection_are_an_error() -> None:
    listings = [read_listing("collections.json", COLLECTIONS), read_listing("blocks.json", BLOCKS)]
    with pytest.raises(ImportFailed) as failed:
        plan_import(listings)
    assert [str(p) for p in failed.value.problems] == [
        "blocks.json: list-cidr-blocks output does not say which CIDR collection it lists, and "
        "neither does the file's name: name the file after the collection's id or name "
        "(cidr-blocks-NAME.json), or give it as COLLECTION=FILE"
    ]


def test_a_calculated_check_needs_its_children() -> None:
    checks = {
        "HealthChecks": [
            {
                "Id": "calc",
                "HealthCheckConfig": {
                    "Type": "CALCULATED",
                    "HealthThreshold": 1,
                    "ChildHealthChecks": ["gone"],
                },
            }
        ]
    }
    with pytest.raises(ImportFailed) as failed:
        plan_import([read_listing("checks.json", json.dumps(checks))])
    assert [str(p) for p in failed.value.problems] == [
        "checks.json: HealthChecks[0].HealthCheckConfig.ChildHealthChecks: child health check "
        "gone is in no list-health-checks output given"
    ]


def test_a_hosted_zone_id_other_than_the_aliases_is_an_error() -> None:
    alias = {
        "Name": "pages.test.",
        "Type": "A",
        "AliasTarget": {
            "HostedZoneId": "Z0PUBLIC",
            "DNSName": "www.pages.test.",
            "EvaluateTargetHealth": False,
        },
    }
    hosted = json.dumps(
        {
            "HostedZone": {
                "Id": "/hostedzone/Z0PRIVATE",
                "Name": "pages.test.",
                "CallerReference": "x",
                "Config": {"PrivateZone": True},
            }
        }
    )
    listings = [
        read_listing("rrsets.json", dump_of([SOA, alias, a_set("www.pages.test.")])),
        read_listing("zone.json", hosted),
    ]
    with pytest.raises(ImportFailed) as failed:
        plan_import(listings)
    assert [str(p) for p in failed.value.problems] == [
        "rrsets.json: ResourceRecordSets[1].AliasTarget.HostedZoneId: Z0PUBLIC is not the id of "
        "hosted zone pages.test. in zone.json (Z0PRIVATE): the files list two hosted zones of "
        "one name (a public and a private one?); import them one at a time"
    ]


def test_a_private_zone_is_noted() -> None:
    hosted = json.dumps(
        {
            "HostedZone": {
                "Id": "Z0PRIVATE",
                "Name": "pages.test.",
                "CallerReference": "x",
                "Config": {"PrivateZone": True},
            }
        }
    )
    plan = plan_import(
        [read_listing("rrsets.json", dump_of([SOA])), read_listing("zone.json", hosted)]
    )
    assert plan.notes == (
        "zone.json: pages.test. is a private hosted zone: r53emu answers it to every client (it "
        "does not emulate VPC split view)",
    )


def test_a_zone_over_the_default_quota_keeps_its_raised_quota(tmp_path: Path) -> None:
    sets = [SOA] + [a_set(f"h{i}.pages.test.") for i in range(10_000)]
    plan = plan_import([read_listing("rrsets.json", dump_of(sets))])
    assert "record_limit: 10003  # the zone's quota in Route 53 is raised\n" in plan.files[0].text
    assert load_catalog(write_plan(plan, tmp_path)).zones[(b"pages", b"test")].record_set_count == (
        10_002
    )


# --- names and YAML scalars ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import.test.", "@"),
        ("www.import.test.", "www"),
        ("WWW.Import.Test.", "WWW"),
        ("\\052.apps.import.test.", "\\052.apps"),
        ("a\\.b.import.test.", "a\\.b"),
        ("www.import.test.import.test.", "www.import.test.import.test."),  # would read as complete
    ],
)
def test_names_are_written_relative_to_the_zone_as_listed(text: str, expected: str) -> None:
    owner = names.lower(names.parse(text))
    assert relative_name(text, owner, ZONE) == expected


TRICKY = [
    "@",
    "*",
    "*.apps",
    "010",
    "1.10",
    "0x1F",
    "1e3",
    ".inf",
    "1_000",
    "12:30",
    "2002-12-14",
    "true",
    "True",
    "yes",
    "No",
    "off",
    "null",
    "~",
    "",
    "-",
    "-1",
    "+1",
    "2001:db8::1",
    "a: b",
    "a:b",
    "#x",
    "x #y",
    "x#y",
    '"q"',
    "'s'",
    "it's",
    "\\052",
    "\\",
    "café",
    "tab\there",
    "line\nbreak",
    "\x85",
    "\u2028",
    "\ufeff",
    "\x7f",
    "[a]",
    "{a}",
    "a,b",
    "!tag",
    "&anchor",
    "%x",
    " lead",
    "trail ",
    "<<",
    "=",
    "|",
    ">",
    "?",
    "`",
    "/healthz",
    'say "hi"\\',
]


def read_back(value: Any, tmp_path: Path) -> Any:
    path = tmp_path / "value.yaml"
    path.write_text(f"key: {flow(value)}\n", encoding="utf-8")
    document, repeated = load_document(path)
    assert repeated == []
    return document["key"]


@pytest.mark.parametrize("text", TRICKY)
def test_texts_read_back_as_the_same_text(text: str, tmp_path: Path) -> None:
    value = read_back(text, tmp_path)
    assert type(value) is str, scalar(text)
    assert value == text, scalar(text)


@given(st.lists(st.text(), max_size=3))
def test_any_text_reads_back_as_itself(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str]
) -> None:
    assert read_back(texts, tmp_path_factory.mktemp("yaml")) == texts


def test_other_json_values_read_back_as_themselves(tmp_path: Path) -> None:
    value = {"n": 300, "f": 1.5, "b": False, "z": None, "l": ["x", 1], "m": {"k": "v"}}
    assert read_back(copy.deepcopy(value), tmp_path) == value


def test_record_sets_of_a_zone_loaded_from_the_json_dump_are_all_imported(tmp_path: Path) -> None:
    """Every record set the loader reads from the dump is in the imported zone."""
    imported = load_catalog(write_plan(plan_import(fixture_listings()), tmp_path / "yaml"))
    loaded = json_side(tmp_path)

    def record_sets(catalog: Catalog) -> list[RecordSet]:
        zone = catalog.zones[ZONE]
        return sorted(
            (
                without_sources(m)
                for g in zone.nodes.values()
                for grp in g.values()
                for m in grp.members
            ),
            key=repr,
        )

    assert record_sets(imported) == record_sets(loaded)
    assert len(record_sets(loaded)) == 55


def test_the_hosted_zone_text_is_deterministic() -> None:
    assert plan_import(fixture_listings()) == plan_import(fixture_listings())


# --- the example of zone-format.md --------------------------------------------------------

DOC_ZONE = json.dumps(
    {
        "HostedZone": {
            "Id": "/hostedzone/Z0EXAMPLECOM",
            "Name": "example.com.",
            "CallerReference": "2024-01-01",
            "Config": {"Comment": "production", "PrivateZone": False},
            "ResourceRecordSetCount": 8,
        },
        "DelegationSet": {"NameServers": ["ns-1536.awsdns-00.co.uk", "ns-0.awsdns-00.com"]},
    }
)
DOC_CHECKS = json.dumps(
    {
        "HealthChecks": [
            {
                "Id": "6d1c2e84-0f5a-4b7e-9c3d-2a1b0c9d8e7f",
                "CallerReference": "api-east",
                "HealthCheckConfig": {"IPAddress": "192.0.2.10", "Port": 443, "Type": "HTTPS"},
                "HealthCheckVersion": 1,
            }
        ]
    }
)


def doc_section_blocks() -> list[tuple[str, str]]:
    """The fenced blocks of zone-format.md's "Importing from Route 53": (language, text)."""
    text = (REPO / "docs" / "zone-format.md").read_text(encoding="utf-8")
    section = text.split("\n## Importing from Route 53\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```(\w*)\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)


def test_the_documented_example_is_what_import_writes(tmp_path: Path) -> None:
    blocks = doc_section_blocks()
    (dump,) = [text for language, text in blocks if language == "json"]
    (zone_file,) = [text for language, text in blocks if language == "yaml"]
    run, error = [text.splitlines() for language, text in blocks if language == "console"]
    listings = [
        read_listing("rrsets.json", dump),
        read_listing("zone.json", DOC_ZONE),
        read_listing("health-checks.json", DOC_CHECKS),
    ]
    plan = plan_import(listings)
    assert plan.files[0].text == zone_file
    assert run == [
        "$ r53emu import rrsets.json zone.json health-checks.json",
        *(f"note: {note}" for note in plan.notes),
        *(f"wrote zones/{file.name}: {file.summary}" for file in plan.files),
        "check them: r53emu check zones",
    ]
    with pytest.raises(ImportFailed) as failed:
        plan_import(listings[:1])
    problems = [str(problem) for problem in failed.value.problems]
    assert error == ["$ r53emu import rrsets.json", *problems, "1 error(s): nothing written"]
    assert load_catalog(write_plan(plan, tmp_path)).zones[(b"example", b"com")].zone_id == (
        "Z0EXAMPLECOM"
    )
