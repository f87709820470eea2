"""Route 53's rest-xml protocol, server side: a request in as boto3 parameters, a result out.

    match = route_table().find(method, raw_path)          # servicemodel
    if match is None: reply = render_error(no_such_operation(method, raw_path, allowed), rid)
    params = parse_request(match.operation, match.uri_params, query, headers, body)
    reply = serialize_response(match.operation, {"ChangeInfo": {...}}, request_id=rid)
    # except ApiError as error: reply = render_error(error, rid)

`parse_request` returns the dict a boto3 user passed (members by model name; integers, booleans,
timestamps, lists and structures typed), taking each member from its location: URI label, query
parameter, header, or the XML body, whose root is the input's `locationName` in Route 53's
namespace (accepted without one too, though Route 53 refuses that: botocore always sends it).
Every failure is an `ApiError`:

- a body that is not XML, too large, with a DOCTYPE, too deep, or an element the model does not
  have where it stands: `InvalidInput`, `Invalid XML ; ...` as Route 53 words schema errors (its
  Xerces messages, `cvc-...`); the wrong root element: `MalformedInput`, `X is not valid,
  expected CreateHostedZoneRequest`, Route 53's words;
- every violated constraint of the model, collected: `InvalidInput`, in AWS's validation wording
  (`2 validation errors detected: Value 'x' at 'changeBatch.changes.1.member.resourceRecordSet.
  tTL' failed to satisfy constraint: ...; ...`). The path names members with their first letter
  lowered and list items as `N.member` (from 1), as AWS does. Lengths count UTF-16 code units, as
  Route 53's Java does. A value of the wrong type is one of these errors too (`Member must be an
  integer`: r53emu's wording; Route 53 words it as a schema error without naming the member).

`serialize_response` writes the output shape's header members as headers and the others into a
document whose root is the output shape's name, members in model order, timestamps as Route 53
sends them (`2017-03-27T17:48:16.751Z`). `error_response` writes Route 53's `ErrorResponse`.
InvalidChangeBatch is that same document with every message in one `Message`, `[first, second]`:
what Route 53 sends today (the `<InvalidChangeBatch><Messages>` form its model still describes
was retired), and what botocore reads into `Error.Message` and
`client.exceptions.InvalidChangeBatch`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # only builds documents; bodies are read by xmlread
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from r53emu.api.errors import CONTENT_TYPE, ApiError, Reply, document_bytes, xml_safe
from r53emu.api.servicemodel import NAMESPACE, Member, Operation, Shape
from r53emu.api.xmlread import Element, XmlErrorKind, XmlReadError, read_xml

DEFAULT_MAX_BODY = 32 * 1024
LARGE_BODY = 1024 * 1024
# Bodies the model lets grow past the default: a change batch holds up to 1,000 records and
# 32,000 value characters (UTF-8: up to 4 bytes each) besides names and markup; a traffic
# policy document up to 102,400 characters; a CIDR collection change up to 1,000 changes; a
# health check's lists about 34,000 characters.
BODY_LIMITS: Mapping[str, int] = {
    "ChangeResourceRecordSets": LARGE_BODY,
    "ChangeCidrCollection": LARGE_BODY,
    "CreateTrafficPolicy": LARGE_BODY,
    "CreateTrafficPolicyVersion": LARGE_BODY,
    "CreateHealthCheck": 64 * 1024,
    "UpdateHealthCheck": 64 * 1024,
}
MAX_LISTED = 100  # validation errors spelled out in one message (all are counted)

_NAMESPACES = frozenset({NAMESPACE, None})
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")  # xs:integer's lexical form (Python's int() is wider)
_DOUBLE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?INF|NaN")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}  # xs:boolean
_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_TYPE_RULES = {  # r53emu's words: Route 53 reports these as schema errors
    "integer": "Member must be an integer",
    "long": "Member must be an integer",
    "double": "Member must be a number",
    "boolean": "Member must be a boolean (true or false)",
    "timestamp": "Member must be an ISO 8601 timestamp",
}
_INVALID: Any = object()  # a member whose value failed to convert (its error is recorded)


def body_limit(operation: Operation) -> int:
    """The largest request body `operation` accepts, in bytes."""
    return BODY_LIMITS.get(operation.name, DEFAULT_MAX_BODY)


def parse_request(
    operation: Operation,
    uri_params: Mapping[str, str],
    query: Mapping[str, str] | Mapping[str, Sequence[str]],
    headers: Mapping[str, str],
    body: bytes,
    *,
    max_body: int | None = None,
) -> dict[str, Any]:
    """The operation's parameters as a boto3 user passed them; raises `ApiError`.

    `query` maps each parameter to its value or list of values (`parse_qs`), or is a multidict
    (aiohttp's `request.query`); the first value counts for a member that is not a list.
    """
    shape = operation.input
    if shape is None:
        return {}
    reader = _Reader()
    document = _document(operation, body, max_body)
    children = {} if document is None else reader.index(shape, document)
    lowered = {name.lower(): value for name, value in headers.items()}
    params: dict[str, Any] = {}
    for member in shape.members.values():
        raw: str | Element | list[str] | None
        if member.location == "uri":
            raw = uri_params.get(member.location_name)
        elif member.location == "querystring":
            values = _query_values(query, member.location_name)
            raw = values if member.shape.type == "list" else (values[0] if values else None)
        elif member.location == "header":
            raw = lowered.get(member.location_name.lower())
        else:
            raw = children.get(member.location_name)
        path = _camel(member.name)
        if raw is None:
            if member.name in shape.required:
                reader.problem(None, path, "Member must not be null")
            continue
        value = reader.read(member, raw, path)
        if value is not _INVALID:
            params[member.name] = value
    reader.raise_problems()
    return params


def serialize_response(
    operation: Operation, output: Mapping[str, Any], *, request_id: str | None = None
) -> Reply:
    """The success response for `output` (members by model name; None values left out).

    Raises TypeError or ValueError for a member the output shape lacks or a value of the wrong
    type: those are r53emu's bugs, not the client's.
    """
    headers = {"Content-Type": CONTENT_TYPE}
    if request_id is not None:
        headers["x-amzn-RequestId"] = request_id
    shape = operation.output
    if shape is None:
        if output:
            raise ValueError(f"{operation.name} has no output, got {sorted(output)}")
        return Reply(operation.status, headers, b"")
    _check_members(shape, output, operation.name)
    root = ET.Element(shape.name, xmlns=NAMESPACE)
    for member in shape.members.values():
        value = output.get(member.name)
        if value is None:
            continue
        if member.location == "header":
            headers[member.location_name] = _scalar_text(member, value, member.name)
        elif member.location is None:
            _write(root, member, value, member.name)
        else:
            raise ValueError(f"{member.name}: a response cannot carry a {member.location} member")
    return Reply(operation.status, headers, document_bytes(root))


def _document(operation: Operation, body: bytes, max_body: int | None) -> Element | None:
    if operation.input_root is None:
        return None  # an operation without a body ignores one
    limit = body_limit(operation) if max_body is None else max_body
    if len(body) <= limit and not body.strip():
        return None  # no body: botocore sends none when every body member is absent
    try:
        return read_xml(body, root=operation.input_root, namespaces=_NAMESPACES, max_bytes=limit)
    except XmlReadError as exc:
        if exc.kind is XmlErrorKind.WRONG_ROOT:
            message = f"{exc.found} is not valid, expected {operation.input_root}"
            raise ApiError("MalformedInput", message) from None
        if exc.kind is XmlErrorKind.WRONG_NAMESPACE:
            message = f"cvc-elt.1: Cannot find the declaration of element '{exc.found}'."
            raise _invalid_xml(message) from None
        if exc.kind is XmlErrorKind.TOO_LARGE:
            raise ApiError("InvalidInput", exc.message[:1].upper() + exc.message[1:]) from None
        raise _invalid_xml(exc.message) from None


class _Reader:
    """Converts raw text and elements to typed values, recording every violated constraint."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.count = 0

    def problem(self, value: object, path: str, rule: str) -> None:
        self.count += 1
        if len(self.problems) < MAX_LISTED:
            shown = "null" if value is None else f"'{_shown(value)}'"
            self.problems.append(f"Value {shown} at '{path}' failed to satisfy constraint: {rule}")

    def raise_problems(self) -> None:
        if not self.count:
            return
        errors = "error" if self.count == 1 else "errors"
        message = f"{self.count} validation {errors} detected: " + "; ".join(self.problems)
        if self.count > len(self.problems):
            message += f"; and {self.count - len(self.problems)} more"
        raise ApiError("InvalidInput", message)

    def index(self, shape: Shape, element: Element) -> dict[str, Element]:
        """A structure element's children by element name, each a body member of `shape`."""
        _element_only(element)
        wanted = [m.location_name for m in shape.members.values() if m.location is None]
        found: dict[str, Element] = {}
        for child in element.children:
            if (
                child.namespace not in _NAMESPACES
                or child.name not in wanted
                or child.name in found
            ):
                raise _unexpected(child, [name for name in wanted if name not in found])
            found[child.name] = child
        return found

    def read(self, member: Member, raw: str | Element | list[str], path: str) -> Any:
        shape = member.shape
        if shape.type == "structure":
            assert isinstance(raw, Element)  # only the body holds structures
            return self._structure(shape, raw, path)
        if shape.type == "list":
            assert shape.item is not None
            items = self._items(shape.item, raw)
            value = [
                self.read(shape.item, item, f"{path}.{number}.member")
                for number, item in enumerate(items, start=1)
            ]
            self.bounds(value, len(items), shape, path, "length")
            return [item for item in value if item is not _INVALID]
        if isinstance(raw, Element):
            if raw.children:
                rule = f"Element '{raw.name}' is a simple type, so it must have no element"
                raise _invalid_xml(f"cvc-type.3.1.2: {rule} information item [children].")
            raw = raw.text
        assert isinstance(raw, str)
        value = self._scalar(member, raw, path)
        if value is not _INVALID:
            self._check(shape, value, path)
        return value

    def _structure(self, shape: Shape, element: Element, path: str) -> dict[str, Any]:
        children = self.index(shape, element)
        result: dict[str, Any] = {}
        for member in shape.members.values():
            child = children.get(member.location_name)
            member_path = f"{path}.{_camel(member.name)}"
            if child is None:
                if member.name in shape.required:
                    self.problem(None, member_path, "Member must not be null")
                continue
            value = self.read(member, child, member_path)
            if value is not _INVALID:
                result[member.name] = value
        return result

    def _items(self, item: Member, raw: str | Element | list[str]) -> Sequence[str | Element]:
        if not isinstance(raw, Element):
            return [raw] if isinstance(raw, str) else raw
        _element_only(raw)
        for child in raw.children:
            if child.namespace not in _NAMESPACES or child.name != item.location_name:
                raise _unexpected(child, [item.location_name])
        return raw.children

    def _scalar(self, member: Member, text: str, path: str) -> Any:
        kind = member.shape.type
        value = text if kind == "string" else _convert(kind, text.strip())
        if value is _INVALID:
            self.problem(text, path, _TYPE_RULES[kind])
        return value

    def _check(self, shape: Shape, value: Any, path: str) -> None:
        if shape.type == "string":
            self.bounds(value, len(value.encode("utf-16-le")) // 2, shape, path, "length")
            if shape.enum and value not in shape.enum:
                rule = "Member must satisfy enum value set: [" + ", ".join(shape.enum) + "]"
                self.problem(value, path, rule)
            if shape.regex is not None and not shape.regex.fullmatch(value):
                rule = f"Member must satisfy regular expression pattern: {shape.pattern}"
                self.problem(value, path, rule)
        elif shape.type != "boolean" and shape.type != "timestamp":
            self.bounds(value, value, shape, path, "value")

    def bounds(self, value: object, measure: float, shape: Shape, path: str, what: str) -> None:
        """`measure` (a length, or the value) within the model's bounds, else the type's."""
        low: float | None
        high: float | None
        low, high = _RANGES.get(shape.type, (None, None)) if what == "value" else (None, None)
        low = low if shape.min is None else shape.min
        high = high if shape.max is None else shape.max
        if low is not None and measure < low:
            self.problem(
                value, path, f"Member must have {what} greater than or equal to {_number(low)}"
            )
        if high is not None and measure > high:
            self.problem(
                value, path, f"Member must have {what} less than or equal to {_number(high)}"
            )


def _convert(kind: str, text: str) -> Any:
    """A scalar's value from its (stripped) text, or `_INVALID`."""
    if kind in _RANGES:
        return int(text) if _INTEGER.fullmatch(text) else _INVALID
    if kind == "double":
        return float(text) if _DOUBLE.fullmatch(text) else _INVALID
    if kind == "boolean":
        return _BOOLEANS.get(text, _INVALID)
    try:  # a timestamp: ISO 8601 (servicemodel refuses other formats)
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _INVALID
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _query_values(query: Mapping[str, str] | Mapping[str, Sequence[str]], name: str) -> list[str]:
    getall = getattr(query, "getall", None)
    if getall is not None:
        return list(getall(name, ()))
    value = query.get(name)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _check_members(shape: Shape, value: Mapping[str, Any], path: str) -> None:
    if not value.keys() <= shape.members.keys():
        unknown = sorted(set(value) - set(shape.members))
        raise ValueError(f"{path}: {unknown} are not members of {shape.name}")


def _write(parent: ET.Element, member: Member, value: Any, path: str) -> None:
    shape = member.shape
    element = ET.SubElement(parent, member.location_name)
    if shape.type == "structure":
        if not isinstance(value, dict | Mapping):  # dict first: the common, quick check
            raise TypeError(f"{path}: expected a mapping for {shape.name}, got {value!r}")
        _check_members(shape, value, path)
        for inner in shape.members.values():
            item = value.get(inner.name)
            if item is not None:
                _write(element, inner, item, f"{path}.{inner.name}")
    elif shape.type == "list":
        if not isinstance(value, list | tuple) and (
            isinstance(value, str | bytes) or not isinstance(value, Sequence)
        ):
            raise TypeError(f"{path}: expected a list for {shape.name}, got {value!r}")
        assert shape.item is not None
        for number, item in enumerate(value):
            _write(element, shape.item, item, f"{path}[{number}]")
    else:
        element.text = _scalar_text(member, value, path)


def _scalar_text(member: Member, value: Any, path: str) -> str:
    kind = member.shape.type
    if kind == "string" and isinstance(value, str):
        return xml_safe(value)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean" and isinstance(value, bool):
        return "true" if value else "false"
    if kind in _RANGES and number and isinstance(value, int):
        return str(value)
    if kind == "double" and number:
        return repr(float(value))
    if kind == "timestamp" and isinstance(value, datetime):
        moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"
    raise TypeError(f"{path}: expected a {kind} for {member.shape.name}, got {value!r}")


def _element_only(element: Element) -> None:
    if element.text.strip():
        rule = f"Element '{element.name}' cannot have character [children], because the type's"
        raise _invalid_xml(f"cvc-complex-type.2.3: {rule} content type is element-only.")


def _unexpected(child: Element, expected: Sequence[str]) -> ApiError:
    start = f"Invalid content was found starting with element '{child.name}'."
    if not expected:
        return _invalid_xml(f"cvc-complex-type.2.4.d: {start} No child element is expected here.")
    one_of = "{" + ", ".join(expected) + "}"
    return _invalid_xml(f"cvc-complex-type.2.4.a: {start} One of '{one_of}' is expected.")


def _invalid_xml(detail: str) -> ApiError:
    return ApiError("InvalidInput", f"Invalid XML ; {detail}")


def _camel(name: str) -> str:
    """A member's name as AWS's validation messages spell it: first letter lowered (`tTL`)."""
    return name[:1].lower() + name[1:]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _shown(value: object) -> str:
    """A value as validation messages show it (lists and structures as Java prints them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_shown(item)}" for key, item in value.items()) + "}"
    return str(value)
