"""Route 53's API model (botocore's `route53` 2013-04-01) as typed values, and its route table.

botocore ships the model boto3, the AWS CLI and (by the same Smithy source) every other SDK build
their requests from; reading it instead of a hand-written table means r53emu routes, reads and
writes exactly what clients send and expect. `service_model()` converts it once (cached) into
frozen `Operation`, `Shape` and `Member` values, holding only what the wire protocol needs:

    match = route_table().find("POST", "/2013-04-01/hostedzone/Z1D633PJN98FT9/rrset/")
    match.operation.name  # "ChangeResourceRecordSets"
    match.uri_params      # {"Id": "Z1D633PJN98FT9"}

Routing rules (Route 53 documents none beyond the templates):
- A `{Label}` matches one non-empty path segment, percent-decoded after the path is split, so an
  encoded `%2F` stays inside its label. Callers pass the raw path as received (aiohttp's
  `request.raw_path`); anything after `?` is ignored.
- A trailing slash is optional on every route: ChangeResourceRecordSets' template ends in `/`
  (botocore sends `/rrset/`) while ListResourceRecordSets' does not, and hand-written clients
  send either.
- No two routes of one method can match the same path (`RouteTable.overlaps()` is empty for this
  model), so the order of the table never matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, cast
from urllib.parse import unquote

import botocore.loaders  # type: ignore[import-untyped]
import botocore.model  # type: ignore[import-untyped]

SERVICE = "route53"
API_VERSION = "2013-04-01"
NAMESPACE = "https://route53.amazonaws.com/doc/2013-04-01/"

# What route53's model uses, and so all r53emu's rest-xml handles: a botocore whose model uses
# anything else (maps, blobs, flattened lists, XML attributes, header timestamps, ...) is
# refused when the model loads rather than misread.
_TYPES = frozenset(
    {"structure", "list", "string", "integer", "long", "double", "boolean", "timestamp"}
)
_LOCATIONS = frozenset({None, "uri", "querystring", "header"})
# Java regular expressions of the model (Route 53 validates with Java) that Python spells
# differently; `matches()` there is `fullmatch` here.
_JAVA_CLASSES = {r"\p{ASCII}": r"\x00-\x7f"}


_Seen = dict[str, "Shape | None"]  # shapes converted by name (None: being converted)


class _BotoShape(Protocol):
    """The part of a botocore `Shape` read here (a member's `serialization` holds the traits of
    its reference: location and name)."""

    name: str
    type_name: str
    metadata: Mapping[str, Any]
    serialization: Mapping[str, Any]


class _BotoStructure(_BotoShape, Protocol):
    members: Mapping[str, _BotoShape]
    required_members: Sequence[str]


class _BotoList(_BotoShape, Protocol):
    member: _BotoShape


class _BotoOperation(Protocol):
    name: str
    http: Mapping[str, Any]
    input_shape: _BotoShape | None
    output_shape: _BotoShape | None
    error_shapes: Sequence[_BotoShape]


class BotocoreModel(Protocol):
    """The botocore `ServiceModel` (tests hand its operations to botocore's serializer)."""

    operation_names: Sequence[str]

    def operation_model(self, name: str) -> Any: ...


@dataclass(frozen=True, eq=False, repr=False)
class Shape:
    """A shape of the model with its constraints: `members` for structures (by model name, in
    model order: the order botocore writes elements), `item` for lists, `min`/`max` (a length for
    strings and lists, a value for numbers), `enum`, and `pattern` (the model's text, for
    messages) compiled as `regex` (None where Python cannot compile it)."""

    name: str
    type: str
    members: Mapping[str, Member] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    item: Member | None = None
    min: int | float | None = None
    max: int | float | None = None
    enum: tuple[str, ...] = ()
    pattern: str | None = None
    regex: re.Pattern[str] | None = None

    def __repr__(self) -> str:
        return f"Shape({self.name!r}, {self.type!r})"


@dataclass(frozen=True, eq=False)
class Member:
    """A member of a structure (or a list's item): its model `name`, its shape, where it travels
    (`location`: "uri", "querystring", "header", or None for the XML body) and its name there
    (`location_name`: URI label, query parameter, header, or element name)."""

    name: str
    shape: Shape
    location: str | None
    location_name: str


@dataclass(frozen=True, eq=False, repr=False)
class Operation:
    """One operation: HTTP `method` and `uri` template, the success `status` (201 for creates),
    its input and output shapes, the input document's root element (`input_root`, e.g.
    CreateHostedZoneRequest, None when the input has no body) and the error codes it declares."""

    name: str
    method: str
    uri: str
    status: int
    input: Shape | None
    output: Shape | None
    input_root: str | None
    errors: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Operation({self.name!r}, {self.method} {self.uri})"


@dataclass(frozen=True)
class ServiceModel:
    """Every operation by name, and each modeled error code's HTTP status."""

    operations: Mapping[str, Operation]
    error_statuses: Mapping[str, int]


@cache
def botocore_model() -> BotocoreModel:
    """botocore's route53 `ServiceModel`, loaded from the JSON botocore ships (once)."""
    raw = botocore.loaders.Loader().load_service_model(SERVICE, "service-2", API_VERSION)
    model: BotocoreModel = botocore.model.ServiceModel(raw, service_name=SERVICE)
    return model


@cache
def service_model() -> ServiceModel:
    """The model as `Operation` values (converted once; shapes are shared by name)."""
    boto = botocore_model()
    shapes: _Seen = {}
    operations: dict[str, Operation] = {}
    statuses: dict[str, int] = {}
    for name in boto.operation_names:
        op: _BotoOperation = boto.operation_model(name)
        operations[name] = _operation(op, shapes)
        for error in op.error_shapes:
            statuses[error.name] = error.metadata.get("error", {}).get("httpStatusCode", 400)
    return ServiceModel(operations=operations, error_statuses=statuses)


def operation(name: str) -> Operation:
    """The operation named `name` (KeyError for a name the model lacks)."""
    return service_model().operations[name]


def _operation(op: _BotoOperation, shapes: _Seen) -> Operation:
    method, uri = op.http["method"], op.http["requestUri"]
    if "?" in uri or "+}" in uri:
        raise ValueError(f"{op.name}: query or greedy labels in {uri!r} are not supported")
    boto_input = op.input_shape
    root = None
    if boto_input is not None and any(
        "location" not in m.serialization for m in _members(boto_input).values()
    ):
        root = boto_input.serialization.get("name", boto_input.name)
    return Operation(
        name=op.name,
        method=method,
        uri=uri,
        status=int(op.http.get("responseCode", 200)),
        input=None if boto_input is None else _shape(boto_input, shapes),
        output=None if op.output_shape is None else _shape(op.output_shape, shapes),
        input_root=root,
        errors=tuple(error.name for error in op.error_shapes),
    )


def _members(boto: _BotoShape) -> Mapping[str, _BotoShape]:
    return cast(_BotoStructure, boto).members


def _shape(boto: _BotoShape, shapes: _Seen) -> Shape:
    """The shape named like `boto`, converted on first sight (`shapes` holds those seen, None
    while one is being converted: seeing it again then means a recursive shape)."""
    if boto.name in shapes:
        known = shapes[boto.name]
        if known is None:
            raise ValueError(f"{boto.name}: recursive shapes are not supported")  # route53: none
        return known
    shapes[boto.name] = None
    shape = shapes[boto.name] = _convert(boto, shapes)
    return shape


def _convert(boto: _BotoShape, shapes: _Seen) -> Shape:
    kind = boto.type_name
    if kind not in _TYPES or boto.serialization.get("flattened"):
        raise ValueError(f"{boto.name}: {kind} shapes are not supported by r53emu's rest-xml")
    meta = boto.metadata
    members: dict[str, Member] = {}
    required: Sequence[str] = ()
    item = None
    if kind == "structure":
        required = cast(_BotoStructure, boto).required_members
        for name, member in _members(boto).items():
            if member.serialization.get("xmlAttribute"):
                raise ValueError(f"{boto.name}.{name}: XML attributes are not supported")
            members[name] = _member(name, member, shapes)
    elif kind == "list":
        item = _member("member", cast(_BotoList, boto).member, shapes)
    pattern = meta.get("pattern")
    return Shape(
        name=boto.name,
        type=kind,
        members=members,
        required=frozenset(required),
        item=item,
        min=meta.get("min"),
        max=meta.get("max"),
        enum=tuple(meta.get("enum", ())),
        pattern=pattern,
        regex=None if pattern is None else _java_regex(pattern),
    )


def _member(name: str, boto: _BotoShape, shapes: _Seen) -> Member:
    location, kind = boto.serialization.get("location"), boto.type_name
    if (
        location not in _LOCATIONS
        or (location is not None and kind == "structure")
        or (location in {"uri", "header"} and kind == "list")  # only the query repeats
        or (location == "header" and kind == "timestamp")  # RFC 822 there
    ):
        raise ValueError(f"{name}: a {kind} in location {location} is not supported")
    if "timestampFormat" in boto.serialization:
        raise ValueError(f"{name}: timestamp formats other than ISO 8601 are not supported")
    return Member(
        name=name,
        shape=_shape(boto, shapes),
        location=location,
        location_name=boto.serialization.get("name", name),
    )


def _java_regex(pattern: str) -> re.Pattern[str] | None:
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, f"[{python}]")
    try:
        return re.compile(pattern)
    except re.error:
        return None  # not checked rather than checked wrongly


@dataclass(frozen=True)
class RouteMatch:
    """The operation a request is for, and its URI labels, percent-decoded (`{"Id": "Z1"}`)."""

    operation: Operation
    uri_params: Mapping[str, str]


@dataclass(frozen=True)
class Route:
    """An operation's method and template, split into segments: literal text, or None where a
    label stands (`labels` names them in order)."""

    operation: Operation
    method: str
    segments: tuple[str | None, ...]
    labels: tuple[str, ...]

    @classmethod
    def of(cls, operation: Operation) -> Route:
        parts = _split(operation.uri)
        segments = tuple(None if part.startswith("{") else part for part in parts)
        labels = tuple(part[1:-1] for part in parts if part.startswith("{"))
        return cls(operation, operation.method, segments, labels)

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        """The labels' values if `segments` (decoded) fit this template, else None."""
        if len(segments) != len(self.segments):
            return None
        values = []
        for wanted, given in zip(self.segments, segments, strict=True):
            if wanted is None:
                if not given:
                    return None
                values.append(given)
            elif wanted != given:
                return None
        return dict(zip(self.labels, values, strict=True))


class RouteTable:
    """Routes by (method, number of segments), for `find`."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        self._index: dict[tuple[str, int], list[Route]] = {}
        for route in self.routes:
            self._index.setdefault((route.method, len(route.segments)), []).append(route)

    def find(self, method: str, path: str) -> RouteMatch | None:
        """The operation for `method` on the raw `path`, or None when no operation has it."""
        segments = _decoded(path)
        if segments is None:
            return None
        for route in self._index.get((method, len(segments)), ()):
            params = route.match(segments)
            if params is not None:
                return RouteMatch(route.operation, params)
        return None

    def allowed_methods(self, path: str) -> tuple[str, ...]:
        """The methods some operation accepts on `path` (for a 405's `Allow`), sorted."""
        segments = _decoded(path)
        if segments is None:
            return ()
        return tuple(sorted({r.method for r in self.routes if r.match(segments) is not None}))

    def overlaps(self) -> list[tuple[Route, Route]]:
        """Pairs of routes some request could match both: same method and length, and at every
        segment equal literals or a label on either side."""
        pairs = []
        for routes in self._index.values():
            for i, first in enumerate(routes):
                for second in routes[i + 1 :]:
                    if all(
                        a is None or b is None or a == b
                        for a, b in zip(first.segments, second.segments, strict=True)
                    ):
                        pairs.append((first, second))
        return pairs


@cache
def route_table() -> RouteTable:
    """The route of every operation of the model."""
    return RouteTable(Route.of(op) for op in service_model().operations.values())


def _split(path: str) -> list[str]:
    """A path's segments, without the leading slash and one optional trailing slash."""
    path = path.partition("?")[0]
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path.split("/")[1:]


def _decoded(path: str) -> list[str] | None:
    if not path.startswith("/"):
        return None
    try:
        return [unquote(segment, errors="strict") for segment in _split(path)]
    except UnicodeDecodeError:
        return None  # percent-escapes that are not UTF-8 name no operation's path
