"""The `health_checks:` section of a zone file -> `HealthCheckSpec`s (zone-format.md, semantics §5).

Keys are the Terraform attributes of `aws_route53_health_check`. Each type takes only the fields
that mean something for it, so a field of another type (a typo or a half-converted check) is an
error. Rules that need every file (children of CALCULATED checks exist and are not CALCULATED,
duplicate ids) are checked by `accountfile` once all sections are read.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from r53emu.model import names
from r53emu.model.catalog import HealthCheckSpec, Source
from r53emu.model.healthtypes import (
    CALCULATED,
    CLOUDWATCH_METRIC,
    HEALTH_CHECK_TYPES,
    PROBED_TYPES,
    RECOVERY_CONTROL,
    STR_MATCH_TYPES,
    SWITCH_STATES,
)
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.fieldreaders import (
    check_keys,
    read_bool,
    read_choice,
    read_int,
    read_list,
    read_mapping,
    read_number,
    read_str,
)
from r53emu.zonefiles.quoting import quoted
from r53emu.zonefiles.sourcefile import LineDict, source_text

MAX_ID = 64  # Route 53's HealthCheckId length
MAX_SEARCH_STRING = 255
MAX_RESOURCE_PATH = 255
MAX_CHILDREN = 256  # the API model's limit (the guide says 255, semantics §1.5)
CHECKER_REGIONS = (
    "us-east-1 us-west-1 us-west-2 eu-west-1 ap-southeast-1 ap-southeast-2 ap-northeast-1 sa-east-1"
).split()

# Fields by the types that use them. Terraform's informative fields (reference_name, tags,
# measure_latency, regions, routing_control_arn, cloudwatch_alarm_*) are accepted and not used.
COMMON_KEYS = ("type", "invert_healthcheck", "disabled", "reference_name", "tags")
_ENDPOINT_KEYS = (
    "ip_address",
    "fqdn",
    "port",
    "request_interval",
    "failure_threshold",
    "measure_latency",
    "regions",
    "enable_sni",
)
_KEYS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "HTTP": (*_ENDPOINT_KEYS, "resource_path"),
    "HTTPS": (*_ENDPOINT_KEYS, "resource_path"),
    "HTTP_STR_MATCH": (*_ENDPOINT_KEYS, "resource_path", "search_string"),
    "HTTPS_STR_MATCH": (*_ENDPOINT_KEYS, "resource_path", "search_string"),
    "TCP": _ENDPOINT_KEYS,
    "CALCULATED": ("child_healthchecks", "child_health_threshold"),
    "CLOUDWATCH_METRIC": (
        "alarm_state",
        "insufficient_data_health_status",
        "cloudwatch_alarm_name",
        "cloudwatch_alarm_region",
    ),
    "RECOVERY_CONTROL": ("routing_control_state", "routing_control_arn"),
}
ALL_KEYS = tuple(
    dict.fromkeys(COMMON_KEYS + tuple(k for keys in _KEYS_BY_TYPE.values() for k in keys))
)


@dataclass(frozen=True)
class ParsedCheck:
    """One entry of a `health_checks:` section: its id and field, and its spec when valid.

    `children` are the CALCULATED check's child ids with their fields, checked once every file
    is read. `type` is known whenever the entry named a valid type, even if the spec is not.
    """

    id: str
    at: Field
    type: str | None
    spec: HealthCheckSpec | None
    children: tuple[tuple[str, Field], ...] = ()


def parse_health_checks(value: Any, at: Field, errors: list[ZoneError]) -> list[ParsedCheck]:
    """Every health check of one `health_checks:` mapping (id -> fields), errors appended."""
    mapping = read_mapping(value, at, errors)
    if mapping is None:
        return []
    result = []
    for key, raw in mapping.items():
        check_at = at.child(mapping, key)
        check_id = source_text(key) if isinstance(key, int | float) else str(key)
        if not 1 <= len(check_id) <= MAX_ID or check_id != check_id.strip():
            errors.append(check_at.error(f"a health check id is 1..{MAX_ID} characters"))
        result.append(_parse_check(check_id, raw, check_at, errors))
    return result


def _parse_check(check_id: str, raw: Any, at: Field, errors: list[ZoneError]) -> ParsedCheck:
    before = len(errors)
    mapping = read_mapping(raw, at, errors)
    if mapping is None:
        return ParsedCheck(check_id, at, None, None)
    type_at = at.child(mapping, "type")
    kind = None
    if "type" not in mapping:
        errors.append(type_at.error(f"required (one of {', '.join(HEALTH_CHECK_TYPES)})"))
    else:
        kind = read_choice(mapping["type"], type_at, errors, HEALTH_CHECK_TYPES)
    if kind is None:
        check_keys(mapping, ALL_KEYS, at, errors)
        return ParsedCheck(check_id, at, None, None)
    _check_fields_of(kind, mapping, at, errors)
    fields: dict[str, Any] = {
        "invert_healthcheck": _flag(mapping, "invert_healthcheck", at, errors, False),
        "disabled": _flag(mapping, "disabled", at, errors, False),
    }
    _read_informative(mapping, at, errors)
    children: tuple[tuple[str, Field], ...] = ()
    if kind in PROBED_TYPES:
        fields.update(_endpoint(kind, mapping, at, errors))
    elif kind == CALCULATED:
        children = _children(mapping, at, errors)
        fields["child_healthchecks"] = tuple(child for child, _ in children)
        if "child_health_threshold" in mapping:
            threshold_at = at.child(mapping, "child_health_threshold")
            threshold = mapping["child_health_threshold"]
            fields["child_health_threshold"] = read_int(
                threshold, threshold_at, errors, 0, MAX_CHILDREN
            )
    elif kind == RECOVERY_CONTROL:
        fields["routing_control_state"] = _choice(
            mapping, "routing_control_state", at, errors, SWITCH_STATES[RECOVERY_CONTROL]
        )
    else:
        fields["alarm_state"] = _choice(
            mapping, "alarm_state", at, errors, SWITCH_STATES[CLOUDWATCH_METRIC]
        )
        status = _choice(
            mapping,
            "insufficient_data_health_status",
            at,
            errors,
            ("Healthy", "Unhealthy", "LastKnownStatus"),
        )
        if status is not None:
            fields["insufficient_data_health_status"] = status
    if len(errors) > before:
        return ParsedCheck(check_id, at, kind, None, children)
    spec = HealthCheckSpec(id=check_id, type=kind, source=Source(at.file, at.line), **fields)
    return ParsedCheck(check_id, at, kind, spec, children)


def _check_fields_of(kind: str, mapping: LineDict, at: Field, errors: list[ZoneError]) -> None:
    """Unknown fields, and fields that belong to other types of health check."""
    allowed = COMMON_KEYS + _KEYS_BY_TYPE[kind]
    for key in mapping:
        if key in allowed:
            continue
        if key in ALL_KEYS:
            users = [t for t in HEALTH_CHECK_TYPES if key in _KEYS_BY_TYPE[t]]
            message = f"not used by {kind} health checks (only by {', '.join(users)})"
        else:
            message = f"unknown field (expected one of: {', '.join(allowed)})"
        errors.append(at.child(mapping, key).error(message))


def _endpoint(kind: str, mapping: LineDict, at: Field, errors: list[ZoneError]) -> dict[str, Any]:
    """The fields of a probed check: endpoint, port, path, search string, timing (§5)."""
    fields: dict[str, Any] = {}
    if "ip_address" not in mapping and "fqdn" not in mapping:
        errors.append(at.error("needs ip_address or fqdn (the endpoint to check)"))
    if "ip_address" in mapping:
        ip_at = at.child(mapping, "ip_address")
        text = read_str(mapping["ip_address"], ip_at, errors)
        if text is not None:
            try:
                fields["ip_address"] = str(ipaddress.ip_address(text.strip()))
            except ValueError:
                errors.append(ip_at.error(f"{quoted(text)} is not an IPv4 or IPv6 address"))
    if "fqdn" in mapping:
        fqdn_at = at.child(mapping, "fqdn")
        text = read_str(mapping["fqdn"], fqdn_at, errors)
        if text is not None:
            try:
                names.parse(text)
                fields["fqdn"] = text.strip().rstrip(".")
            except names.InvalidName as exc:
                errors.append(fqdn_at.error(str(exc)))
    fields["port"] = _port(kind, mapping, at, errors)
    if "resource_path" in mapping:
        path_at = at.child(mapping, "resource_path")
        path = read_str(mapping["resource_path"], path_at, errors)
        if path is not None:
            path = path if path.startswith("/") else "/" + path  # as Route 53 does (§5)
            if len(path) > MAX_RESOURCE_PATH:
                errors.append(path_at.error(f"at most {MAX_RESOURCE_PATH} characters"))
            fields["resource_path"] = path
    if kind in STR_MATCH_TYPES:
        fields["search_string"] = _search_string(kind, mapping, at, errors)
    if "request_interval" in mapping:
        # Route 53 takes 10 or 30 seconds; shorter intervals (down to 1 s) let tests run fast.
        fields["request_interval"] = read_number(
            mapping["request_interval"], at.child(mapping, "request_interval"), errors, 1
        )
    if "failure_threshold" in mapping:
        fields["failure_threshold"] = read_int(
            mapping["failure_threshold"], at.child(mapping, "failure_threshold"), errors, 1, 10
        )
    # Terraform: enable_sni defaults to true for HTTPS checks and false for the others.
    fields["enable_sni"] = _flag(mapping, "enable_sni", at, errors, kind.startswith("HTTPS"))
    return fields


def _port(kind: str, mapping: LineDict, at: Field, errors: list[ZoneError]) -> int | None:
    port_at = at.child(mapping, "port")
    if "port" in mapping:
        return read_int(mapping["port"], port_at, errors, 1, 65535)
    if kind == "TCP":
        # Route 53 has defaults for HTTP(S) only; a TCP check must name its port (UNCONFIRMED
        # whether the API rejects it or picks one: requiring it is the safe reading).
        errors.append(port_at.error("required for TCP health checks"))
        return None
    return 443 if kind.startswith("HTTPS") else 80


def _search_string(kind: str, mapping: LineDict, at: Field, errors: list[ZoneError]) -> str | None:
    search_at = at.child(mapping, "search_string")
    if "search_string" not in mapping:
        errors.append(search_at.error(f"required for {kind} health checks"))
        return None
    text = read_str(mapping["search_string"], search_at, errors)
    if text is not None and not 1 <= len(text) <= MAX_SEARCH_STRING:
        errors.append(search_at.error(f"must be 1..{MAX_SEARCH_STRING} characters"))
    return text


def _children(
    mapping: LineDict, at: Field, errors: list[ZoneError]
) -> tuple[tuple[str, Field], ...]:
    if "child_healthchecks" not in mapping:
        return ()
    list_at = at.child(mapping, "child_healthchecks")
    values = read_list(mapping["child_healthchecks"], list_at, errors)
    if values is None:
        return ()
    if len(values) > MAX_CHILDREN:
        errors.append(list_at.error(f"{len(values)} children (at most {MAX_CHILDREN})"))
    children: dict[str, Field] = {}
    for index, value in enumerate(values):
        child_at = list_at.child(values, index)
        child = read_str(value, child_at, errors)
        if child is None:
            continue
        if child in children:
            errors.append(child_at.error(f"{quoted(child)} is listed twice"))
            continue
        children[child] = child_at
    return tuple(children.items())


def _read_informative(mapping: LineDict, at: Field, errors: list[ZoneError]) -> None:
    """Type checks for the Terraform fields r53emu accepts but does not use."""
    for key in ("reference_name", "routing_control_arn", "cloudwatch_alarm_name"):
        if key in mapping:
            read_str(mapping[key], at.child(mapping, key), errors)
    if "cloudwatch_alarm_region" in mapping:
        read_str(
            mapping["cloudwatch_alarm_region"], at.child(mapping, "cloudwatch_alarm_region"), errors
        )
    if "measure_latency" in mapping:
        read_bool(mapping["measure_latency"], at.child(mapping, "measure_latency"), errors)
    if "tags" in mapping:
        read_mapping(mapping["tags"], at.child(mapping, "tags"), errors)
    if "regions" in mapping:
        regions_at = at.child(mapping, "regions")
        regions = read_list(mapping["regions"], regions_at, errors)
        if regions is not None and len(regions) < 3:
            errors.append(regions_at.error("needs at least 3 checker Regions (Route 53's rule)"))
        for index, region in enumerate(regions or ()):
            read_choice(region, regions_at.child(regions, index), errors, CHECKER_REGIONS)


def _flag(mapping: LineDict, key: str, at: Field, errors: list[ZoneError], default: bool) -> bool:
    if key not in mapping:
        return default
    flag = read_bool(mapping[key], at.child(mapping, key), errors)
    return default if flag is None else flag


def _choice(
    mapping: LineDict, key: str, at: Field, errors: list[ZoneError], choices: tuple[str, ...]
) -> str | None:
    if key not in mapping:
        return None
    return read_choice(mapping[key], at.child(mapping, key), errors, choices)
