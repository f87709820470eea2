"""Route 53's TestDNSAnswer (semantics §6, §7.1) as the pure function behind the admin API.

Zones are loaded from YAML written into a temporary directory; clients are placed by
`client_locations` rules on documentation ranges (no traffic is sent anywhere). The XML is read
back with botocore's own REST-XML parser, the one boto3's `route53.test_dns_answer` uses.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from r53emu.answer.contexts import make_context
from r53emu.answer.lookup import lookup
from r53emu.geo.locator import Locator
from r53emu.health.snapshot import ALL_HEALTHY, HealthSnapshot, HealthView
from r53emu.model import apexdefaults
from r53emu.model.catalog import Catalog
from r53emu.model.dnsconstants import RECORD_TYPES
from r53emu.model.names import parse
from r53emu.ops import testdnsanswer
from r53emu.ops.testdnsanswer import TestDnsAnswer, TestDnsAnswerError
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import write_zones

EXAMPLE_ID = "Z0EXAMPLETEST"
DE_NET = "198.51.100.0/24"  # client_locations: Frankfurt
US_CA_NET = "203.0.113.0/24"  # client_locations: San Francisco
DE_NET_V6 = "2001:db8:de::/48"
# Narrower rules inside the DE networks: only a client subnet at least this long is placed there.
US_CA_NARROW = "198.51.100.128/25"
US_CA_NARROW_V6 = "2001:db8:de::/80"

ZONE_FILES = {
    "account.yaml": f"""\
        health_checks:
          primary-switch: {{type: RECOVERY_CONTROL, routing_control_state: "On"}}
        client_locations:
          - {{cidr: {DE_NET}, country: DE, latitude: 50.11, longitude: 8.68}}
          - {{cidr: {US_CA_NET}, country: US, subdivision: CA, latitude: 37.77,
              longitude: -122.42}}
          - {{cidr: "{DE_NET_V6}", country: DE, latitude: 50.11, longitude: 8.68}}
          - {{cidr: {US_CA_NARROW}, country: US, subdivision: CA}}
          - {{cidr: "{US_CA_NARROW_V6}", country: US, subdivision: CA}}
        """,
    "example.test.yaml": f"""\
        zone: example.test
        id: {EXAMPLE_ID}
        ttl: 60
        record_sets:
          - {{name: www, type: A, records: [192.0.2.1]}}
          - {{name: many, type: A, records: [192.0.2.11, 192.0.2.12, 192.0.2.13, 192.0.2.14]}}
          - {{name: "@", type: TXT, records: ['"v=spf1 -all"', 'say "hi" & <bye>']}}
          - {{name: app, type: CNAME, records: [www.example.test.]}}
          - {{name: shop, type: A, alias: {{name: www.example.test}}}}
          - {{name: api, type: A, records: [192.0.2.10], set_identifier: blue,
             weighted_routing_policy: {{weight: 1}}}}
          - {{name: api, type: A, records: [192.0.2.20], set_identifier: green,
             weighted_routing_policy: {{weight: 1}}}}
          - {{name: api, type: A, records: [192.0.2.30], set_identifier: off,
             weighted_routing_policy: {{weight: 0}}}}
          - {{name: geo, type: A, records: [192.0.2.41], set_identifier: de,
             geolocation_routing_policy: {{country: DE}}}}
          - {{name: geo, type: A, records: [192.0.2.42], set_identifier: us-ca,
             geolocation_routing_policy: {{country: US, subdivision: CA}}}}
          - {{name: geo, type: A, records: [192.0.2.40], set_identifier: default,
             geolocation_routing_policy: {{country: "*"}}}}
          - {{name: lat, type: A, records: [192.0.2.51], set_identifier: fra,
             latency_routing_policy: {{region: eu-central-1}}}}
          - {{name: lat, type: A, records: [192.0.2.52], set_identifier: sfo,
             latency_routing_policy: {{region: us-west-1}}}}
          - {{name: lat, type: A, records: [192.0.2.53], set_identifier: iad,
             latency_routing_policy: {{region: us-east-1}}}}
          - {{name: fo, type: A, records: [192.0.2.61], set_identifier: primary,
             failover_routing_policy: {{type: PRIMARY}}, health_check_id: primary-switch}}
          - {{name: fo, type: A, records: [192.0.2.62], set_identifier: secondary,
             failover_routing_policy: {{type: SECONDARY}}}}
          - {{name: sub, type: NS, records: [ns.elsewhere.example.]}}
        """,
    # Hosted too, but asking example.test's servers about its names gets example.test's answer.
    "child.example.test.yaml": """\
        zone: child.example.test
        record_sets:
          - {name: host, type: A, ttl: 300, records: [198.51.100.7]}
        """,
    "other.test.yaml": """\
        zone: other.test
        nameservers: [ns1.other.test., ns2.other.test.]
        record_sets:
          - {name: www, type: A, ttl: 300, records: [192.0.2.99]}
          - {name: ns1, type: A, ttl: 300, records: [192.0.2.98]}
          - {name: ns2, type: A, ttl: 300, records: [192.0.2.97]}
        """,
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return load_catalog(write_zones(tmp_path_factory.mktemp("zones"), ZONE_FILES))


@pytest.fixture(scope="module")
def locator(catalog: Catalog) -> Iterator[Locator]:
    with Locator(catalog.client_locations) as built:
        yield built


def ask(
    catalog: Catalog,
    locator: Locator | None,
    *,
    seed: int = 0,
    health: HealthView = ALL_HEALTHY,
    extra: Mapping[str, str] | None = None,
    **params: str,
) -> TestDnsAnswer:
    """TestDNSAnswer with these query parameters (zone example.test unless given)."""
    query = {"hostedzoneid": EXAMPLE_ID, **params, **(extra or {})}
    return testdnsanswer.test_dns_answer(
        catalog, query, rng=random.Random(seed), health=health, locator=locator
    )


def rejected(catalog: Catalog, locator: Locator, **params: str) -> TestDnsAnswerError:
    """The error TestDNSAnswer raises for these parameters (given exactly, no default zone)."""
    with pytest.raises(TestDnsAnswerError) as caught:
        testdnsanswer.test_dns_answer(
            catalog, params, rng=random.Random(0), health=ALL_HEALTHY, locator=locator
        )
    return caught.value


def example_nameserver() -> str:
    return apexdefaults.nameservers("example.test.")[0].removesuffix(".")


# --- answers -------------------------------------------------------------------------------


def test_simple_a_record(catalog: Catalog, locator: Locator) -> None:
    """A simple A record reports its value, NOERROR over UDP from the zone's first name server."""
    result = ask(catalog, locator, recordname="www.example.test", recordtype="A")
    assert result == TestDnsAnswer(
        nameserver=example_nameserver(),
        record_name="www.example.test",
        record_type="A",
        record_data=("192.0.2.1",),
        response_code="NOERROR",
        protocol="UDP",
    )
    assert re.fullmatch(r"ns-\d+\.awsdns-\d\d\.com", result.nameserver)


@pytest.mark.parametrize(
    "zone_given",
    [EXAMPLE_ID, f"/hostedzone/{EXAMPLE_ID}", "example.test", "example.test.", "Example.TEST"],
)
def test_zone_by_id_prefixed_id_or_name(
    catalog: Catalog, locator: Locator, zone_given: str
) -> None:
    """The hosted zone is found by its id, its `/hostedzone/` id, or its name (any case, dot)."""
    result = ask(
        catalog, locator, hostedzoneid=zone_given, recordname="www.example.test", recordtype="A"
    )
    assert result.record_data == ("192.0.2.1",)


def test_derived_zone_id_and_own_nameservers(catalog: Catalog, locator: Locator) -> None:
    """A zone without `id:` is found by its derived id; `Nameserver` is its first own NS."""
    result = ask(
        catalog,
        locator,
        hostedzoneid=apexdefaults.zone_id("other.test."),
        recordname="www.other.test",
        recordtype="A",
    )
    assert result.record_data == ("192.0.2.99",)
    assert result.nameserver == "ns1.other.test"


def test_record_name_and_type_are_echoed_as_sent(catalog: Catalog, locator: Locator) -> None:
    """RecordName echoes the parameter verbatim (case and trailing dot); matching ignores case."""
    result = ask(catalog, locator, recordname="WWW.Example.Test.", recordtype="A")
    assert (result.record_name, result.record_type) == ("WWW.Example.Test.", "A")
    assert result.record_data == ("192.0.2.1",)


def test_values_in_the_order_a_real_query_gets(catalog: Catalog, locator: Locator) -> None:
    """RecordData lists the ANSWER values in the order the real lookup returns for that rng."""
    result = ask(catalog, locator, seed=7, recordname="many.example.test", recordtype="A")
    context = make_context(parse("many.example.test"), RECORD_TYPES["A"], locator)
    wire = lookup(catalog, context, random.Random(7), ALL_HEALTHY)
    assert result.record_data == tuple(record.text for record in wire.answer)
    assert sorted(result.record_data) == ["192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14"]


def test_weighted_choice_follows_the_seeded_rng(catalog: Catalog, locator: Locator) -> None:
    """A weighted name answers one record per query, the same for the same seed, never weight 0."""
    answers = {
        seed: ask(catalog, locator, seed=seed, recordname="api.example.test", recordtype="A")
        for seed in range(200)
    }
    data = {result.record_data for result in answers.values()}
    assert data == {("192.0.2.10",), ("192.0.2.20",)}
    again = ask(catalog, locator, seed=3, recordname="api.example.test", recordtype="A")
    assert again == answers[3]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"edns0clientsubnetip": "198.51.100.77"}, "192.0.2.41"),  # /24 by default: DE
        ({"edns0clientsubnetip": "203.0.113.5", "edns0clientsubnetmask": "24"}, "192.0.2.42"),
        # A /16 is wider than the /24 rule, so nothing places it: the default record.
        ({"edns0clientsubnetip": "198.51.100.77", "edns0clientsubnetmask": "16"}, "192.0.2.40"),
        # The default masks (/24, /64) are wider than the narrow US-CA rules: DE answers.
        ({"edns0clientsubnetip": "198.51.100.200"}, "192.0.2.41"),
        ({"edns0clientsubnetip": "198.51.100.200", "edns0clientsubnetmask": "25"}, "192.0.2.42"),
        ({"edns0clientsubnetip": "2001:db8:de::1"}, "192.0.2.41"),
        ({"edns0clientsubnetip": "2001:db8:de::1", "edns0clientsubnetmask": "80"}, "192.0.2.42"),
        ({"edns0clientsubnetip": "2001:db8:de::1", "edns0clientsubnetmask": "32"}, "192.0.2.40"),
        ({"resolverip": "203.0.113.9"}, "192.0.2.42"),  # the resolver's own address: US-CA
        # The client subnet wins over the resolver's address (semantics §2.9).
        ({"resolverip": "203.0.113.9", "edns0clientsubnetip": "198.51.100.1"}, "192.0.2.41"),
        ({}, "192.0.2.40"),  # the default resolver is placed nowhere: the default record
        ({"resolverip": "", "edns0clientsubnetip": "", "edns0clientsubnetmask": ""}, "192.0.2.40"),
    ],
)
def test_geolocation_by_client_subnet_or_resolver(
    catalog: Catalog, locator: Locator, params: dict[str, str], expected: str
) -> None:
    """Geolocation places the client by the EDNS0 subnet (with its mask), else the resolver."""
    result = ask(catalog, locator, recordname="geo.example.test", recordtype="A", extra=params)
    assert result.record_data == (expected,)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"edns0clientsubnetip": "198.51.100.20"}, "192.0.2.51"),  # Frankfurt: eu-central-1
        ({"resolverip": "203.0.113.20"}, "192.0.2.52"),  # San Francisco: us-west-1
        ({}, "192.0.2.53"),  # default resolver in us-east-1 (semantics §6)
    ],
)
def test_latency_by_client_subnet_or_resolver(
    catalog: Catalog, locator: Locator, params: dict[str, str], expected: str
) -> None:
    """Latency routing answers the Region nearest the client the parameters describe."""
    result = ask(catalog, locator, recordname="lat.example.test", recordtype="A", extra=params)
    assert result.record_data == (expected,)


def test_without_locator_every_client_is_unlocated(catalog: Catalog) -> None:
    """With no locator (none configured) a placed subnet still gets the default record."""
    result = ask(
        catalog,
        None,
        recordname="geo.example.test",
        recordtype="A",
        edns0clientsubnetip="198.51.100.77",
    )
    assert result.record_data == ("192.0.2.40",)


def test_health_view_is_honoured(catalog: Catalog, locator: Locator) -> None:
    """Failover reads the health view given: an unhealthy primary answers the secondary."""
    healthy = ask(catalog, locator, recordname="fo.example.test", recordtype="A")
    failed = ask(
        catalog,
        locator,
        health=HealthSnapshot({"primary-switch": False}),
        recordname="fo.example.test",
        recordtype="A",
    )
    assert (healthy.record_data, failed.record_data) == (("192.0.2.61",), ("192.0.2.62",))


@pytest.mark.parametrize("recordtype", ["A", "CNAME"])
def test_cname_reports_its_target(catalog: Catalog, locator: Locator, recordtype: str) -> None:
    """A CNAME answers its target alone (no chasing), whether A or CNAME was asked."""
    result = ask(catalog, locator, recordname="app.example.test", recordtype=recordtype)
    assert result.record_data == ("www.example.test.",)
    assert result.response_code == "NOERROR"


def test_alias_reports_the_targets_values(catalog: Catalog, locator: Locator) -> None:
    """An alias to an in-zone record reports the target's values (semantics §6)."""
    result = ask(catalog, locator, recordname="shop.example.test", recordtype="A")
    assert result.record_data == ("192.0.2.1",)


def test_txt_values_are_quoted_presentation_text(catalog: Catalog, locator: Locator) -> None:
    """TXT data come quoted as dig shows them, inner quotes escaped (semantics §9 item 18)."""
    result = ask(catalog, locator, recordname="example.test", recordtype="TXT")
    assert sorted(result.record_data) == ['"say \\"hi\\" & <bye>"', '"v=spf1 -all"']


@pytest.mark.parametrize(
    ("recordname", "recordtype", "rcode"),
    [
        ("nothing.example.test", "A", "NXDOMAIN"),
        ("www.example.test", "AAAA", "NOERROR"),  # NODATA
        # A delegation's NS are not in ANSWER (API reference note): referral, empty data.
        ("sub.example.test", "NS", "NOERROR"),
        ("host.sub.example.test", "A", "NOERROR"),
        # child.example.test is hosted, but example.test's own servers do not know its names.
        ("host.child.example.test", "A", "NXDOMAIN"),
    ],
)
def test_negative_answers_have_no_data(
    catalog: Catalog, locator: Locator, recordname: str, recordtype: str, rcode: str
) -> None:
    """NXDOMAIN and NODATA (and referrals) report the real rcode with empty RecordData."""
    result = ask(catalog, locator, recordname=recordname, recordtype=recordtype)
    assert (result.response_code, result.record_data) == (rcode, ())


def test_each_zone_answers_for_itself(catalog: Catalog, locator: Locator) -> None:
    """Asking the more specific hosted zone about its own name gets its record."""
    result = ask(
        catalog,
        locator,
        hostedzoneid="child.example.test",
        recordname="host.child.example.test",
        recordtype="A",
    )
    assert result.record_data == ("198.51.100.7",)


# --- errors --------------------------------------------------------------------------------

VALID = {"hostedzoneid": EXAMPLE_ID, "recordname": "www.example.test", "recordtype": "A"}


@pytest.mark.parametrize("missing", ["hostedzoneid", "recordname", "recordtype"])
@pytest.mark.parametrize("empty", [False, True])
def test_required_parameters(catalog: Catalog, locator: Locator, missing: str, empty: bool) -> None:
    """Each required parameter, absent or empty, is InvalidInput (400) naming it."""
    params = {key: value for key, value in VALID.items() if key != missing}
    if empty:
        params[missing] = ""
    error = rejected(catalog, locator, **params)
    assert (error.code, error.status) == ("InvalidInput", 400)
    assert f"'{missing}'" in error.message


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"recordtype": "ANY"}, "'recordtype'"),
        ({"recordtype": "a"}, "'recordtype'"),  # the RRType enum is upper-case
        ({"recordtype": "TYPE65"}, "'recordtype'"),
        ({"recordname": "a..example.test"}, "empty label"),
        ({"recordname": "x" * 64 + ".example.test"}, "label of 64 bytes"),
        ({"recordname": ("a" * 60 + ".") * 5 + "example.test"}, "bytes on the wire"),
        ({"recordname": "a" * 1025}, "'recordname'"),
        ({"recordname": "www.other.test"}, "not in hosted zone example.test."),
        ({"recordname": "www"}, "not in hosted zone"),  # names are absolute, never relative
        ({"resolverip": "not-an-ip"}, "'resolverip'"),
        ({"resolverip": "256.1.1.1"}, "'resolverip'"),
        ({"edns0clientsubnetip": "192.0.2"}, "'edns0clientsubnetip'"),
        ({"edns0clientsubnetip": "192.0.2.1", "edns0clientsubnetmask": "33"}, "0 to 32"),
        ({"edns0clientsubnetip": "2001:db8::1", "edns0clientsubnetmask": "129"}, "0 to 128"),
        ({"edns0clientsubnetip": "192.0.2.1", "edns0clientsubnetmask": "-1"}, "0 to 32"),
        ({"edns0clientsubnetip": "192.0.2.1", "edns0clientsubnetmask": "0024"}, "0 to 32"),
        ({"edns0clientsubnetip": "192.0.2.1", "edns0clientsubnetmask": "x"}, "0 to 32"),
        ({"edns0clientsubnetmask": "24"}, "only valid with edns0clientsubnetip"),
    ],
)
def test_invalid_input(
    catalog: Catalog, locator: Locator, override: dict[str, str], named: str
) -> None:
    """Malformed parameters are InvalidInput (400) with a message saying which and why."""
    error = rejected(catalog, locator, **{**VALID, **override})
    assert (error.code, error.status) == ("InvalidInput", 400)
    assert named in error.message


@pytest.mark.parametrize(
    ("zone_given", "shown"),
    [
        ("ZNOSUCHZONE", "ZNOSUCHZONE"),
        ("/hostedzone/ZNOSUCHZONE", "ZNOSUCHZONE"),
        (EXAMPLE_ID.lower(), EXAMPLE_ID.lower()),  # ids are matched in the case stored
        ("nothere.test", "nothere.test"),
        ("bad..name", "bad..name"),
    ],
)
def test_unknown_zone(catalog: Catalog, locator: Locator, zone_given: str, shown: str) -> None:
    """An id or name no served zone has is NoSuchHostedZone (404) with Route 53's message."""
    error = rejected(catalog, locator, **{**VALID, "hostedzoneid": zone_given})
    assert (error.code, error.status) == ("NoSuchHostedZone", 404)
    assert error.message == f"No hosted zone found with ID: {shown}"


def test_unknown_zone_is_reported_before_a_bad_record_name(
    catalog: Catalog, locator: Locator
) -> None:
    """With an unknown zone, the record name cannot be judged: NoSuchHostedZone wins."""
    error = rejected(catalog, locator, hostedzoneid="ZNOSUCHZONE", recordname="x.y", recordtype="A")
    assert error.code == "NoSuchHostedZone"


# --- XML, read back by botocore ------------------------------------------------------------


def parse_with_botocore(xml: str, status: int) -> dict[str, Any]:
    """Parse a TestDNSAnswer HTTP response body as boto3 does (REST-XML, route53 model)."""
    pytest.importorskip("botocore")
    import botocore.parsers
    import botocore.session

    model = botocore.session.get_session().get_service_model("route53")
    shape = model.operation_model("TestDNSAnswer").output_shape
    response = {"body": xml.encode("utf-8"), "headers": {}, "status_code": status}
    parsed: dict[str, Any] = botocore.parsers.RestXMLParser().parse(response, shape)
    return parsed


def test_botocore_reads_the_response(catalog: Catalog, locator: Locator) -> None:
    """boto3's parser reads every member, TXT quotes, `&` and `<` included."""
    result = ask(catalog, locator, recordname="example.test.", recordtype="TXT")
    parsed = parse_with_botocore(testdnsanswer.response_xml(result), 200)
    parsed.pop("ResponseMetadata")
    assert parsed == {
        "Nameserver": example_nameserver(),
        "RecordName": "example.test.",
        "RecordType": "TXT",
        "RecordData": list(result.record_data),
        "ResponseCode": "NOERROR",
        "Protocol": "UDP",
    }
    assert sorted(parsed["RecordData"]) == ['"say \\"hi\\" & <bye>"', '"v=spf1 -all"']


def test_botocore_reads_an_empty_answer(catalog: Catalog, locator: Locator) -> None:
    """An NXDOMAIN response parses with its rcode and no record data."""
    result = ask(catalog, locator, recordname="nothing.example.test", recordtype="A")
    parsed = parse_with_botocore(testdnsanswer.response_xml(result), 200)
    assert parsed["ResponseCode"] == "NXDOMAIN"
    assert parsed["RecordData"] == []


def test_response_document_shape(catalog: Catalog, locator: Locator) -> None:
    """The document is TestDNSAnswerResponse in Route 53's namespace, members in model order."""
    result = ask(catalog, locator, recordname="www.example.test", recordtype="A")
    xml = testdnsanswer.response_xml(result)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<TestDNSAnswerResponse ')
    assert 'xmlns="https://route53.amazonaws.com/doc/2013-04-01/"' in xml
    tags = re.findall(r"<(\w+)>", xml)
    assert tags == [
        "Nameserver",
        "RecordName",
        "RecordType",
        "RecordData",
        "RecordDataEntry",
        "ResponseCode",
        "Protocol",
    ]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({**VALID, "hostedzoneid": "ZNOSUCHZONE"}, 404, "NoSuchHostedZone"),
        ({**VALID, "recordtype": "ANY"}, 400, "InvalidInput"),
        # Control characters in echoed input would make the XML invalid: they are escaped.
        ({**VALID, "recordtype": "A\x01<&>"}, 400, "InvalidInput"),
    ],
)
def test_botocore_reads_the_error(
    catalog: Catalog, locator: Locator, params: dict[str, str], status: int, code: str
) -> None:
    """boto3's parser reads Route 53's ErrorResponse: code, message and request id."""
    error = rejected(catalog, locator, **params)
    assert error.status == status
    parsed = parse_with_botocore(testdnsanswer.error_xml(error, "req-1234"), status)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Type"] == "Sender"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1234"
    expected_message = error.message.replace("\x01", "\\u0001")
    assert parsed["Error"]["Message"] == expected_message


def test_pytest_does_not_collect_the_api_names() -> None:
    """The `Test*` classes and `test_dns_answer` are marked so pytest never collects them."""
    assert TestDnsAnswer.__test__ is False
    assert TestDnsAnswerError.__test__ is False
    assert testdnsanswer.test_dns_answer.__test__ is False  # type: ignore[attr-defined]
