"""botocore's route53 model as r53emu reads it, and the route table built from it.

Each operation's path is rendered from its own template, so every operation the installed
botocore knows is routed back to itself; a new botocore that adds an operation, or a model
feature r53emu's rest-xml does not handle, fails here first.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import botocore.model
import botocore.serialize
import pytest

from r53emu.api import servicemodel
from r53emu.api.servicemodel import Operation, Route, RouteTable, route_table, service_model

BOTO = servicemodel.botocore_model()
OPERATIONS = sorted(BOTO.operation_names)


def render(template: str, value: str = "v") -> tuple[str, dict[str, str]]:
    """A path for `template`, each label holding `value-Label`, and the labels' values."""
    labels = re.findall(r"{(\w+)}", template)
    values = {label: f"{value}-{label}" for label in labels}
    return template.format(**{k: quote(v, safe="") for k, v in values.items()}), values


def test_the_model_is_loaded_once() -> None:
    """The conversion is cached: every caller shares the same values."""
    assert service_model() is service_model()
    assert route_table() is route_table()
    assert servicemodel.operation("GetHostedZone") is service_model().operations["GetHostedZone"]


def test_every_operation_of_botocore_is_converted() -> None:
    assert sorted(service_model().operations) == OPERATIONS
    assert len(OPERATIONS) > 70


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_operation_is_routed_back_to_itself(name: str) -> None:
    """The operation's template, filled in, routes to the operation with the labels' values."""
    operation = servicemodel.operation(name)
    path, values = render(operation.uri)
    match = route_table().find(operation.method, path)
    assert match is not None
    assert match.operation is operation
    assert dict(match.uri_params) == values


@pytest.mark.parametrize("name", OPERATIONS)
def test_botocores_own_paths_are_routed(name: str) -> None:
    """The url_path botocore's serializer renders (labels percent-encoded) routes back too."""
    operation = servicemodel.operation(name)
    model = BOTO.operation_model(name)
    labels = {
        member: "id/with space" if shape.type_name == "string" else 7
        for member, shape in (model.input_shape.members.items() if model.input_shape else ())
        if shape.serialization.get("location") == "uri"
    }
    serializer = botocore.serialize.create_serializer("rest-xml", include_validation=False)
    request = serializer.serialize_to_request(labels, model)
    match = route_table().find(request["method"], request["url_path"])
    assert match is not None
    assert match.operation is operation
    assert sorted(match.uri_params.values()) == sorted(str(v) for v in labels.values())


def test_no_two_routes_overlap() -> None:
    """No path could match two operations of one method, so the table's order never matters."""
    assert route_table().overlaps() == []
    keys = [(r.method, r.segments) for r in route_table().routes]
    assert len(keys) == len(set(keys))


def test_the_overlap_finder_finds_an_overlap() -> None:
    """A label and a literal at the same place overlap; two literals that differ do not."""

    def route(name: str, uri: str, method: str = "GET") -> Route:
        return Route.of(Operation(name, method, uri, 200, None, None, None, ()))

    a = route("A", "/v/zone/{Id}")
    b = route("B", "/v/zone/count")
    c = route("C", "/v/zones/count")
    d = route("D", "/v/zone/{Id}", "POST")
    assert RouteTable([a, b, c, d]).overlaps() == [(a, b)]


@pytest.mark.parametrize(
    "path", ["/2013-04-01/hostedzone/Z1/rrset/", "/2013-04-01/hostedzone/Z1/rrset"]
)
def test_change_resource_record_sets_with_and_without_its_trailing_slash(path: str) -> None:
    match = route_table().find("POST", path)
    assert match is not None
    assert match.operation.name == "ChangeResourceRecordSets"
    assert match.uri_params == {"Id": "Z1"}
    listing = route_table().find("GET", path)
    assert listing is not None
    assert listing.operation.name == "ListResourceRecordSets"


def test_labels_are_decoded_after_the_path_is_split() -> None:
    """An encoded slash stays inside its label; escapes are decoded as UTF-8."""
    match = route_table().find("GET", "/2013-04-01/hostedzone/%2Fhostedzone%2FZ%C3%A9")
    assert match is not None
    assert match.operation.name == "GetHostedZone"
    assert match.uri_params == {"Id": "/hostedzone/Zé"}


def test_the_query_string_is_not_part_of_the_path() -> None:
    match = route_table().find("GET", "/2013-04-01/hostedzone/Z1/rrset?name=a&type=A")
    assert match is not None
    assert (match.operation.name, match.uri_params) == ("ListResourceRecordSets", {"Id": "Z1"})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/2013-04-01/nothing"),
        ("GET", "/2013-04-01/hostedzone/Z1/rrset/extra"),
        ("GET", "/2013-04-01/hostedzone//rrset"),  # an empty label
        ("GET", "/2013-04-01/hostedzone/%FF"),  # not UTF-8
        ("GET", "2013-04-01/hostedzone"),  # not absolute
        ("GET", "/2012-12-12/hostedzone"),  # another API version
        ("GET", "/"),
        ("PUT", "/2013-04-01/hostedzone/Z1"),  # a path of other methods
        ("get", "/2013-04-01/hostedzone/Z1"),  # methods are case-sensitive
    ],
)
def test_paths_without_an_operation(method: str, path: str) -> None:
    assert route_table().find(method, path) is None


def test_allowed_methods_of_a_path() -> None:
    """What a 405 lists: every method some operation takes on the path."""
    table = route_table()
    assert table.allowed_methods("/2013-04-01/hostedzone/Z1") == ("DELETE", "GET", "POST")
    assert table.allowed_methods("/2013-04-01/hostedzone/Z1/rrset/") == ("GET", "POST")
    assert table.allowed_methods("/2013-04-01/nothing") == ()
    assert table.allowed_methods("nothing") == ()


def test_operation_values() -> None:
    """What the wire protocol needs of an operation, taken from the model."""
    create = servicemodel.operation("CreateHostedZone")
    assert (create.method, create.uri, create.status) == ("POST", "/2013-04-01/hostedzone", 201)
    assert create.input_root == "CreateHostedZoneRequest"
    assert create.output is not None
    assert create.output.name == "CreateHostedZoneResponse"
    location = create.output.members["Location"]
    assert (location.location, location.location_name) == ("header", "Location")
    assert "HostedZoneAlreadyExists" in create.errors
    get = servicemodel.operation("GetHostedZone")
    assert (get.status, get.input_root) == (200, None)
    assert get.input is not None
    assert get.input.members["Id"].location == "uri"
    assert repr(get) == "Operation('GetHostedZone', GET /2013-04-01/hostedzone/{Id})"


def test_shapes_carry_their_constraints() -> None:
    change = servicemodel.operation("ChangeResourceRecordSets")
    assert change.input is not None
    assert change.input.required == {"HostedZoneId", "ChangeBatch"}
    batch = change.input.members["ChangeBatch"].shape
    changes = batch.members["Changes"].shape
    assert (changes.type, changes.min) == ("list", 1)
    assert changes.item is not None
    assert changes.item.location_name == "Change"
    record_set = changes.item.shape.members["ResourceRecordSet"].shape
    ttl = record_set.members["TTL"].shape
    assert (ttl.type, ttl.min, ttl.max) == ("long", 0, 2147483647)
    assert "CNAME" in record_set.members["Type"].shape.enum
    records = record_set.members["ResourceRecords"].shape
    assert records.item is not None
    assert records.item.location_name == "ResourceRecord"
    assert repr(ttl) == "Shape('TTL', 'long')"


def test_shapes_are_shared_by_name() -> None:
    """One `Shape` per model shape, whichever operation reaches it."""
    lists = servicemodel.operation("ListResourceRecordSets").output
    change = servicemodel.operation("ChangeResourceRecordSets").input
    assert lists is not None
    assert change is not None
    listed = lists.members["ResourceRecordSets"].shape.item
    changes = change.members["ChangeBatch"].shape.members["Changes"].shape.item
    assert listed is not None
    assert changes is not None
    assert listed.shape is changes.shape.members["ResourceRecordSet"].shape


def test_every_pattern_of_the_model_compiles() -> None:
    """Java patterns (`\\p{ASCII}`) are translated; none is left unchecked."""
    seen: set[str] = set()
    patterns = {}
    for op in service_model().operations.values():
        for shape in (op.input, op.output):
            stack = [shape] if shape else []
            while stack:
                current = stack.pop()
                if current.name in seen:
                    continue
                seen.add(current.name)
                if current.pattern is not None:
                    patterns[current.name] = current.regex
                stack.extend(m.shape for m in current.members.values())
                if current.item is not None:
                    stack.append(current.item.shape)
    assert "CidrNonce" in patterns
    assert [name for name, regex in patterns.items() if regex is None] == []
    nonce = patterns["CidrNonce"]
    assert nonce is not None
    assert nonce.fullmatch("abc")
    assert not nonce.fullmatch("é")


def test_error_statuses() -> None:
    statuses = service_model().error_statuses
    assert statuses["NoSuchHostedZone"] == 404
    assert statuses["InvalidInput"] == 400
    assert statuses["HostedZoneAlreadyExists"] == 409
    assert statuses["InvalidChangeBatch"] == 400  # the model gives no status: 400


def tiny_model(shapes: dict[str, Any], uri: str = "/v/op") -> Any:
    """A botocore model of one operation `Op` whose input is the shape `In`."""
    raw = {
        "metadata": {"protocol": "rest-xml", "apiVersion": "v", "endpointPrefix": "x"},
        "operations": {
            "Op": {
                "name": "Op",
                "http": {"method": "GET", "requestUri": uri},
                "input": {"shape": "In"},
            }
        },
        "shapes": {"S": {"type": "string"}, **shapes},
    }
    return botocore.model.ServiceModel(raw, service_name="x").operation_model("Op")


def structure(**members: dict[str, Any]) -> dict[str, Any]:
    return {"In": {"type": "structure", "members": members}}


@pytest.mark.parametrize(
    ("shapes", "uri", "words"),
    [
        (
            {
                **structure(M={"shape": "Map"}),
                "Map": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}},
            },
            "/v/op",
            "map shapes",
        ),
        ({**structure(B={"shape": "Blob"}), "Blob": {"type": "blob"}}, "/v/op", "blob shapes"),
        (
            {
                **structure(L={"shape": "L"}),
                "L": {"type": "list", "member": {"shape": "S"}, "flattened": True},
            },
            "/v/op",
            "list shapes",
        ),
        (
            structure(A={"shape": "S", "xmlAttribute": True, "locationName": "a"}),
            "/v/op",
            "XML attributes",
        ),
        (
            {
                **structure(T={"shape": "T", "location": "header", "locationName": "x-t"}),
                "T": {"type": "timestamp"},
            },
            "/v/op",
            "location header",
        ),
        (
            {
                **structure(H={"shape": "L", "location": "header", "locationName": "x-h"}),
                "L": {"type": "list", "member": {"shape": "S"}},
            },
            "/v/op",
            "location header",
        ),
        (
            structure(P={"shape": "S", "location": "headers", "locationName": "x-"}),
            "/v/op",
            "location headers",
        ),
        (
            {
                **structure(T={"shape": "T", "timestampFormat": "rfc822"}),
                "T": {"type": "timestamp"},
            },
            "/v/op",
            "timestamp formats",
        ),
        (
            structure(K={"shape": "S", "location": "uri", "locationName": "Key"}),
            "/v/{Key+}",
            "greedy",
        ),
        (structure(), "/v/op?list-type=2", "query"),
        (structure(Self={"shape": "In"}), "/v/op", "recursive"),
    ],
    ids=[
        "map",
        "blob",
        "flattened",
        "attribute",
        "header-timestamp",
        "header-list",
        "headers",
        "timestamp-format",
        "greedy-label",
        "query-in-uri",
        "recursive",
    ],
)
def test_model_features_rest_xml_does_not_handle_are_refused(
    shapes: dict[str, Any], uri: str, words: str
) -> None:
    """A botocore whose route53 model starts using one of these fails loudly at load time."""
    with pytest.raises(ValueError, match=words):
        servicemodel._operation(tiny_model(shapes, uri), {})


def test_a_query_list_of_scalars_is_handled() -> None:
    """botocore repeats the parameter for a list in the query (`?name=a&name=b`)."""
    shapes = {
        **structure(Names={"shape": "L", "location": "querystring", "locationName": "name"}),
        "L": {"type": "list", "member": {"shape": "S"}},
    }
    op = servicemodel._operation(tiny_model(shapes), {})
    assert op.input is not None
    names = op.input.members["Names"]
    assert (names.location, names.location_name, names.shape.type) == (
        "querystring",
        "name",
        "list",
    )
