"""Every routing rule Route 53 enforces is a load error naming file, line and field.

Semantics §1.3, §1.5-§1.6 and §3, issue 4 point 6: each case writes a zone whose record sets
start on line 4 next to an account file (health checks hc1/hc2, CIDR collections corp/other),
loads the directory with `load_catalog`, and asserts the exact list of errors as (line, field)
plus a part of the message (Route 53's own wording where the spec quotes it).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from r53emu.zonefiles.errors import ZoneError, ZoneLoadError
from r53emu.zonefiles.loader import load_catalog

HEAD = "zone: example.com\nttl: 60\nrecord_sets:\n"  # record sets start on line 4
ACCOUNT = """\
health_checks:
  hc1: {type: HTTP, ip_address: 127.0.0.1}
  hc2: {type: TCP, ip_address: 127.0.0.1, port: 80}
cidr_collections:
  corp:
    hq: [203.0.113.0/24]
    branch: [198.51.100.0/24]
  other:
    lab: [192.0.2.0/24]
"""


def load_errors(directory: Path, files: dict[str, str]) -> list[ZoneError]:
    """Write the files, load the directory and return the errors it reports (there must be some)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    with pytest.raises(ZoneLoadError) as caught:
        load_catalog(directory)
    return list(caught.value.errors)


def zone_errors(tmp_path: Path, records: str) -> list[ZoneError]:
    """Errors of `example.com.yaml` (HEAD + indented record-set lines) beside the account file."""
    text = HEAD + textwrap.indent(textwrap.dedent(records), "  ")
    errors = load_errors(tmp_path, {"account.yaml": ACCOUNT, "example.com.yaml": text})
    assert {error.file for error in errors} == {str(tmp_path / "example.com.yaml")}
    return errors


def where(errors: list[ZoneError]) -> list[tuple[int, str]]:
    return [(error.line, error.field) for error in errors]


def weighted(name: str, ident: str, extra: str = "", weight: int = 1) -> str:
    return (
        f"- {{name: {name}, type: A, records: [192.0.2.1], set_identifier: {ident}, "
        f"weighted_routing_policy: {{weight: {weight}}}{extra}}}\n"
    )


def routed(policy: str, ident: str = "x", rtype: str = "A", value: str = "192.0.2.1") -> str:
    """One record set `a` with the given `*_routing_policy: ...` text."""
    return (
        f"- {{name: a, type: {rtype}, records: ['{value}'], set_identifier: {ident}, {policy}}}\n"
    )


# (id, record-set lines, expected [(line, field, text the message contains)])
RECORD_SET_CASES: list[tuple[str, str, list[tuple[int, str, str]]]] = [
    (
        "two-policies",
        routed("weighted_routing_policy: {weight: 1}, latency_routing_policy: {region: us-east-1}"),
        [
            (
                4,
                "record_sets[0].latency_routing_policy",
                "a record set has at most one routing policy (weighted_routing_policy is given "
                "too)",
            )
        ],
    ),
    (
        "set-identifier-missing",
        "- {name: a, type: A, records: [192.0.2.1], weighted_routing_policy: {weight: 1}}",
        [(4, "record_sets[0].set_identifier", "required with weighted_routing_policy")],
    ),
    (
        "set-identifier-with-multivalue-false",
        routed("multivalue_answer_routing_policy: false"),
        [(4, "record_sets[0]", "set_identifier is only used with a routing policy")],
    ),
    (
        "policy-not-a-mapping",
        routed("weighted_routing_policy: 5"),
        [(4, "record_sets[0].weighted_routing_policy", "expected a mapping, found the number 5")],
    ),
    (
        "policy-field-typo",
        routed("weighted_routing_policy: {wieght: 5}"),
        [
            (4, "record_sets[0].weighted_routing_policy.wieght", "unknown field"),
            (4, "record_sets[0].weighted_routing_policy.weight", "required"),
        ],
    ),
    (
        "weight-too-large",
        routed("weighted_routing_policy: {weight: 300}"),
        [(4, "record_sets[0].weighted_routing_policy.weight", "300 is not in 0..255")],
    ),
    (
        "weight-negative",
        routed("weighted_routing_policy: {weight: '-1'}"),
        [(4, "record_sets[0].weighted_routing_policy.weight", "-1 is not in 0..255")],
    ),
    (
        "latency-region-unknown",
        routed("latency_routing_policy: {region: us-east-9}"),
        [(4, "record_sets[0].latency_routing_policy.region", "'us-east-9' is not an AWS Region")],
    ),
    (
        "latency-region-missing",
        routed("latency_routing_policy: {}"),
        [(4, "record_sets[0].latency_routing_policy.region", "required")],
    ),
    (
        "failover-type-unknown",
        routed("failover_routing_policy: {type: TERTIARY}"),
        [
            (
                4,
                "record_sets[0].failover_routing_policy.type",
                "'TERTIARY' is not one of PRIMARY, SECONDARY",
            )
        ],
    ),
    (
        "geolocation-continent-and-country",
        routed("geolocation_routing_policy: {continent: EU, country: DE}"),
        [
            (
                4,
                "record_sets[0].geolocation_routing_policy",
                "give either continent or country (with an optional subdivision), not both",
            )
        ],
    ),
    (
        "geolocation-empty",
        routed("geolocation_routing_policy: {}"),
        [(4, "record_sets[0].geolocation_routing_policy", "needs continent or country")],
    ),
    (
        "geolocation-subdivision-without-country",
        routed("geolocation_routing_policy: {continent: NA, subdivision: CA}"),
        [(4, "record_sets[0].geolocation_routing_policy.subdivision", "needs a country")],
    ),
    (
        "geolocation-continent-unknown",
        routed("geolocation_routing_policy: {continent: XX}"),
        [
            (
                4,
                "record_sets[0].geolocation_routing_policy.continent",
                "'XX' is not a continent code (AF AN AS EU NA OC SA)",
            )
        ],
    ),
    (
        "geolocation-country-unknown",
        routed("geolocation_routing_policy: {country: ZZ}"),
        [(4, "record_sets[0].geolocation_routing_policy.country", "'ZZ' is not a country code")],
    ),
    (
        "geolocation-country-unsupported",
        routed("geolocation_routing_policy: {country: BV}"),
        [
            (
                4,
                "record_sets[0].geolocation_routing_policy.country",
                "Route 53 does not support country code BV",
            )
        ],
    ),
    (
        "geolocation-subdivision-unknown",
        routed("geolocation_routing_policy: {country: US, subdivision: XX}"),
        [
            (
                4,
                "record_sets[0].geolocation_routing_policy.subdivision",
                "'XX' is not a subdivision code of US",
            )
        ],
    ),
    (
        "geolocation-subdivision-of-a-country-without-any",
        routed("geolocation_routing_policy: {country: DE, subdivision: BY}"),
        [
            (
                4,
                "record_sets[0].geolocation_routing_policy.subdivision",
                "Route 53 has subdivisions only for UA and US, not for DE",
            )
        ],
    ),
    (
        "geoproximity-two-places",
        routed(
            "geoproximity_routing_policy: "
            "{aws_region: us-east-1, local_zone_group: us-east-1-bue-1}"
        ),
        [
            (
                4,
                "record_sets[0].geoproximity_routing_policy",
                "needs exactly one of aws_region, coordinates or local_zone_group; found "
                "aws_region and local_zone_group",
            )
        ],
    ),
    (
        "geoproximity-no-place",
        routed("geoproximity_routing_policy: {bias: 5}"),
        [(4, "record_sets[0].geoproximity_routing_policy", "found none")],
    ),
    (
        "geoproximity-bias-out-of-range",
        routed("geoproximity_routing_policy: {aws_region: us-east-1, bias: 100}"),
        [(4, "record_sets[0].geoproximity_routing_policy.bias", "100 is not in -99..99")],
    ),
    (
        "geoproximity-region-unknown",
        routed("geoproximity_routing_policy: {aws_region: mars-1}"),
        [(4, "record_sets[0].geoproximity_routing_policy.aws_region", "is not an AWS Region")],
    ),
    (
        "geoproximity-three-decimals",
        routed("geoproximity_routing_policy: {coordinates: {latitude: '40.712', longitude: 0}}"),
        [
            (
                4,
                "record_sets[0].geoproximity_routing_policy.coordinates.latitude",
                "'40.712' is not a number with at most 2 decimals",
            )
        ],
    ),
    (
        "geoproximity-latitude-out-of-range",
        routed("geoproximity_routing_policy: {coordinates: {latitude: 91, longitude: 0}}"),
        [
            (
                4,
                "record_sets[0].geoproximity_routing_policy.coordinates.latitude",
                "91 is not in -90..90",
            )
        ],
    ),
    (
        "geoproximity-longitude-out-of-range",
        routed("geoproximity_routing_policy: {coordinates: {latitude: 0, longitude: '-180.5'}}"),
        [
            (
                4,
                "record_sets[0].geoproximity_routing_policy.coordinates.longitude",
                "-180.5 is not in -180..180",
            )
        ],
    ),
    (
        "geoproximity-longitude-missing",
        routed("geoproximity_routing_policy: {coordinates: {latitude: 10}}"),
        [(4, "record_sets[0].geoproximity_routing_policy.coordinates.longitude", "required")],
    ),
    (
        "geoproximity-local-zone-group-malformed",
        routed("geoproximity_routing_policy: {local_zone_group: us-east-1}"),
        [
            (
                4,
                "record_sets[0].geoproximity_routing_policy.local_zone_group",
                "'us-east-1' is not a Local Zone group",
            )
        ],
    ),
    (
        "multivalue-flag-not-a-boolean",
        routed("multivalue_answer_routing_policy: maybe"),
        [
            (
                4,
                "record_sets[0].multivalue_answer_routing_policy",
                "expected true or false, found 'maybe'",
            )
        ],
    ),
    (
        "multivalue-cname",
        routed("multivalue_answer_routing_policy: true", rtype="CNAME", value="x.example.net"),
        [
            (
                4,
                "record_sets[0].multivalue_answer_routing_policy",
                "multivalue answer record sets cannot be of type CNAME",
            )
        ],
    ),
    (
        "multivalue-alias",
        """\
        - {name: a, type: A, set_identifier: x, multivalue_answer_routing_policy: true,
           alias: {name: b.example.com}}
        - {name: b, type: A, records: [192.0.2.2]}
        """,
        [
            (
                4,
                "record_sets[0].multivalue_answer_routing_policy",
                "multivalue answer record sets cannot be aliases",
            )
        ],
    ),
    (
        "ns-routed",
        routed("weighted_routing_policy: {weight: 1}", rtype="NS", value="ns.example.net"),
        [
            (
                4,
                "record_sets[0].weighted_routing_policy",
                "NS record sets use simple routing only",
            )
        ],
    ),
    (
        "ds-routed",
        routed(
            "latency_routing_policy: {region: us-east-1}",
            rtype="DS",
            value="60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
        ),
        [(4, "record_sets[0].latency_routing_policy", "DS record sets use simple routing only")],
    ),
    (
        "cidr-collection-unknown",
        routed("cidr_routing_policy: {collection_id: nope, location_name: hq}"),
        [
            (
                4,
                "record_sets[0].cidr_routing_policy.collection_id",
                "no CIDR collection 'nope' in any `cidr_collections:` section",
            )
        ],
    ),
    (
        "cidr-location-unknown",
        routed("cidr_routing_policy: {collection_id: corp, location_name: lab}"),
        [
            (
                4,
                "record_sets[0].cidr_routing_policy.location_name",
                "collection corp has no location 'lab' (its locations: branch, hq;",
            )
        ],
    ),
    (
        "cidr-location-name-invalid",
        routed("cidr_routing_policy: {collection_id: corp, location_name: a-very-long-location}"),
        [
            (
                4,
                "record_sets[0].cidr_routing_policy.location_name",
                "'a-very-long-location' is not a location name",
            )
        ],
    ),
    (
        "cidr-fields-missing",
        routed("cidr_routing_policy: {}"),
        [
            (4, "record_sets[0].cidr_routing_policy.collection_id", "required"),
            (4, "record_sets[0].cidr_routing_policy.location_name", "required"),
        ],
    ),
    (
        "health-check-unknown",
        "- {name: a, type: A, records: [192.0.2.1], health_check_id: nope}",
        [
            (
                4,
                "record_sets[0].health_check_id",
                "no health check 'nope' in any `health_checks:` section",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("records", "expected"),
    [case[1:] for case in RECORD_SET_CASES],
    ids=[case[0] for case in RECORD_SET_CASES],
)
def test_forbidden_routing_field_is_a_load_error(
    tmp_path: Path, records: str, expected: list[tuple[int, str, str]]
) -> None:
    """The record set is rejected with exactly these errors, each at its line and field."""
    errors = zone_errors(tmp_path, records)
    assert where(errors) == [(line, field) for line, field, _ in expected]
    for error, (_, _, text) in zip(errors, expected, strict=True):
        assert text in error.message


# Rules of a whole name+type group (the second record set is on line 5).
GROUP_CASES: list[tuple[str, str, list[tuple[int, str, str]]]] = [
    (
        "weighted-beside-simple",
        "- {name: a, type: A, records: [192.0.2.1]}\n" + weighted("a", "bananas"),
        [
            (
                5,
                "record_sets[1]",
                "RRSet with DNS name a.example.com., type A, SetIdentifier bananas cannot be "
                "created as a non-weighted set exists with the same name and type.",
            )
        ],
    ),
    (
        "simple-beside-weighted",
        weighted("a", "one") + "- {name: a, type: A, records: [192.0.2.2]}\n",
        [
            (
                5,
                "record_sets[1]",
                "RRSet with DNS name a.example.com., type A cannot be created as other RRSets "
                "exist with the same name and type.",
            )
        ],
    ),
    (
        "latency-beside-weighted",
        weighted("a", "one") + routed("latency_routing_policy: {region: us-east-1}", "two"),
        [(5, "record_sets[1]", "SetIdentifier two cannot be created as a non-latency set exists")],
    ),
    (
        "duplicate-set-identifier",
        weighted("a", "one") + weighted("A.example.com.", "one"),
        [
            (
                5,
                "record_sets[1].set_identifier",
                "Tried to create resource record set [name='a.example.com.', type='A', "
                "set-identifier='one'] but it already exists",
            )
        ],
    ),
    (
        "duplicate-latency-region",
        routed("latency_routing_policy: {region: us-east-1}", "one")
        + routed("latency_routing_policy: {region: US-EAST-1}", "two"),
        [
            (
                5,
                "record_sets[1].latency_routing_policy.region",
                "Region us-east-1 is already used in a.example.com. A by set_identifier 'one'",
            )
        ],
    ),
    (
        "duplicate-geolocation-country",
        routed("geolocation_routing_policy: {country: DE}", "one")
        + routed("geolocation_routing_policy: {country: de}", "two"),
        [(5, "record_sets[1].geolocation_routing_policy", "country DE is already used")],
    ),
    (
        "duplicate-geolocation-subdivision",
        routed("geolocation_routing_policy: {country: US, subdivision: CA}", "one")
        + routed("geolocation_routing_policy: {country: US, subdivision: CA}", "two"),
        [(5, "record_sets[1].geolocation_routing_policy", "location US-CA is already used")],
    ),
    (
        "duplicate-geolocation-continent",
        routed("geolocation_routing_policy: {continent: EU}", "one")
        + routed("geolocation_routing_policy: {continent: EU}", "two"),
        [(5, "record_sets[1].geolocation_routing_policy", "continent EU is already used")],
    ),
    (
        "duplicate-geolocation-default",
        routed("geolocation_routing_policy: {country: '*'}", "one")
        + routed("geolocation_routing_policy: {country: '*'}", "two"),
        [
            (
                5,
                "record_sets[1].geolocation_routing_policy",
                'the default location (country "*") is already used',
            )
        ],
    ),
    (
        "duplicate-geoproximity-region",
        routed("geoproximity_routing_policy: {aws_region: eu-west-1}", "one")
        + routed("geoproximity_routing_policy: {aws_region: eu-west-1, bias: 10}", "two"),
        [(5, "record_sets[1].geoproximity_routing_policy", "Region eu-west-1 is already used")],
    ),
    (
        "duplicate-geoproximity-coordinates",
        routed("geoproximity_routing_policy: {coordinates: {latitude: '40.70', longitude: 7}}")
        + routed(
            "geoproximity_routing_policy: {coordinates: {latitude: 40.7, longitude: '7.0'}}", "y"
        ),
        [(5, "record_sets[1].geoproximity_routing_policy", "coordinates 40.7, 7 is already used")],
    ),
    (
        "two-failover-primaries",
        routed("failover_routing_policy: {type: PRIMARY}", "one")
        + routed("failover_routing_policy: {type: primary}", "two"),
        [(5, "record_sets[1].failover_routing_policy.type", "PRIMARY is already used")],
    ),
    (
        "two-failover-secondaries",
        routed("failover_routing_policy: {type: SECONDARY}", "one")
        + routed("failover_routing_policy: {type: SECONDARY}", "two"),
        [(5, "record_sets[1].failover_routing_policy.type", "SECONDARY is already used")],
    ),
    (
        "cidr-two-collections",
        routed("cidr_routing_policy: {collection_id: corp, location_name: hq}", "one")
        + routed("cidr_routing_policy: {collection_id: other, location_name: lab}", "two"),
        [
            (
                5,
                "record_sets[1].cidr_routing_policy.collection_id",
                "all record sets of a.example.com. A must use one CIDR collection; set_identifier "
                "'one'",
            )
        ],
    ),
    (
        "cidr-duplicate-location",
        routed("cidr_routing_policy: {collection_id: corp, location_name: hq}", "one")
        + routed("cidr_routing_policy: {collection_id: corp, location_name: hq}", "two"),
        [(5, "record_sets[1].cidr_routing_policy.location_name", "location hq is already used")],
    ),
    (
        "cidr-duplicate-default",
        routed("cidr_routing_policy: {collection_id: corp, location_name: '*'}", "one")
        + routed("cidr_routing_policy: {collection_id: corp, location_name: '*'}", "two"),
        [
            (
                5,
                "record_sets[1].cidr_routing_policy.location_name",
                'the default location "*" is already used',
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("records", "expected"),
    [case[1:] for case in GROUP_CASES],
    ids=[case[0] for case in GROUP_CASES],
)
def test_forbidden_group_is_a_load_error(
    tmp_path: Path, records: str, expected: list[tuple[int, str, str]]
) -> None:
    """The second record set of the group is rejected at the field that repeats or conflicts."""
    errors = zone_errors(tmp_path, records)
    assert where(errors) == [(line, field) for line, field, _ in expected]
    for error, (_, _, text) in zip(errors, expected, strict=True):
        assert text in error.message


@pytest.mark.parametrize(
    ("policy", "limit"),
    [
        ("weighted", 100),
        ("latency", 100),
        ("geolocation", 100),
        ("multivalue", 100),
        ("cidr", 100),
        ("geoproximity", 30),
    ],
)
def test_record_sets_per_name_and_type_are_capped(tmp_path: Path, policy: str, limit: int) -> None:
    """One record set over Route 53's per-name+type quota (§1.5) is an error at that record set."""
    # Locations repeat past the distinct ones available; their duplicate errors are left out.
    errors = zone_errors(tmp_path, "".join(group_member(policy, i) for i in range(limit + 1)))
    capped = [e for e in errors if "Route 53 allows at most" in e.message]
    assert where(capped) == [(4 + limit, f"record_sets[{limit}]")]
    assert capped[0].message.startswith(f"a.example.com. A has {limit + 1} ")
    assert capped[0].message.endswith(
        f"record sets; Route 53 allows at most {limit} per name and type"
    )


def group_member(policy: str, index: int) -> str:
    """The `index`th record set of a group of `policy` at a.example.com, distinct where it can."""
    regions = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2"]
    attributes = {
        "weighted": "weighted_routing_policy: {weight: 1}",
        "latency": f"latency_routing_policy: {{region: {regions[index % len(regions)]}}}",
        "geolocation": "geolocation_routing_policy: {country: '*'}",
        "multivalue": "multivalue_answer_routing_policy: true",
        "cidr": "cidr_routing_policy: {collection_id: corp, location_name: hq}",
        "geoproximity": "geoproximity_routing_policy: "
        f"{{coordinates: {{latitude: {index}, longitude: 0}}}}",
    }[policy]
    return f"- {{name: a, type: A, records: [192.0.2.1], set_identifier: s{index}, {attributes}}}\n"


def test_routing_errors_of_a_file_are_all_reported_at_once(tmp_path: Path) -> None:
    """Per-record and per-group routing errors of one file come back together, in line order."""
    errors = zone_errors(
        tmp_path,
        weighted("a", "one")
        + weighted("a", "two", ", health_check_id: missing")
        + routed("latency_routing_policy: {region: nowhere-1}").replace("name: a", "name: b")
        + "- {name: c, type: A, records: [192.0.2.1], set_identifier: lone}\n"
        + weighted("a", "one")
        + weighted("d", "heavy", weight=300),
    )
    assert where(errors) == [
        (5, "record_sets[1].health_check_id"),
        (6, "record_sets[2].latency_routing_policy.region"),
        (7, "record_sets[3]"),
        (8, "record_sets[4].set_identifier"),
        (9, "record_sets[5].weighted_routing_policy.weight"),
    ]
    assert str(errors[-1]) == (
        f"{tmp_path / 'example.com.yaml'}:9: record_sets[5].weighted_routing_policy.weight: "
        "300 is not in 0..255"
    )


def test_reference_to_a_broken_definition_is_not_reported_twice(tmp_path: Path) -> None:
    """A record set naming a health check or collection whose own definition has an error gets
    no second error: only the definitions are reported."""
    account = (
        "health_checks:\n  broken: {type: HTTP}\n"
        "cidr_collections:\n  corp:\n    hq: [203.0.113.1/24]\n"
    )
    zone = HEAD + (
        "  - {name: a, type: A, records: [192.0.2.1], health_check_id: broken}\n"
        "  - {name: b, type: A, records: [192.0.2.1], set_identifier: x,\n"
        "     cidr_routing_policy: {collection_id: corp, location_name: hq}}\n"
    )
    errors = load_errors(tmp_path, {"account.yaml": account, "example.com.yaml": zone})
    assert [(e.file, e.line, e.field) for e in errors] == [
        (str(tmp_path / "account.yaml"), 2, "health_checks.broken"),
        (str(tmp_path / "account.yaml"), 5, "cidr_collections.corp.hq[0]"),
    ]


def json_dump(*record_sets: dict[str, object]) -> str:
    """A list-resource-record-sets dump, one record set per line (record set i on line i + 2)."""
    lines = ",\n".join(json.dumps(record_set) for record_set in record_sets)
    return '{"ResourceRecordSets": [\n' + lines + "\n]}\n"


def test_json_routing_errors_name_the_api_fields(tmp_path: Path) -> None:
    """Routing errors of a JSON dump name the API fields (`Weight`, `GeoLocation.CountryCode`)."""

    def a(ident: str, **fields: object) -> dict[str, object]:
        return {
            "Name": "a.example.com.",
            "Type": "A",
            "SetIdentifier": ident,
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
            **fields,
        }

    text = json_dump(
        {**a("w"), "Name": "w.example.com.", "Weight": 300},
        {**a("l"), "Name": "l.example.com.", "Region": "nowhere-1"},
        {**a("f"), "Name": "f.example.com.", "Failover": "BOTH"},
        {**a("g"), "Name": "g.example.com.", "GeoLocation": {"CountryCode": "ZZ"}},
        {
            **a("p"),
            "Name": "p.example.com.",
            "GeoProximityLocation": {"Coordinates": {"Latitude": "1.234", "Longitude": "0"}},
        },
        {
            **a("c"),
            "Name": "c.example.com.",
            "CidrRoutingConfig": {"CollectionId": "nope", "LocationName": "hq"},
        },
        {**a("h"), "Name": "h.example.com.", "MultiValueAnswer": True, "HealthCheckId": "nope"},
        {**a("x"), "Name": "x.example.com.", "Weight": 1, "Region": "us-east-1"},
        {
            "Name": "n.example.com.",
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": "192.0.2.1"}],
            "Weight": 1,
        },
        {**a("one"), "Weight": 1},
        {**a("one"), "Weight": 2},
    )
    errors = load_errors(tmp_path, {"account.yaml": ACCOUNT, "example.com.json": text})
    assert [(e.line, e.field) for e in errors] == [
        (2, "ResourceRecordSets[0].Weight"),
        (3, "ResourceRecordSets[1].Region"),
        (4, "ResourceRecordSets[2].Failover"),
        (5, "ResourceRecordSets[3].GeoLocation.CountryCode"),
        (6, "ResourceRecordSets[4].GeoProximityLocation.Coordinates.Latitude"),
        (7, "ResourceRecordSets[5].CidrRoutingConfig.CollectionId"),
        (8, "ResourceRecordSets[6].HealthCheckId"),
        (9, "ResourceRecordSets[7].Region"),
        (10, "ResourceRecordSets[8].SetIdentifier"),
        (12, "ResourceRecordSets[10].SetIdentifier"),
    ]
    messages = [e.message for e in errors]
    assert messages[0] == "300 is not in 0..255"
    assert messages[2] == "'BOTH' is not one of PRIMARY, SECONDARY"
    assert messages[7] == "a record set has at most one routing policy (Weight is given too)"
    assert messages[8] == "required with Weight"
    assert "set-identifier='one'] but it already exists" in messages[9]
