"""Route 53's rest-xml, checked against botocore's own client-side code, the real client.

Requests are serialized by `botocore.serialize` (what boto3 sends), routed and parsed by r53emu,
and must come back as the parameters passed; responses are written by r53emu and parsed by
`botocore.parsers` (what boto3 reads), and must come back as the output given. Every operation
of the model goes both ways with generated values; the common ones also with hand-written ones.
At the end, a boto3 client talks to r53emu's functions through botocore's `before-send` hook: the
whole client stack (id fixing, signing, error classes) with no socket.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import botocore.config
import botocore.parsers
import botocore.serialize
import pytest
from botocore.awsrequest import AWSResponse, HeadersDict
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import MultiDict

from r53emu.api import servicemodel
from r53emu.api.errors import (
    ApiError,
    Reply,
    error_response,
    invalid_change_batch,
    no_such_operation,
    render_error,
)
from r53emu.api.restxml import (
    DEFAULT_MAX_BODY,
    LARGE_BODY,
    MAX_LISTED,
    body_limit,
    parse_request,
    serialize_response,
)
from r53emu.api.servicemodel import NAMESPACE, Member, Operation, Shape, route_table

BOTO = servicemodel.botocore_model()
CHECKED = botocore.serialize.create_serializer("rest-xml")  # validates as boto3 does
UNCHECKED = botocore.serialize.create_serializer("rest-xml", include_validation=False)
PARSER = botocore.parsers.create_parser("rest-xml")
WHEN = datetime(2017, 3, 31, 15, 45, 16, 751000, tzinfo=UTC)
FAST = 0.5  # seconds


# -- helpers: botocore's side of the wire ----------------------------------------------------


def wire(name: str, params: Mapping[str, Any], *, check: bool = True) -> dict[str, Any]:
    """The request botocore's serializer makes (query as a server reads it: lists of values)."""
    serializer = CHECKED if check else UNCHECKED
    request: dict[str, Any] = serializer.serialize_to_request(params, BOTO.operation_model(name))
    query = parse_qs(urlencode(request["query_string"], doseq=True), keep_blank_values=True)
    return {**request, "query": query, "body": request["body"] or b""}


def received(request: Mapping[str, Any], **options: Any) -> dict[str, Any]:
    """What r53emu makes of a serialized request: routed, then parsed."""
    match = route_table().find(request["method"], request["url_path"])
    assert match is not None
    return parse_request(
        match.operation,
        match.uri_params,
        request["query"],
        request["headers"],
        request["body"],
        **options,
    )


def round_trip(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return received(wire(name, params))


def read_reply(name: str, reply: Reply) -> dict[str, Any]:
    """botocore's reading of a reply to operation `name` (without its ResponseMetadata)."""
    response = {
        "status_code": reply.status,
        "headers": HeadersDict(reply.headers),
        "body": reply.body,
    }
    parsed: dict[str, Any] = PARSER.parse(response, BOTO.operation_model(name).output_shape)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata["HTTPStatusCode"] == reply.status
    return parsed


def returned(name: str, output: Mapping[str, Any]) -> dict[str, Any]:
    return read_reply(name, serialize_response(servicemodel.operation(name), output))


def refusal(
    name: str, body: bytes, labels: Mapping[str, str] | None = None, **options: Any
) -> ApiError:
    """The ApiError `body`, posted to operation `name`, is refused with (timed)."""
    operation = servicemodel.operation(name)
    started = time.perf_counter()
    with pytest.raises(ApiError) as caught:
        parse_request(operation, labels or {"Id": "Z1"}, {}, {}, body, **options)
    assert time.perf_counter() - started < FAST
    return caught.value


def change_body(record_set: str, action: str = "CREATE") -> bytes:
    return (
        f'<ChangeResourceRecordSetsRequest xmlns="{NAMESPACE}"><ChangeBatch><Changes><Change>'
        f"<Action>{action}</Action><ResourceRecordSet>{record_set}</ResourceRecordSet>"
        "</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
    ).encode()


A_RECORD = "<Name>a.example.com</Name><Type>A</Type><TTL>60</TTL>" + (
    "<ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords>"
)


def invalid(error: ApiError) -> str:
    assert (error.code, error.status, error.sender) == ("InvalidInput", 400, True)
    return error.message


# -- every operation, both ways, with values generated from the model ------------------------

PATTERN_SAMPLES = {  # values for the strings the model constrains with a pattern
    "IPAddress": "192.0.2.44",
    "UUID": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "Latitude": "47.61",
    "Longitude": "-122.33",
    "Cidr": "192.0.2.0/24",
    "CidrLocationNameDefaultAllowed": "loc_1",
    "CidrLocationNameDefaultNotAllowed": "loc_1",
    "CidrNonce": "nonce-1",
    "CollectionName": "collection_1",
    "ARN": "arn:aws:iam::123456789012:role/r53emu",
    "ChangeHistoryTimeBound": "2024-01-02T03:04:05Z",
}


def sample(shape: Any, name: str) -> Any:
    """A valid value of a botocore shape, every member filled, strings that need escaping."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        return {member: sample(inner, member) for member, inner in shape.members.items()}
    if kind == "list":
        count = max(meta.get("min", 0), min(2, meta.get("max", 2)))
        return [sample(shape.member, f"{name}{n}") for n in range(count)]
    if kind == "string":
        if shape.enum:
            return shape.enum[-1]
        if shape.name in PATTERN_SAMPLES:
            return PATTERN_SAMPLES[shape.name]
        assert "pattern" not in meta, f"add a sample for {shape.name}"
        return f"{name} é&<>'\"😀"[: meta.get("max", 100)].ljust(meta.get("min", 0), "x")
    if kind in {"integer", "long"}:
        low = meta.get("min", 0)
        return low + 1 if low + 1 <= meta.get("max", low + 1) else low
    if kind == "boolean":
        return True
    if kind == "double":
        return 1.5
    assert kind == "timestamp", kind
    return WHEN


@pytest.mark.parametrize("name", sorted(BOTO.operation_names))
def test_every_operations_request_round_trips(name: str) -> None:
    model = BOTO.operation_model(name)
    params = {} if model.input_shape is None else sample(model.input_shape, name)
    assert round_trip(name, params) == params


@pytest.mark.parametrize("name", sorted(BOTO.operation_names))
def test_every_operations_response_round_trips(name: str) -> None:
    model = BOTO.operation_model(name)
    output = sample(model.output_shape, name)
    reply = serialize_response(servicemodel.operation(name), output)
    assert reply.status == model.http.get("responseCode", 200)
    assert read_reply(name, reply) == output


@given(
    st.text(
        st.characters(
            exclude_categories=("Cs",),  # surrogates are not text
            exclude_characters="\r",  # XML parsers normalize it to \n (Route 53's do too)
            min_codepoint=0x20,
        )
        | st.sampled_from("\t\n"),
        max_size=40,
    )
)
@settings(max_examples=150, deadline=None)
def test_any_text_round_trips_in_both_directions(text: str) -> None:
    """Whatever characters botocore can write in a body, r53emu reads back, and vice versa."""
    if "\ufffe" in text or "\uffff" in text:
        return  # not XML characters: neither side can carry them
    params = {
        "HostedZoneId": "Z1",
        "ChangeBatch": {
            "Comment": text,
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": "t.example.com",
                        "Type": "TXT",
                        "ResourceRecords": [{"Value": text}],
                    },
                }
            ],
        },
    }
    assert round_trip("ChangeResourceRecordSets", params) == params
    output = {
        "ChangeInfo": {
            "Id": "/change/C1",
            "Status": "PENDING",
            "SubmittedAt": WHEN,
            "Comment": text,
        }
    }
    assert returned("ChangeResourceRecordSets", output) == output


# -- requests of the operations clients use most --------------------------------------------

FULL_RECORD_SETS = [
    {
        "Name": "weighted.example.com.",
        "Type": "A",
        "SetIdentifier": "blue",
        "Weight": 255,
        "TTL": 60,
        "ResourceRecords": [{"Value": "192.0.2.1"}, {"Value": "192.0.2.2"}],
        "HealthCheckId": "abcdef11-2222-3333-4444-555555fedcba",
    },
    {
        "Name": "latency.example.com",
        "Type": "AAAA",
        "SetIdentifier": "tokyo",
        "Region": "ap-northeast-1",
        "AliasTarget": {
            "HostedZoneId": "Z2FDTNDATAQYW2",
            "DNSName": "d111111abcdef8.cloudfront.net",
            "EvaluateTargetHealth": False,
        },
    },
    {
        "Name": "geo.example.com",
        "Type": "A",
        "SetIdentifier": "california",
        "GeoLocation": {"ContinentCode": "NA", "CountryCode": "US", "SubdivisionCode": "CA"},
        "TTL": 0,
        "ResourceRecords": [{"Value": "192.0.2.3"}],
    },
    {
        "Name": "near.example.com",
        "Type": "A",
        "SetIdentifier": "frankfurt",
        "GeoProximityLocation": {
            "AWSRegion": "eu-central-1",
            "LocalZoneGroup": "us-west-2-lax-1",
            "Coordinates": {"Latitude": "-49.99", "Longitude": "+179.5"},
            "Bias": -99,
        },
        "TTL": 2147483647,
        "ResourceRecords": [{"Value": "192.0.2.4"}],
    },
    {
        "Name": "ip.example.com",
        "Type": "A",
        "SetIdentifier": "office",
        "CidrRoutingConfig": {
            "CollectionId": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "LocationName": "*",
        },
        "TTL": 300,
        "ResourceRecords": [{"Value": "192.0.2.5"}],
    },
    {
        "Name": "site.example.com",
        "Type": "CNAME",
        "SetIdentifier": "primary",
        "Failover": "PRIMARY",
        "AliasTarget": {
            "HostedZoneId": "Z1",
            "DNSName": "www.example.com",
            "EvaluateTargetHealth": True,
        },
        "HealthCheckId": "hc-1",
    },
    {
        "Name": "mv.example.com",
        "Type": "TXT",
        "SetIdentifier": "one",
        "MultiValueAnswer": True,
        "TTL": 30,
        "ResourceRecords": [{"Value": '"v=spf1 ip4:192.0.2.0/24 -all"'}, {"Value": '"a&b<c>"'}],
    },
    {
        "Name": "\\052.example.com",
        "Type": "MX",
        "TTL": 300,
        "ResourceRecords": [{"Value": "10 mail.example.com."}],
        "TrafficPolicyInstanceId": "12345678-abcd-abcd-abcd-1234567890ab",
    },
]


def test_change_resource_record_sets_with_every_field() -> None:
    params = {
        "HostedZoneId": "Z1D633PJN98FT9",
        "ChangeBatch": {
            "Comment": "every routing policy, & <escaped>",
            "Changes": [
                {"Action": action, "ResourceRecordSet": record_set}
                for action, record_set in zip(
                    ["CREATE", "UPSERT", "DELETE"] * 3, FULL_RECORD_SETS, strict=False
                )
            ],
        },
    }
    request = wire("ChangeResourceRecordSets", params)
    assert request["url_path"] == "/2013-04-01/hostedzone/Z1D633PJN98FT9/rrset/"
    assert received(request) == params
    assert body_limit(servicemodel.operation("ChangeResourceRecordSets")) == LARGE_BODY


@pytest.mark.parametrize(
    ("name", "params"),
    [
        (
            "CreateHostedZone",
            {
                "Name": "example.com",
                "CallerReference": "2024-01-02 create",
                "VPC": {"VPCRegion": "eu-west-1", "VPCId": "vpc-1a2b3c4d"},
                "HostedZoneConfig": {"Comment": "private", "PrivateZone": True},
                "DelegationSetId": "N1PA6795SAMPLE",
            },
        ),
        ("GetHostedZone", {"Id": "Z1D633PJN98FT9"}),
        (
            "ListHostedZonesByName",
            {"DNSName": "example.com.", "HostedZoneId": "Z1", "MaxItems": "5"},
        ),
        (
            "ListResourceRecordSets",
            {
                "HostedZoneId": "Z1",
                "StartRecordName": "www.example.com.",
                "StartRecordType": "SRV",
                "StartRecordIdentifier": "blue",
                "MaxItems": "300",
            },
        ),
        (
            "CreateHealthCheck",
            {
                "CallerReference": "hc-2024",
                "HealthCheckConfig": {
                    "IPAddress": "192.0.2.44",
                    "Port": 443,
                    "Type": "HTTPS_STR_MATCH",
                    "ResourcePath": "/health?full=1&x=<y>",
                    "FullyQualifiedDomainName": "www.example.com",
                    "SearchString": "ok",
                    "RequestInterval": 10,
                    "FailureThreshold": 3,
                    "MeasureLatency": True,
                    "Inverted": False,
                    "Disabled": False,
                    "HealthThreshold": 2,
                    "ChildHealthChecks": ["child-1", "child-2"],
                    "EnableSNI": True,
                    "Regions": ["us-east-1", "eu-west-1", "ap-southeast-2"],
                    "AlarmIdentifier": {"Region": "us-east-1", "Name": "alarm"},
                    "InsufficientDataHealthStatus": "LastKnownStatus",
                    "RoutingControlArn": "arn:aws:route53-recovery-control::1:controlpanel/x",
                },
            },
        ),
        (
            "ChangeTagsForResource",
            {
                "ResourceType": "hostedzone",
                "ResourceId": "Z1",
                "AddTags": [{"Key": "team", "Value": "dns"}, {"Key": "env", "Value": ""}],
                "RemoveTagKeys": ["old", "older"],
            },
        ),
        (
            "ChangeCidrCollection",
            {
                "Id": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
                "CollectionVersion": 3,
                "Changes": [
                    {"LocationName": "office", "Action": "PUT", "CidrList": ["192.0.2.0/24"]},
                    {
                        "LocationName": "lab",
                        "Action": "DELETE_IF_EXISTS",
                        "CidrList": ["2001:db8::/32", "198.51.100.0/24"],
                    },
                ],
            },
        ),
        (
            "TestDNSAnswer",
            {
                "HostedZoneId": "Z1",
                "RecordName": "www.example.com",
                "RecordType": "A",
                "ResolverIP": "192.0.2.53",
                "EDNS0ClientSubnetIP": "198.51.100.7",
                "EDNS0ClientSubnetMask": "24",
            },
        ),
        ("GetTrafficPolicy", {"Id": "12345678-abcd", "Version": 7}),
        (
            "ListTrafficPolicyInstancesByPolicy",
            {"TrafficPolicyId": "tp", "TrafficPolicyVersion": 2},
        ),
        ("UpdateHostedZoneComment", {"Id": "Z1"}),  # no Comment: botocore sends no body
        ("GetCheckerIpRanges", {}),
    ],
)
def test_requests_round_trip(name: str, params: dict[str, Any]) -> None:
    assert round_trip(name, params) == params


def test_the_query_may_be_a_multidict_or_plain_strings() -> None:
    """aiohttp's `request.query` (a multidict) and `{name: value}` work like `parse_qs`."""
    operation = servicemodel.operation("ListResourceRecordSets")
    expected = {"HostedZoneId": "Z1", "StartRecordName": "a.example.com", "StartRecordType": "A"}
    query = MultiDict([("name", "a.example.com"), ("type", "A"), ("type", "MX"), ("x", "1")])
    assert parse_request(operation, {"Id": "Z1"}, query, {}, b"") == expected
    plain = {"name": "a.example.com", "type": "A"}
    assert parse_request(operation, {"Id": "Z1"}, plain, {}, b"") == expected


def test_a_body_without_the_namespace_is_accepted() -> None:
    """Route 53 refuses it (cvc-elt.1); r53emu is lenient with hand-written clients."""
    body = (
        b"<CreateHostedZoneRequest><Name>example.com</Name>"
        b"<CallerReference>r</CallerReference></CreateHostedZoneRequest>"
    )
    operation = servicemodel.operation("CreateHostedZone")
    assert parse_request(operation, {}, {}, {}, body) == {
        "Name": "example.com",
        "CallerReference": "r",
    }


def test_booleans_as_xml_schema_spells_them() -> None:
    body = change_body(
        "<Name>a</Name><Type>A</Type><AliasTarget><HostedZoneId>Z</HostedZoneId>"
        "<DNSName>b</DNSName><EvaluateTargetHealth> 1 </EvaluateTargetHealth></AliasTarget>"
    )
    operation = servicemodel.operation("ChangeResourceRecordSets")
    params = parse_request(operation, {"Id": "Z1"}, {}, {}, body)
    record_set = params["ChangeBatch"]["Changes"][0]["ResourceRecordSet"]
    assert record_set["AliasTarget"]["EvaluateTargetHealth"] is True


def test_headers_timestamps_and_lists_outside_the_body() -> None:
    """Locations Route 53's inputs do not use yet, on a made-up operation: header names are
    case-insensitive, timestamps in the query are ISO 8601, query lists repeat the parameter."""
    text = Shape("Text", "string", max=8)
    texts = Shape("Texts", "list", item=Member("member", text, None, "member"), max=3)
    stamp = Shape("Stamp", "timestamp")
    members = {
        "Token": Member("Token", text, "header", "X-Token"),
        "Since": Member("Since", stamp, "querystring", "since"),
        "Until": Member("Until", stamp, "querystring", "until"),
        "Names": Member("Names", texts, "querystring", "name"),
    }
    shape = Shape("FakeRequest", "structure", members=members, required=frozenset({"Token"}))
    fake = Operation("Fake", "GET", "/fake", 200, shape, None, None, ())
    query = {
        "since": ["2024-01-02T03:04:05+01:00"],
        "until": ["2024-01-02T03:04:05.5Z"],
        "name": ["a", "b"],
    }
    assert parse_request(fake, {}, query, {"X-TOKEN": "t"}, b"") == {
        "Token": "t",
        "Since": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1))),
        "Until": datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC),
        "Names": ["a", "b"],
    }
    with pytest.raises(ApiError) as caught:
        parse_request(fake, {}, {"since": ["yesterday"], "name": list("abcd")}, {}, b"")
    assert invalid(caught.value) == (
        "3 validation errors detected: "
        "Value null at 'token' failed to satisfy constraint: Member must not be null; "
        "Value 'yesterday' at 'since' failed to satisfy constraint: "
        "Member must be an ISO 8601 timestamp; "
        "Value '[a, b, c, d]' at 'names' failed to satisfy constraint: "
        "Member must have length less than or equal to 3"
    )


# -- validation, in AWS's words ---------------------------------------------------------------


def test_one_validation_error() -> None:
    request = wire("GetHostedZone", {"Id": "x" * 33}, check=False)
    with pytest.raises(ApiError) as caught:
        received(request)
    assert invalid(caught.value) == (
        "1 validation error detected: Value '" + "x" * 33 + "' at 'id' failed to satisfy "
        "constraint: Member must have length less than or equal to 32"
    )


def test_several_validation_errors_in_model_order() -> None:
    params = {
        "HostedZoneId": "Z" * 33,
        "ChangeBatch": {
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "a",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [],
                    },
                },
                {
                    "Action": "REPLACE",
                    "ResourceRecordSet": {"Name": "a", "Type": "A", "Weight": 256, "TTL": -1},
                },
            ]
        },
    }
    with pytest.raises(ApiError) as caught:
        received(wire("ChangeResourceRecordSets", params, check=False))
    change = "changeBatch.changes.{}.member"
    assert invalid(caught.value) == (
        "5 validation errors detected: "
        f"Value '{'Z' * 33}' at 'hostedZoneId' failed to satisfy constraint: "
        "Member must have length less than or equal to 32; "
        f"Value '[]' at '{change.format(1)}.resourceRecordSet.resourceRecords' failed to "
        "satisfy constraint: Member must have length greater than or equal to 1; "
        f"Value 'REPLACE' at '{change.format(2)}.action' failed to satisfy constraint: "
        "Member must satisfy enum value set: [CREATE, DELETE, UPSERT]; "
        f"Value '256' at '{change.format(2)}.resourceRecordSet.weight' failed to satisfy "
        "constraint: Member must have value less than or equal to 255; "
        f"Value '-1' at '{change.format(2)}.resourceRecordSet.tTL' failed to satisfy "
        "constraint: Member must have value greater than or equal to 0"
    )


def test_a_missing_required_member() -> None:
    request = wire("CreateHostedZone", {"Name": "example.com"}, check=False)
    with pytest.raises(ApiError) as caught:
        received(request)
    assert invalid(caught.value) == (
        "1 validation error detected: Value null at 'callerReference' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_no_body_at_all() -> None:
    error = refusal("ChangeResourceRecordSets", b"")
    assert invalid(error).endswith(
        "Value null at 'changeBatch' failed to satisfy constraint: Member must not be null"
    )


def test_required_members_of_nested_structures() -> None:
    error = refusal("ChangeResourceRecordSets", change_body("<AliasTarget/>", action="DELETE"))
    assert invalid(error) == (
        "5 validation errors detected: "
        + "; ".join(
            f"Value null at 'changeBatch.changes.1.member.resourceRecordSet.{path}' failed to "
            "satisfy constraint: Member must not be null"
            for path in [
                "name",
                "type",
                "aliasTarget.hostedZoneId",
                "aliasTarget.dNSName",
                "aliasTarget.evaluateTargetHealth",
            ]
        )
    )


@pytest.mark.parametrize(
    ("element", "text", "rule"),
    [
        ("TTL", "abc", "Member must be an integer"),
        ("TTL", "1.5", "Member must be an integer"),
        ("TTL", "1_000", "Member must be an integer"),
        ("TTL", "", "Member must be an integer"),
        ("TTL", "9" * 31, "Member must be an integer"),
        ("TTL", "9" * 20, "Member must have value less than or equal to 2147483647"),
        ("MultiValueAnswer", "yes", "Member must be a boolean (true or false)"),
        ("MultiValueAnswer", "TRUE", "Member must be a boolean (true or false)"),
    ],
)
def test_a_value_of_the_wrong_type(element: str, text: str, rule: str) -> None:
    error = refusal(
        "ChangeResourceRecordSets",
        change_body(f"<Name>a</Name><Type>A</Type><{element}>{text}</{element}>"),
    )
    path = "changeBatch.changes.1.member.resourceRecordSet." + element[0].lower() + element[1:]
    assert invalid(error) == (
        f"1 validation error detected: Value '{text}' at '{path}' failed to satisfy "
        f"constraint: {rule}"
    )


def test_a_long_without_a_maximum_is_bounded_by_its_type() -> None:
    body = (
        b"<UpdateHealthCheckRequest><HealthCheckVersion>9223372036854775808"
        b"</HealthCheckVersion></UpdateHealthCheckRequest>"
    )
    assert invalid(refusal("UpdateHealthCheck", body, {"HealthCheckId": "hc"})) == (
        "1 validation error detected: Value '9223372036854775808' at 'healthCheckVersion' "
        "failed to satisfy constraint: Member must have value less than or equal to "
        "9223372036854775807"
    )


def test_a_string_over_its_maximum_counts_utf16_units() -> None:
    """129 emoji are 258 UTF-16 code units: over HostedZoneConfig.Comment's 256, as Java counts."""
    fits = {"Name": "e.com", "CallerReference": "r", "HostedZoneConfig": {"Comment": "😀" * 128}}
    assert round_trip("CreateHostedZone", fits) == fits
    over = {"Name": "e.com", "CallerReference": "r", "HostedZoneConfig": {"Comment": "😀" * 129}}
    with pytest.raises(ApiError) as caught:
        received(wire("CreateHostedZone", over, check=False))
    assert invalid(caught.value).endswith(
        "at 'hostedZoneConfig.comment' failed to satisfy constraint: "
        "Member must have length less than or equal to 256"
    )


def test_patterns_and_query_enums() -> None:
    record_set = {
        "Name": "a",
        "Type": "A",
        "SetIdentifier": "x",
        "GeoProximityLocation": {"Coordinates": {"Latitude": "north", "Longitude": "1"}},
        "CidrRoutingConfig": {"CollectionId": "not-a-uuid", "LocationName": "ok"},
    }
    params = {
        "HostedZoneId": "Z1",
        "ChangeBatch": {"Changes": [{"Action": "CREATE", "ResourceRecordSet": record_set}]},
    }
    with pytest.raises(ApiError) as caught:
        received(wire("ChangeResourceRecordSets", params, check=False))
    message = invalid(caught.value)
    assert message.startswith("2 validation errors detected: ")
    assert (
        "Value 'north' at 'changeBatch.changes.1.member.resourceRecordSet.geoProximityLocation."
        "coordinates.latitude' failed to satisfy constraint: Member must satisfy regular "
        "expression pattern: [-+]?[0-9]{1,2}(\\.[0-9]{0,2})?"
    ) in message
    assert (
        "Value 'not-a-uuid' at 'changeBatch.changes.1.member.resourceRecordSet."
        "cidrRoutingConfig.collectionId'" in message
    )
    listing = wire(
        "ListResourceRecordSets", {"HostedZoneId": "Z1", "StartRecordType": "ANY"}, check=False
    )
    with pytest.raises(ApiError) as caught:
        received(listing)
    assert invalid(caught.value).startswith(
        "1 validation error detected: Value 'ANY' at 'startRecordType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [SOA, A, TXT, NS, CNAME,"
    )


def test_integers_in_the_uri_and_the_query() -> None:
    operation = servicemodel.operation("GetTrafficPolicy")
    assert parse_request(operation, {"Id": "tp", "Version": "+7"}, {}, {}, b"") == {
        "Id": "tp",
        "Version": 7,
    }
    with pytest.raises(ApiError) as caught:
        parse_request(operation, {"Id": "tp", "Version": "seven"}, {}, {}, b"")
    assert (
        "Value 'seven' at 'version' failed to satisfy constraint: Member must be an integer"
        in invalid(caught.value)
    )
    listing = servicemodel.operation("ListTrafficPolicyInstancesByPolicy")
    with pytest.raises(ApiError) as caught:
        parse_request(listing, {}, {"id": ["tp"], "version": ["0"]}, {}, b"")
    assert invalid(caught.value) == (
        "1 validation error detected: Value '0' at 'trafficPolicyVersion' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1"
    )


def test_a_flood_of_errors_is_counted_but_not_all_spelled_out() -> None:
    """150 empty changes make 300 errors; the message lists the first MAX_LISTED."""
    body = (
        f'<ChangeResourceRecordSetsRequest xmlns="{NAMESPACE}"><ChangeBatch><Changes>'
        + "<Change/>" * 150
        + "</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
    ).encode()
    message = invalid(refusal("ChangeResourceRecordSets", body))
    assert message.startswith(
        "300 validation errors detected: Value null at 'changeBatch.changes.1.member.action'"
    )
    assert message.endswith(f"; and {300 - MAX_LISTED} more")
    assert message.count("Member must not be null") == MAX_LISTED


# -- hostile and malformed bodies -----------------------------------------------------------

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE ChangeResourceRecordSetsRequest [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %s "%s">' % (chr(98 + n).encode(), (b"&%s;" % chr(97 + n).encode()) * 10)
        for n in range(8)
    )
    + b"]>"
    + change_body("<Name>&i;</Name><Type>A</Type>").split(b"?>")[-1]
)
XXE = (
    b'<!DOCTYPE ChangeResourceRecordSetsRequest [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    + change_body("<Name>&x;</Name><Type>A</Type>")
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (BOMB, "Invalid XML ; a DOCTYPE is not allowed in a request body"),
        (XXE, "Invalid XML ; a DOCTYPE is not allowed in a request body"),
        (
            b"<ChangeResourceRecordSetsRequest>" + b"<ChangeBatch>" * 10_000,
            "Invalid XML ; elements are nested deeper than 32 levels",
        ),
        (
            b"<ChangeResourceRecordSetsRequest>\xff</ChangeResourceRecordSetsRequest>",
            "Invalid XML ; the request body is not UTF-8 (byte 33)",
        ),
        (
            b"Name=example.com",
            "Invalid XML ; not well-formed XML: not well-formed (invalid token): line 1, column 4",
        ),
        (
            b'<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2012-02-29/"/>',
            "Invalid XML ; cvc-elt.1: Cannot find the declaration of element "
            "'ChangeResourceRecordSetsRequest'.",
        ),
    ],
    ids=["bomb", "xxe", "deep", "not-utf8", "not-xml", "old-namespace"],
)
def test_hostile_bodies(body: bytes, message: str) -> None:
    assert invalid(refusal("ChangeResourceRecordSets", body)) == message


def test_a_body_over_the_bound() -> None:
    """32 KiB by default, 1 MiB for a change batch; the caller may set another bound."""
    create = servicemodel.operation("CreateHostedZone")
    assert body_limit(create) == DEFAULT_MAX_BODY == 32 * 1024
    padding = b" " * DEFAULT_MAX_BODY
    body = b"<CreateHostedZoneRequest>" + padding + b"</CreateHostedZoneRequest>"
    assert invalid(refusal("CreateHostedZone", body)) == (
        f"The request body is {len(body)} bytes, over the limit of 32768 bytes"
    )
    assert invalid(refusal("ChangeResourceRecordSets", b" " * (LARGE_BODY + 1))).startswith(
        "The request body is 1048577 bytes"
    )
    small = change_body(A_RECORD)
    assert invalid(refusal("ChangeResourceRecordSets", small, max_body=100)).endswith(
        "limit of 100 bytes"
    )


def test_a_large_valid_change_batch_fits() -> None:
    """1,000 records of 32 characters each, in 100 changes: well within the bound."""
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"host{n}.example.com",
                "Type": "TXT",
                "TTL": 300,
                "ResourceRecords": [
                    {"Value": f'"{n:04d}{m:02d}' + "v" * 24 + '"'} for m in range(10)
                ],
            },
        }
        for n in range(100)
    ]
    params = {"HostedZoneId": "Z1", "ChangeBatch": {"Changes": changes}}
    request = wire("ChangeResourceRecordSets", params)
    assert DEFAULT_MAX_BODY < len(request["body"]) < LARGE_BODY
    assert received(request) == params


def test_the_wrong_root_element_is_malformed_input() -> None:
    """Route 53's own words for a body whose root is not the operation's request element."""
    error = refusal("ChangeResourceRecordSets", b"<ChangeBatch><Changes/></ChangeBatch>")
    assert (error.code, error.status) == ("MalformedInput", 400)
    assert error.message == "ChangeBatch is not valid, expected ChangeResourceRecordSetsRequest"


@pytest.mark.parametrize(
    ("record_set", "detail"),
    [
        (
            A_RECORD + "<Bogus/>",
            "cvc-complex-type.2.4.a: Invalid content was found starting with element 'Bogus'. "
            "One of '{SetIdentifier, Weight, Region, GeoLocation, Failover, MultiValueAnswer, "
            "AliasTarget, HealthCheckId, TrafficPolicyInstanceId, CidrRoutingConfig, "
            "GeoProximityLocation, AZAffinity}' is expected.",
        ),
        (
            "<Name>a</Name><Name>b</Name>",
            "cvc-complex-type.2.4.a: Invalid content was found starting with element 'Name'. "
            "One of '{Type, SetIdentifier,",
        ),
        (
            "<Name>a</Name>loose text<Type>A</Type>",
            "cvc-complex-type.2.3: Element 'ResourceRecordSet' cannot have character [children], "
            "because the type's content type is element-only.",
        ),
        (
            "<Name><b>a</b></Name><Type>A</Type>",
            "cvc-type.3.1.2: Element 'Name' is a simple type, so it must have no element "
            "information item [children].",
        ),
        (
            "<Name>a</Name><Type>A</Type><ResourceRecords><Value>x</Value></ResourceRecords>",
            "cvc-complex-type.2.4.a: Invalid content was found starting with element 'Value'. "
            "One of '{ResourceRecord}' is expected.",
        ),
        (
            '<Name>a</Name><Type xmlns="urn:other">A</Type>',
            "cvc-complex-type.2.4.a: Invalid content was found starting with element 'Type'.",
        ),
    ],
    ids=["unknown", "duplicate", "text", "element-in-text", "list-item", "foreign-namespace"],
)
def test_elements_the_model_does_not_have_there(record_set: str, detail: str) -> None:
    assert invalid(refusal("ChangeResourceRecordSets", change_body(record_set))).startswith(
        "Invalid XML ; " + detail
    )


def test_a_body_sent_to_an_operation_without_one_is_ignored() -> None:
    operation = servicemodel.operation("GetHostedZone")
    assert parse_request(operation, {"Id": "Z1"}, {}, {}, b"<anything/>") == {"Id": "Z1"}


def test_no_child_is_expected_in_a_complete_structure() -> None:
    """Coordinates has two members: a third child, even a repeated one, has no place."""
    coordinates = (
        "<GeoProximityLocation><Coordinates><Latitude>1</Latitude><Longitude>2</Longitude>"
        "<Latitude>3</Latitude></Coordinates></GeoProximityLocation>"
    )
    error = refusal(
        "ChangeResourceRecordSets", change_body("<Name>a</Name><Type>A</Type>" + coordinates)
    )
    assert invalid(error) == (
        "Invalid XML ; cvc-complex-type.2.4.d: Invalid content was found starting with element "
        "'Latitude'. No child element is expected here."
    )


# -- responses --------------------------------------------------------------------------------


def test_create_hosted_zone_response() -> None:
    """201, the Location header, and the document Route 53 writes."""
    output = {
        "Location": "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1D633PJN98FT9",
        "HostedZone": {
            "Id": "/hostedzone/Z1D633PJN98FT9",
            "Name": "example.com.",
            "CallerReference": "2024-01-02 create",
            "Config": {"Comment": "a & b", "PrivateZone": False},
            "ResourceRecordSetCount": 2,
        },
        "ChangeInfo": {"Id": "/change/C1PA6795UKMFR9", "Status": "PENDING", "SubmittedAt": WHEN},
        "DelegationSet": {"NameServers": ["ns-2048.awsdns-64.com", "ns-2049.awsdns-65.net"]},
    }
    reply = serialize_response(
        servicemodel.operation("CreateHostedZone"), output, request_id="rid-1"
    )
    assert reply.status == 201
    assert reply.headers == {
        "Content-Type": "text/xml",
        "x-amzn-RequestId": "rid-1",
        "Location": "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1D633PJN98FT9",
    }
    assert reply.body.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<CreateHostedZoneResponse xmlns="'
        + NAMESPACE.encode()
        + b'"><HostedZone><Id>/hostedzone/Z1D633PJN98FT9</Id>'
    )
    assert b"<Comment>a &amp; b</Comment><PrivateZone>false</PrivateZone>" in reply.body
    assert b"<SubmittedAt>2017-03-31T15:45:16.751Z</SubmittedAt>" in reply.body
    assert b"<NameServers><NameServer>ns-2048.awsdns-64.com</NameServer>" in reply.body
    assert read_reply("CreateHostedZone", reply) == output


def test_list_resource_record_sets_response() -> None:
    output = {
        "ResourceRecordSets": FULL_RECORD_SETS,
        "IsTruncated": True,
        "NextRecordName": "next.example.com.",
        "NextRecordType": "A",
        "NextRecordIdentifier": "green",
        "MaxItems": "8",
    }
    assert returned("ListResourceRecordSets", output) == output
    empty = {"ResourceRecordSets": [], "IsTruncated": False, "MaxItems": "300"}
    assert returned("ListResourceRecordSets", empty) == empty


@pytest.mark.parametrize(
    ("given", "text"),
    [
        (datetime(2017, 3, 31, 15, 45, 16, tzinfo=UTC), "2017-03-31T15:45:16.000Z"),
        (datetime(2017, 3, 31, 15, 45, 16, 999999, tzinfo=UTC), "2017-03-31T15:45:16.999Z"),
        (datetime(2017, 3, 31, 15, 45, 16), "2017-03-31T15:45:16.000Z"),  # naive: UTC
        (
            datetime(2017, 3, 31, 17, 45, 16, tzinfo=timezone(timedelta(hours=2))),
            "2017-03-31T15:45:16.000Z",
        ),
    ],
)
def test_timestamps_as_route53_writes_them(given: datetime, text: str) -> None:
    output = {
        "HealthCheckObservations": [
            {
                "Region": "us-east-1",
                "IPAddress": "15.177.2.4",
                "StatusReport": {
                    "Status": "Success: HTTP Status Code 200, OK",
                    "CheckedTime": given,
                },
            }
        ]
    }
    reply = serialize_response(servicemodel.operation("GetHealthCheckStatus"), output)
    assert f"<CheckedTime>{text}</CheckedTime>".encode() in reply.body
    parsed = read_reply("GetHealthCheckStatus", reply)
    checked = parsed["HealthCheckObservations"][0]["StatusReport"]["CheckedTime"]
    assert checked == datetime.fromisoformat(text)


def test_responses_of_other_operations() -> None:
    change = {"ChangeInfo": {"Id": "/change/C2", "Status": "INSYNC", "SubmittedAt": WHEN}}
    assert returned("GetChange", change) == change
    answer = {
        "Nameserver": "ns-2048.awsdns-64.com",
        "RecordName": "www.example.com",
        "RecordType": "TXT",
        "RecordData": ['"v=spf1 -all"', '"<&>"'],
        "ResponseCode": "NOERROR",
        "Protocol": "UDP",
    }
    assert returned("TestDNSAnswer", answer) == answer
    zone = {"Id": "/hostedzone/Z1", "Name": "example.com.", "CallerReference": "r"}
    by_name = {
        "HostedZones": [zone, {**zone, "Id": "/hostedzone/Z2", "Config": {"PrivateZone": True}}],
        "DNSName": "example.com.",
        "IsTruncated": False,
        "MaxItems": "100",
    }
    assert returned("ListHostedZonesByName", by_name) == by_name
    alarm = {
        "EvaluationPeriods": 1,
        "Threshold": 0.25,
        "ComparisonOperator": "GreaterThanThreshold",
        "Period": 60,
        "MetricName": "Errors",
        "Namespace": "AWS/Lambda",
        "Statistic": "Maximum",
        "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
    }
    check = {
        "HealthCheck": {
            "Id": "abcdef11-2222-3333-4444-555555fedcba",
            "CallerReference": "hc",
            "HealthCheckConfig": {"Type": "CLOUDWATCH_METRIC", "Inverted": False},
            "HealthCheckVersion": 1,
            "CloudWatchAlarmConfiguration": alarm,
        },
        "Location": "https://route53.amazonaws.com/2013-04-01/healthcheck/abcdef11",
    }
    assert returned("CreateHealthCheck", check) == check


def test_characters_xml_cannot_carry_are_escaped() -> None:
    """A value from a zone file may hold them; the document must stay well-formed."""
    answer = {
        "Nameserver": "ns",
        "RecordName": "a\x00b\x1f",
        "RecordType": "A",
        "RecordData": [],
        "ResponseCode": "NOERROR",
        "Protocol": "UDP",
    }
    assert returned("TestDNSAnswer", answer)["RecordName"] == "a\\u0000b\\u001f"


@pytest.mark.parametrize(
    ("output", "error"),
    [
        (
            {"ChangeInfo": {"Id": "C", "Status": "INSYNC", "SubmittedAt": WHEN, "Extra": 1}},
            ValueError,
        ),
        ({"Bogus": 1}, ValueError),
        ({"ChangeInfo": {"Id": 7, "Status": "INSYNC"}}, TypeError),
        ({"ChangeInfo": {"Id": "C", "SubmittedAt": "2017-03-31T15:45:16Z"}}, TypeError),
        ({"ChangeInfo": ["not", "a", "structure"]}, TypeError),
    ],
)
def test_outputs_the_model_does_not_allow_are_bugs(
    output: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        serialize_response(servicemodel.operation("GetChange"), output)


def test_wrong_scalar_types_in_outputs() -> None:
    check = servicemodel.operation("GetHealthCheckCount")
    assert returned("GetHealthCheckCount", {"HealthCheckCount": 3}) == {"HealthCheckCount": 3}
    with pytest.raises(TypeError):
        serialize_response(check, {"HealthCheckCount": True})  # a bool is not a long
    with pytest.raises(TypeError):
        serialize_response(check, {"HealthCheckCount": "3"})
    listing = servicemodel.operation("ListResourceRecordSets")
    with pytest.raises(TypeError):
        serialize_response(listing, {"ResourceRecordSets": "abc", "IsTruncated": False})
    with pytest.raises(TypeError):
        serialize_response(listing, {"ResourceRecordSets": [], "IsTruncated": "false"})


def test_an_operation_without_output() -> None:
    fake = Operation("Fake", "DELETE", "/fake", 204, None, None, None, ())
    assert serialize_response(fake, {}) == Reply(204, {"Content-Type": "text/xml"}, b"")
    with pytest.raises(ValueError, match="has no output"):
        serialize_response(fake, {"Anything": 1})
    assert parse_request(fake, {}, {}, {}, b"<ignored/>") == {}


# -- errors ---------------------------------------------------------------------------------


def read_error(reply: Reply) -> dict[str, Any]:
    response = {
        "status_code": reply.status,
        "headers": HeadersDict(reply.headers),
        "body": reply.body,
    }
    shape = BOTO.operation_model("GetHostedZone").output_shape
    parsed: dict[str, Any] = PARSER.parse(response, shape)
    return parsed


def test_the_error_document() -> None:
    reply = error_response("NoSuchHostedZone", "No hosted zone found with ID: Z9", 404, "rid-2")
    assert reply.status == 404
    assert reply.headers == {"Content-Type": "text/xml", "x-amzn-RequestId": "rid-2"}
    assert reply.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="'
        + NAMESPACE.encode()
        + b'"><Error><Type>Sender</Type><Code>NoSuchHostedZone</Code><Message>No hosted zone '
        b"found with ID: Z9</Message></Error><RequestId>rid-2</RequestId></ErrorResponse>"
    )
    parsed = read_error(reply)
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchHostedZone",
        "Message": "No hosted zone found with ID: Z9",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "rid-2"


def test_a_receiver_error_and_escaped_messages() -> None:
    reply = error_response("InternalError", "bad <thing> & \x00", 500, "rid-3", sender=False)
    assert read_error(reply)["Error"] == {
        "Type": "Receiver",
        "Code": "InternalError",
        "Message": "bad <thing> & \\u0000",
    }


def test_invalid_change_batch_carries_every_message() -> None:
    """In one Message, bracketed and comma-separated, as Route 53 sends them today."""
    messages = [
        "Tried to create resource record set [name='a.example.com.', type='A'] but it exists",
        "Tried to delete resource record set [name='b.example.com.', type='TXT'] but not found",
    ]
    error = invalid_change_batch(messages)
    assert (error.code, error.status) == ("InvalidChangeBatch", 400)
    parsed = read_error(render_error(error, "rid-4"))
    assert parsed["Error"]["Code"] == "InvalidChangeBatch"
    assert parsed["Error"]["Message"] == "[" + ", ".join(messages) + "]"


def test_unknown_paths_and_methods() -> None:
    unknown = no_such_operation("GET", "/2013-04-01/nothing?x=1")
    assert (unknown.code, unknown.status, unknown.headers) == ("InvalidAction", 404, {})
    assert unknown.message == "No Route 53 operation (API 2013-04-01) takes GET /2013-04-01/nothing"
    path = "/2013-04-01/hostedzone/Z1"
    wrong = no_such_operation("PUT", path, route_table().allowed_methods(path))
    reply = render_error(wrong, "rid-5")
    assert reply.status == 405
    assert reply.headers["Allow"] == "DELETE, GET, POST"
    assert read_error(reply)["Error"] == {
        "Type": "Sender",
        "Code": "InvalidAction",
        "Message": (
            "PUT is not allowed on /2013-04-01/hostedzone/Z1: its operations take DELETE, GET, POST"
        ),
    }


# -- a boto3 client, end to end through botocore's hooks ----------------------------------------


class _Raw:
    """The part of an urllib3 response botocore reads."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


class FakeRoute53:
    """Answers botocore's requests with r53emu's routing, parsing and writing (the server to
    come, minus aiohttp), recording what each operation received."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        table = route_table()
        match = table.find(request.method, url.path)
        try:
            if match is None:
                raise no_such_operation(request.method, url.path, table.allowed_methods(url.path))
            body = request.body or b""
            query = parse_qs(url.query, keep_blank_values=True)
            params = parse_request(match.operation, match.uri_params, query, request.headers, body)
            self.received.append((match.operation.name, params))
            reply = serialize_response(
                match.operation, self.answer(match.operation.name, params), request_id="rid"
            )
        except ApiError as error:
            reply = render_error(error, "rid")
        return AWSResponse(request.url, reply.status, reply.headers, _Raw(reply.body))

    def answer(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        info = {"Id": "/change/C1", "Status": "PENDING", "SubmittedAt": WHEN}
        if name == "CreateHostedZone":
            zone = {
                "Id": "/hostedzone/Z1",
                "Name": params["Name"] + ".",
                "CallerReference": params["CallerReference"],
            }
            return {
                "Location": "https://route53.amazonaws.com/2013-04-01/hostedzone/Z1",
                "HostedZone": zone,
                "ChangeInfo": info,
                "DelegationSet": {"NameServers": ["ns-1.awsdns-01.com"]},
            }
        if name == "GetHostedZone":
            raise ApiError("NoSuchHostedZone", f"No hosted zone found with ID: {params['Id']}", 404)
        if name == "ChangeResourceRecordSets":
            deleted = [
                change["ResourceRecordSet"]
                for change in params["ChangeBatch"]["Changes"]
                if change["Action"] == "DELETE"
            ]
            if deleted:
                raise invalid_change_batch(
                    [
                        "Tried to delete resource record set "
                        f"[name='{rrset['Name']}', type='{rrset['Type']}'] but it was not found"
                        for rrset in deleted
                    ]
                )
            return {"ChangeInfo": info}
        assert name == "ListResourceRecordSets"
        return {"ResourceRecordSets": FULL_RECORD_SETS[:2], "IsTruncated": False, "MaxItems": "2"}


@pytest.fixture
def route53(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, FakeRoute53]:
    """A boto3 route53 client whose requests FakeRoute53 answers (server-side validation on:
    the client's own is off, so invalid input reaches r53emu)."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_ROUTE_53",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/r53emu-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/r53emu-credentials")
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )
    config = botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1})
    client = session.client("route53", endpoint_url="https://route53.r53emu.test", config=config)
    fake = FakeRoute53()
    client.meta.events.register("before-send.route53", fake)
    return client, fake


def test_boto3_creates_a_zone(route53: tuple[Any, FakeRoute53]) -> None:
    client, fake = route53
    response = client.create_hosted_zone(Name="example.com", CallerReference="ref-1")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert response["ResponseMetadata"]["RequestId"] == "rid"
    assert response["Location"].endswith("/hostedzone/Z1")
    assert response["HostedZone"]["Name"] == "example.com."
    assert response["ChangeInfo"]["SubmittedAt"] == WHEN
    assert fake.received == [
        ("CreateHostedZone", {"Name": "example.com", "CallerReference": "ref-1"})
    ]


def test_boto3_sends_bare_ids_and_reads_lists(route53: tuple[Any, FakeRoute53]) -> None:
    client, fake = route53
    response = client.list_resource_record_sets(
        HostedZoneId="/hostedzone/Z1",
        StartRecordName="a.example.com",
        StartRecordType="A",
        StartRecordIdentifier="blue",
        MaxItems="2",
    )
    assert response["ResourceRecordSets"] == FULL_RECORD_SETS[:2]
    assert fake.received == [
        (
            "ListResourceRecordSets",
            {
                "HostedZoneId": "Z1",
                "StartRecordName": "a.example.com",
                "StartRecordType": "A",
                "StartRecordIdentifier": "blue",
                "MaxItems": "2",
            },
        )
    ]


def test_boto3_raises_invalid_change_batch_with_every_message(
    route53: tuple[Any, FakeRoute53],
) -> None:
    client, _ = route53
    changes = [
        {"Action": "DELETE", "ResourceRecordSet": record_set} for record_set in FULL_RECORD_SETS[:2]
    ]
    with pytest.raises(client.exceptions.InvalidChangeBatch) as caught:
        client.change_resource_record_sets(HostedZoneId="Z1", ChangeBatch={"Changes": changes})
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidChangeBatch"
    assert error["Message"] == (
        "[Tried to delete resource record set [name='weighted.example.com.', type='A'] but it "
        "was not found, Tried to delete resource record set [name='latency.example.com', "
        "type='AAAA'] but it was not found]"
    )
    assert "InvalidChangeBatch" in str(caught.value)


def test_boto3_raises_modeled_errors(route53: tuple[Any, FakeRoute53]) -> None:
    client, _ = route53
    with pytest.raises(client.exceptions.NoSuchHostedZone) as missing:
        client.get_hosted_zone(Id="/hostedzone/ZNOPE")
    assert missing.value.response["Error"]["Message"] == "No hosted zone found with ID: ZNOPE"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    record_set = {
        "Name": "a.example.com",
        "Type": "A",
        "TTL": -1,
        "ResourceRecords": [{"Value": "192.0.2.1"}],
    }
    with pytest.raises(client.exceptions.InvalidInput) as bad:
        client.change_resource_record_sets(
            HostedZoneId="Z1",
            ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": record_set}]},
        )
    assert bad.value.response["Error"]["Message"] == (
        "1 validation error detected: Value '-1' at 'changeBatch.changes.1.member."
        "resourceRecordSet.tTL' failed to satisfy constraint: Member must have value greater "
        "than or equal to 0"
    )


def test_boto3_reads_an_unknown_operation_error(route53: tuple[Any, FakeRoute53]) -> None:
    """An operation the emulator does not route (here: the path is bent) is an XML error."""
    client, _ = route53

    def bend(request: Any, **_: Any) -> None:
        request.url = request.url.replace("/hostedzone", "/hostedzones")

    client.meta.events.register_first("before-send.route53", bend)
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.list_hosted_zones()
    assert caught.value.response["Error"]["Code"] == "InvalidAction"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
