"""The account-level sections: `health_checks:`, `cidr_collections:`, `client_locations:`.

zone-format.md and semantics §3.5, §3.8, §5: any YAML file may carry them, with or without a
`zone:`; they are merged across files, and an id, collection or client network defined twice is
an error naming both places. Each field gets Route 53's defaults and ranges; every error names
file, line and field.
"""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path

import pytest

from r53emu.model.catalog import Catalog, ClientLocationRule, HealthCheckSpec
from r53emu.zonefiles.errors import ZoneError, ZoneLoadError
from r53emu.zonefiles.loader import load_catalog


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def load(tmp_path: Path, text: str) -> Catalog:
    """Load a directory holding only `account.yaml` with `text`."""
    return load_catalog(write(tmp_path, {"account.yaml": text}))


def load_errors(tmp_path: Path, files: dict[str, str]) -> list[ZoneError]:
    with pytest.raises(ZoneLoadError) as caught:
        load_catalog(write(tmp_path, files))
    return list(caught.value.errors)


def account_errors(tmp_path: Path, text: str) -> list[ZoneError]:
    errors = load_errors(tmp_path, {"account.yaml": text})
    assert {error.file for error in errors} == {str(tmp_path / "account.yaml")}
    return errors


def health_check(tmp_path: Path, fields: str) -> HealthCheckSpec:
    """The spec of `hc` written as `hc: {fields}`."""
    return load(tmp_path, f"health_checks:\n  hc: {{{fields}}}\n").health_checks["hc"]


def test_file_with_only_account_sections_is_valid_and_no_zone(tmp_path: Path) -> None:
    """A file without `zone:` that holds only account-level sections loads and defines no zone."""
    catalog = load(
        tmp_path,
        """\
        health_checks:
          hc: {type: TCP, ip_address: 127.0.0.1, port: 22}
        cidr_collections:
          corp: {hq: [203.0.113.0/24]}
        client_locations:
          - {cidr: 10.1.0.0/16, country: DE}
        """,
    )
    assert catalog.zones == {}
    assert list(catalog.health_checks) == ["hc"]
    assert list(catalog.cidr_collections) == ["corp"]
    assert [rule.network for rule in catalog.client_locations] == [
        ipaddress.ip_network("10.1.0.0/16")
    ]


def test_sections_merge_across_files_and_serve_any_zone(tmp_path: Path) -> None:
    """Sections of several files (zone files or not) merge; a zone references them all."""
    directory = write(
        tmp_path,
        {
            "a-checks.yaml": "health_checks:\n  hc1: {type: HTTP, fqdn: www.example.net}\n",
            "b.yaml": """\
                zone: example.com
                record_sets:
                  - {name: a, type: A, ttl: 60, records: [192.0.2.1], health_check_id: hc2,
                     set_identifier: x, cidr_routing_policy: {collection_id: c1, location_name: l}}
                health_checks:
                  hc2: {type: CALCULATED, child_healthchecks: [hc1]}
                client_locations:
                  - {cidr: 10.1.0.0/16, country: FR}
                """,
            "c.yml": """\
                cidr_collections:
                  c1: {l: ["2001:db8::/32"]}
                client_locations:
                  - {cidr: "2001:db8::/32", continent: OC}
                """,
        },
    )
    catalog = load_catalog(directory)
    assert list(catalog.health_checks) == ["hc1", "hc2"]
    assert catalog.health_checks["hc2"].child_healthchecks == ("hc1",)
    assert [rule.source.file for rule in catalog.client_locations] == [
        str(directory / "b.yaml"),
        str(directory / "c.yml"),
    ]
    group = catalog.zones[(b"example", b"com")].group((b"a", b"example", b"com"), 1)
    assert group is not None
    assert group.members[0].health_check_id == "hc2"


def test_defined_twice_across_files_names_both_places(tmp_path: Path) -> None:
    """A health check id, collection or client network defined again in a later file is an
    error at the second definition naming the first's file, line and field."""
    first = """\
        health_checks:
          hc: {type: TCP, ip_address: 127.0.0.1, port: 22}
        cidr_collections:
          corp: {hq: [203.0.113.0/24]}
        client_locations:
          - {cidr: 10.0.0.0/8, country: DE}
        """
    second = """\
        zone: example.com
        health_checks:
          hc: {type: HTTP, ip_address: 127.0.0.1}
        cidr_collections:
          corp: {hq: [198.51.100.0/24]}
        client_locations:
          - {cidr: 10.0.0.0/8, country: FR}
        """
    errors = load_errors(tmp_path, {"a.yaml": first, "b.yaml": second})
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert [(e.file, e.line, e.field) for e in errors] == [
        (str(b), 3, "health_checks.hc"),
        (str(b), 5, "cidr_collections.corp"),
        (str(b), 7, "client_locations[0].cidr"),
    ]
    assert [e.message for e in errors] == [
        f"health check hc is already defined at {a}:2 (health_checks.hc)",
        f"CIDR collection corp is already defined at {a}:4 (cidr_collections.corp)",
        f"client location 10.0.0.0/8 is already defined at {a}:6 (client_locations[0])",
    ]


def test_zone_keys_without_zone_still_need_zone(tmp_path: Path) -> None:
    """A file with record sets (or other zone keys) but no `zone:` is an error even beside
    account-level sections, and an unknown top-level key is reported."""
    errors = account_errors(
        tmp_path,
        """\
        health_checks: {}
        record_sets: []
        helth_checks: {}
        """,
    )
    assert [(e.line, e.field) for e in errors] == [(1, "zone"), (3, "helth_checks")]
    assert errors[0].message.startswith("required")
    assert "health_checks, cidr_collections, client_locations" in errors[1].message


# Health checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("type: HTTP, ip_address: 192.0.2.1", {"port": 80, "enable_sni": False}),
        ("type: HTTPS, fqdn: www.example.net.", {"port": 443, "enable_sni": True}),
        ("type: http_str_match, ip_address: 127.0.0.1, search_string: OK", {"port": 80}),
        ("type: HTTPS_STR_MATCH, ip_address: '::1', search_string: OK", {"port": 443}),
        ("type: TCP, ip_address: 127.0.0.1, port: '8080'", {"port": 8080, "enable_sni": False}),
    ],
)
def test_probed_check_gets_route53_defaults(
    tmp_path: Path, fields: str, expected: dict[str, object]
) -> None:
    """Port 80/443 by type, 30 s interval, threshold 3, path `/`, SNI on for HTTPS (§5)."""
    spec = health_check(tmp_path, fields)
    assert spec.type == fields.split(",")[0].removeprefix("type: ").upper()
    assert (spec.request_interval, spec.failure_threshold, spec.resource_path) == (30.0, 3, "/")
    assert (spec.invert_healthcheck, spec.disabled) == (False, False)
    for name, value in expected.items():
        assert getattr(spec, name) == value, name


def test_probed_check_keeps_every_field_given(tmp_path: Path) -> None:
    """Every Terraform field of a probed check is read; resource_path gets its leading `/`."""
    spec = load(
        tmp_path,
        """\
        health_checks:
          blue-http:
            type: HTTPS_STR_MATCH
            ip_address: 127.0.0.1
            fqdn: shop.example.com
            port: 8443
            resource_path: healthz?full=1
            search_string: '"status": "ok"'
            request_interval: 1
            failure_threshold: 10
            invert_healthcheck: true
            disabled: "false"
            enable_sni: false
            measure_latency: true
            regions: [us-east-1, eu-west-1, ap-southeast-1]
            reference_name: blue
            tags: {team: web}
        """,
    ).health_checks["blue-http"]
    assert spec == HealthCheckSpec(
        id="blue-http",
        type="HTTPS_STR_MATCH",
        source=spec.source,
        ip_address="127.0.0.1",
        fqdn="shop.example.com",
        port=8443,
        resource_path="/healthz?full=1",
        search_string='"status": "ok"',
        request_interval=1.0,
        failure_threshold=10,
        invert_healthcheck=True,
        disabled=False,
        enable_sni=False,
    )
    assert (spec.source.file, spec.source.line) == (str(tmp_path / "account.yaml"), 2)


def test_switch_and_calculated_checks_keep_their_state(tmp_path: Path) -> None:
    """RECOVERY_CONTROL and CLOUDWATCH_METRIC hold the state the file sets (spelled as Route 53
    spells it); CALCULATED holds its children and threshold."""
    checks = load(
        tmp_path,
        """\
        health_checks:
          arc: {type: RECOVERY_CONTROL, routing_control_state: "off",
                routing_control_arn: "arn:aws:route53-recovery-control::1:controlpanel/x"}
          alarm: {type: CLOUDWATCH_METRIC, alarm_state: insufficient_data,
                  insufficient_data_health_status: unhealthy,
                  cloudwatch_alarm_name: cpu-high, cloudwatch_alarm_region: eu-west-1}
          quiet: {type: CLOUDWATCH_METRIC}
          all: {type: CALCULATED, child_healthchecks: [arc, alarm, quiet],
                child_health_threshold: 0}
        """,
    ).health_checks
    assert checks["arc"].routing_control_state == "Off"
    assert (checks["alarm"].alarm_state, checks["alarm"].insufficient_data_health_status) == (
        "INSUFFICIENT_DATA",
        "Unhealthy",
    )
    assert (checks["quiet"].alarm_state, checks["quiet"].insufficient_data_health_status) == (
        None,
        "LastKnownStatus",
    )
    assert checks["all"].child_healthchecks == ("arc", "alarm", "quiet")
    assert checks["all"].child_health_threshold == 0


# (id, the fields of check `hc` on line 2, expected [(line, field, text the message contains)])
HEALTH_CHECK_CASES: list[tuple[str, str, list[tuple[int, str, str]]]] = [
    ("type-missing", "ip_address: 127.0.0.1", [(2, "health_checks.hc.type", "required")]),
    (
        "type-unknown",
        "type: PING, ip_address: 127.0.0.1",
        [(2, "health_checks.hc.type", "'PING' is not one of HTTP, HTTPS, HTTP_STR_MATCH")],
    ),
    (
        "no-endpoint",
        "type: HTTP",
        [(2, "health_checks.hc", "needs ip_address or fqdn")],
    ),
    (
        "ip-address-invalid",
        "type: HTTP, ip_address: 127.0.0.256",
        [(2, "health_checks.hc.ip_address", "'127.0.0.256' is not an IPv4 or IPv6 address")],
    ),
    (
        "fqdn-invalid",
        "type: HTTP, fqdn: 'a..b'",
        [(2, "health_checks.hc.fqdn", "'a..b' has an empty label")],
    ),
    (
        "port-out-of-range",
        "type: HTTP, ip_address: 127.0.0.1, port: 65536",
        [(2, "health_checks.hc.port", "65536 is not in 1..65535")],
    ),
    (
        "tcp-without-port",
        "type: TCP, ip_address: 127.0.0.1",
        [(2, "health_checks.hc.port", "required for TCP health checks")],
    ),
    (
        "search-string-missing",
        "type: HTTP_STR_MATCH, ip_address: 127.0.0.1",
        [(2, "health_checks.hc.search_string", "required for HTTP_STR_MATCH health checks")],
    ),
    (
        "search-string-too-long",
        f"type: HTTPS_STR_MATCH, ip_address: 127.0.0.1, search_string: {'x' * 256}",
        [(2, "health_checks.hc.search_string", "must be 1..255 characters")],
    ),
    (
        "search-string-on-http",
        "type: HTTP, ip_address: 127.0.0.1, search_string: OK",
        [
            (
                2,
                "health_checks.hc.search_string",
                "not used by HTTP health checks (only by HTTP_STR_MATCH, HTTPS_STR_MATCH)",
            )
        ],
    ),
    (
        "resource-path-on-tcp",
        "type: TCP, ip_address: 127.0.0.1, port: 22, resource_path: /",
        [(2, "health_checks.hc.resource_path", "not used by TCP health checks")],
    ),
    (
        "port-on-calculated",
        "type: CALCULATED, port: 80",
        [(2, "health_checks.hc.port", "not used by CALCULATED health checks")],
    ),
    (
        "request-interval-below-one",
        "type: HTTP, ip_address: 127.0.0.1, request_interval: 0.5",
        [(2, "health_checks.hc.request_interval", "0.5 is not at least 1")],
    ),
    (
        "failure-threshold-out-of-range",
        "type: HTTP, ip_address: 127.0.0.1, failure_threshold: 11",
        [(2, "health_checks.hc.failure_threshold", "11 is not in 1..10")],
    ),
    (
        "flag-not-a-boolean",
        "type: HTTP, ip_address: 127.0.0.1, invert_healthcheck: yes",
        [(2, "health_checks.hc.invert_healthcheck", "expected true or false, found 'yes'")],
    ),
    (
        "checker-regions-too-few",
        "type: HTTP, ip_address: 127.0.0.1, regions: [us-east-1, eu-west-1]",
        [(2, "health_checks.hc.regions", "needs at least 3 checker Regions")],
    ),
    (
        "child-threshold-out-of-range",
        "type: CALCULATED, child_health_threshold: 257",
        [(2, "health_checks.hc.child_health_threshold", "257 is not in 0..256")],
    ),
    (
        "child-unknown",
        "type: CALCULATED, child_healthchecks: [nope]",
        [(2, "health_checks.hc.child_healthchecks[0]", "no health check 'nope'")],
    ),
    (
        "child-listed-twice",
        "type: CALCULATED, child_healthchecks: [hc, hc]",
        [
            (2, "health_checks.hc.child_healthchecks[1]", "'hc' is listed twice"),
            (2, "health_checks.hc.child_healthchecks[0]", "hc is a CALCULATED health check"),
        ],
    ),
    (
        "routing-control-state-invalid",
        "type: RECOVERY_CONTROL, routing_control_state: Maybe",
        [(2, "health_checks.hc.routing_control_state", "'Maybe' is not one of On, Off")],
    ),
    (
        "alarm-state-invalid",
        "type: CLOUDWATCH_METRIC, alarm_state: RED",
        [(2, "health_checks.hc.alarm_state", "'RED' is not one of OK, ALARM, INSUFFICIENT_DATA")],
    ),
    (
        "insufficient-data-status-invalid",
        "type: CLOUDWATCH_METRIC, insufficient_data_health_status: Unknown",
        [
            (
                2,
                "health_checks.hc.insufficient_data_health_status",
                "'Unknown' is not one of Healthy, Unhealthy, LastKnownStatus",
            )
        ],
    ),
    (
        "field-unknown",
        "type: HTTP, ip_address: 127.0.0.1, prot: 80",
        [
            (
                2,
                "health_checks.hc.prot",
                "unknown field (expected one of: type, invert_healthcheck, disabled, "
                "reference_name, tags, ip_address, fqdn, port, request_interval, "
                "failure_threshold, measure_latency, regions, enable_sni, resource_path)",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [case[1:] for case in HEALTH_CHECK_CASES],
    ids=[case[0] for case in HEALTH_CHECK_CASES],
)
def test_forbidden_health_check_is_a_load_error(
    tmp_path: Path, fields: str, expected: list[tuple[int, str, str]]
) -> None:
    """The health check is rejected with exactly these errors, each at its line and field."""
    errors = account_errors(tmp_path, f"health_checks:\n  hc: {{{fields}}}\n")
    assert [(e.line, e.field) for e in errors] == [(line, field) for line, field, _ in expected]
    for error, (_, _, text) in zip(errors, expected, strict=True):
        assert text in error.message


def test_calculated_children_are_checked_across_files(tmp_path: Path) -> None:
    """Children may live in another file; a CALCULATED child is an error at the child's item."""
    errors = load_errors(
        tmp_path,
        {
            "a.yaml": """\
                health_checks:
                  parent:
                    type: CALCULATED
                    child_healthchecks:
                      - leaf
                      - other-parent
                """,
            "b.yaml": """\
                health_checks:
                  leaf: {type: TCP, ip_address: 127.0.0.1, port: 22}
                  other-parent: {type: CALCULATED}
                """,
        },
    )
    assert [(e.file, e.line, e.field) for e in errors] == [
        (str(tmp_path / "a.yaml"), 6, "health_checks.parent.child_healthchecks[1]")
    ]
    assert errors[0].message == (
        "other-parent is a CALCULATED health check; a calculated check's children cannot be "
        "calculated checks"
    )


# CIDR collections ------------------------------------------------------------------------


def test_collection_locations_hold_their_blocks(tmp_path: Path) -> None:
    """A collection maps each location to its IPv4 and IPv6 blocks, shortest to longest allowed."""
    collection = load(
        tmp_path,
        """\
        cidr_collections:
          corp-1:
            hq: [203.0.113.0/24, "2001:db8:1::/48"]
            Branch_2: [128.0.0.0/1, "8000::/1"]
        """,
    ).cidr_collections["corp-1"]
    assert {name: [str(b) for b in blocks] for name, blocks in collection.locations.items()} == {
        "hq": ["203.0.113.0/24", "2001:db8:1::/48"],
        "Branch_2": ["128.0.0.0/1", "8000::/1"],
    }


# (id, the location lines of collection `corp` from line 3, expected errors)
CIDR_CASES: list[tuple[str, str, list[tuple[int, str, str]]]] = [
    (
        "host-bits-set",
        "hq: [203.0.113.1/24]",
        [
            (
                3,
                "cidr_collections.corp.hq[0]",
                "203.0.113.1/24 has host bits set (the block is 203.0.113.0/24)",
            )
        ],
    ),
    (
        "ipv4-longer-than-24",
        "hq: [203.0.113.0/25]",
        [(3, "cidr_collections.corp.hq[0]", "IPv4 blocks of a CIDR collection are /1 to /24")],
    ),
    (
        "ipv6-longer-than-48",
        "hq: ['2001:db8::/49']",
        [(3, "cidr_collections.corp.hq[0]", "IPv6 blocks of a CIDR collection are /1 to /48")],
    ),
    (
        "slash-zero",
        "hq: [0.0.0.0/0]",
        [(3, "cidr_collections.corp.hq[0]", '(the "*" location stands for /0)')],
    ),
    (
        "not-a-block",
        "hq: [203.0.113.0]",
        [(3, "cidr_collections.corp.hq[0]", "'203.0.113.0' is not a CIDR block")],
    ),
    (
        "block-twice",
        "hq: [203.0.113.0/24]\nlab: [203.0.113.0/24]",
        [(4, "cidr_collections.corp.lab[0]", "203.0.113.0/24 is already in location hq")],
    ),
    ("no-blocks", "hq: []", [(3, "cidr_collections.corp.hq", "needs at least one CIDR block")]),
    (
        "star-location",
        "'*': [203.0.113.0/24]",
        [(3, "cidr_collections.corp.*", '"*" is the default location of every collection')],
    ),
    (
        "location-name-too-long",
        "a-seventeen-chars: [203.0.113.0/24]",
        [(3, "cidr_collections.corp.a-seventeen-chars", "is not a location name")],
    ),
    (
        "location-name-bad-character",
        "'h q': [203.0.113.0/24]",
        [(3, "cidr_collections.corp.h q", "'h q' is not a location name")],
    ),
]


@pytest.mark.parametrize(
    ("locations", "expected"),
    [case[1:] for case in CIDR_CASES],
    ids=[case[0] for case in CIDR_CASES],
)
def test_forbidden_collection_is_a_load_error(
    tmp_path: Path, locations: str, expected: list[tuple[int, str, str]]
) -> None:
    """The collection is rejected with exactly these errors, each at its line and field."""
    text = "cidr_collections:\n  corp:\n" + textwrap.indent(locations, "    ") + "\n"
    errors = account_errors(tmp_path, text)
    assert [(e.line, e.field) for e in errors] == [(line, field) for line, field, _ in expected]
    for error, (_, _, part) in zip(errors, expected, strict=True):
        assert part in error.message


def test_collection_id_must_be_a_name(tmp_path: Path) -> None:
    """A collection id is 1..64 of letters, digits, `_` and `-` (UUIDs fit)."""
    errors = account_errors(tmp_path, "cidr_collections:\n  'my corp': {hq: [10.0.0.0/8]}\n")
    assert [(e.line, e.field) for e in errors] == [(2, "cidr_collections.my corp")]
    assert "'my corp' is not a collection id" in errors[0].message


# Client locations ------------------------------------------------------------------------


def test_client_locations_derive_the_continent_from_the_country(tmp_path: Path) -> None:
    """Continent comes from Route 53's table when absent (TR is in EU there); coordinates and
    latency tables are kept as numbers."""
    rules = load(
        tmp_path,
        """\
        client_locations:
          - {cidr: 10.1.0.0/16, country: de, latitude: 50.11, longitude: "8.68"}
          - {cidr: 10.2.0.0/16, country: US, subdivision: ca}
          - {cidr: 10.3.0.0/16, country: JP, latency: {ap-northeast-1: 5, us-west-2: "90.5"}}
          - {cidr: "2001:db8::/32", country: TR, continent: EU}
          - {cidr: 10.4.0.0/16, continent: an}
          - {cidr: 10.9.0.0/16}
        """,
    ).client_locations
    source = rules[0].source
    assert rules[0] == ClientLocationRule(
        ipaddress.ip_network("10.1.0.0/16"),
        source,
        country="DE",
        continent="EU",
        coordinates=(50.11, 8.68),
    )
    assert (rules[1].country, rules[1].subdivision, rules[1].continent) == ("US", "CA", "NA")
    assert rules[2].latency == {"ap-northeast-1": 5.0, "us-west-2": 90.5}
    assert (rules[3].country, rules[3].continent) == ("TR", "EU")
    assert (rules[4].country, rules[4].continent) == (None, "AN")
    assert (rules[5].country, rules[5].continent, rules[5].coordinates) == (None, None, None)


# (id, the entry on line 2, expected errors)
CLIENT_CASES: list[tuple[str, str, list[tuple[int, str, str]]]] = [
    ("cidr-missing", "{country: DE}", [(2, "client_locations[0].cidr", "required")]),
    (
        "cidr-host-bits",
        "{cidr: 10.1.0.1/16, country: DE}",
        [(2, "client_locations[0].cidr", "10.1.0.1/16 has host bits set")],
    ),
    (
        "country-unknown",
        "{cidr: 10.1.0.0/16, country: XX}",
        [(2, "client_locations[0].country", "'XX' is not a country code (ISO 3166-1 alpha-2)")],
    ),
    (
        "country-default-is-no-place",
        "{cidr: 10.1.0.0/16, country: '*'}",
        [(2, "client_locations[0].country", "'*' is not a country code")],
    ),
    (
        "subdivision-without-country",
        "{cidr: 10.1.0.0/16, subdivision: CA}",
        [(2, "client_locations[0].subdivision", "needs a country")],
    ),
    (
        "subdivision-unknown",
        "{cidr: 10.1.0.0/16, country: US, subdivision: ZZ}",
        [(2, "client_locations[0].subdivision", "'ZZ' is not a subdivision code of US")],
    ),
    (
        "continent-unknown",
        "{cidr: 10.1.0.0/16, continent: EA}",
        [(2, "client_locations[0].continent", "'EA' is not a continent code")],
    ),
    (
        "continent-contradicts-country",
        "{cidr: 10.1.0.0/16, country: RU, continent: AS}",
        [(2, "client_locations[0].continent", "Route 53 places RU in EU, not AS")],
    ),
    (
        "latitude-without-longitude",
        "{cidr: 10.1.0.0/16, latitude: 10}",
        [(2, "client_locations[0].longitude", "required with latitude")],
    ),
    (
        "latitude-out-of-range",
        "{cidr: 10.1.0.0/16, latitude: -90.5, longitude: 0}",
        [(2, "client_locations[0].latitude", "-90.5 is not in -90..90")],
    ),
    (
        "longitude-not-a-number",
        "{cidr: 10.1.0.0/16, latitude: 0, longitude: east}",
        [(2, "client_locations[0].longitude", "'east' is not a number")],
    ),
    (
        "latency-region-unknown",
        "{cidr: 10.1.0.0/16, latency: {us-east-9: 5}}",
        [(2, "client_locations[0].latency.us-east-9", "'us-east-9' is not an AWS Region")],
    ),
    (
        "latency-negative",
        "{cidr: 10.1.0.0/16, latency: {us-east-1: -1}}",
        [(2, "client_locations[0].latency.us-east-1", "-1 is not at least 0")],
    ),
    (
        "latency-empty",
        "{cidr: 10.1.0.0/16, latency: {}}",
        [(2, "client_locations[0].latency", "needs at least one Region")],
    ),
    (
        "field-unknown",
        "{cidr: 10.1.0.0/16, contry: DE}",
        [(2, "client_locations[0].contry", "unknown field (expected one of: cidr, country")],
    ),
]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [case[1:] for case in CLIENT_CASES],
    ids=[case[0] for case in CLIENT_CASES],
)
def test_forbidden_client_location_is_a_load_error(
    tmp_path: Path, entry: str, expected: list[tuple[int, str, str]]
) -> None:
    """The client location is rejected with exactly these errors, each at its line and field."""
    errors = account_errors(tmp_path, f"client_locations:\n  - {entry}\n")
    assert [(e.line, e.field) for e in errors] == [(line, field) for line, field, _ in expected]
    for error, (_, _, part) in zip(errors, expected, strict=True):
        assert part in error.message


def test_account_errors_come_file_by_file_in_line_order(tmp_path: Path) -> None:
    """Errors of account sections and zones of several files are listed file by file, each
    file's in line order, together with the cross-file ones."""
    errors = load_errors(
        tmp_path,
        {
            "a.yaml": """\
                client_locations:
                  - {cidr: 10.0.0.0/8, country: XX}
                health_checks:
                  calc: {type: CALCULATED, child_healthchecks: [missing]}
                  bad: {type: HTTP}
                """,
            "b.yaml": """\
                zone: example.com
                record_sets:
                  - {name: a, type: A, ttl: 60, records: [192.0.2.1], health_check_id: nope}
                cidr_collections:
                  corp: {hq: [10.0.0.0/33]}
                """,
        },
    )
    a, b = str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")
    assert [(e.file, e.line, e.field) for e in errors] == [
        (a, 2, "client_locations[0].country"),
        (a, 4, "health_checks.calc.child_healthchecks[0]"),
        (a, 5, "health_checks.bad"),
        (b, 3, "record_sets[0].health_check_id"),
        (b, 5, "cidr_collections.corp.hq[0]"),
    ]
