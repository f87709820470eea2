"""One record set of a zone file -> a validated `RecordSet` (the per-record-set rules).

Routing fields are read by `routing_field_rules`; rules that need the whole zone (conflicts,
duplicates, alias targets) live in `zonebuild`, those of a routed group in `routing_group_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from r53emu.model import names
from r53emu.model.catalog import AliasTarget, Rdata, RecordSet, Source
from r53emu.model.dnsconstants import RECORD_TYPES
from r53emu.model.names import Name
from r53emu.model.rdata import InvalidValue, parse_value
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.fieldreaders import (
    REPORTED,
    check_keys,
    read_bool,
    read_int_at,
    read_list,
    read_mapping,
    read_str,
    read_str_at,
)
from r53emu.zonefiles.quoting import quoted
from r53emu.zonefiles.routing_field_rules import (
    NO_ACCOUNT,
    ROUTING_KEYS,
    AccountRefs,
    Routing,
    read_routing,
)
from r53emu.zonefiles.sourcefile import LineDict

MAX_TTL = 2_147_483_647  # semantics §1.5
MAX_VALUES = 400  # Route 53's quota of values per record set (semantics §1.5)
# The characters of all values of one record set: Route 53's quota of characters of values per
# change request (semantics §1.5), so a record set with more can never be created. It also
# keeps a record set's answer well inside a DNS message (zonebuild checks whole answers).
MAX_RECORD_SET_CHARS = 32_000
MAX_SET_IDENTIFIER = 128

RECORD_SET_KEYS = ("name", "type", "ttl", "records", "alias", "set_identifier", *ROUTING_KEYS)
ALIAS_KEYS = ("name", "zone_id", "evaluate_target_health")


class Entry(NamedTuple):
    """A validated record set and where it was written (its `alias` field, when it has one).

    `raw` is the mapping it was read from, so an error found later can name the exact field.
    """

    record_set: RecordSet
    at: Field
    alias_at: Field | None = None
    raw: Any = None


@dataclass(frozen=True, slots=True)
class ZoneContext:
    """What parsing a record set needs to know of its zone and of the account-level sections."""

    name: Name
    zone_id: str
    default_ttl: int | None
    account: AccountRefs = field(default=NO_ACCOUNT)
    # owner_name's results by text: routed groups repeat their owner, and their record sets
    # then share one Name
    owners: dict[str, Name] = field(default_factory=dict, compare=False, repr=False)

    @property
    def text(self) -> str:
        return names.to_text(self.name)


def owner_name(text: str, zone: ZoneContext) -> Name:
    """The lower-case owner of a record-set `name` (zone-format.md, "Names and values").

    `@` or empty is the apex; a name equal to the zone or ending in `.<zone>` (trailing dot
    optional, any case) is complete; a name ending in `.` outside the zone is an error (Route 53's
    wording); any other name is relative to the zone. Raises `names.InvalidName`.
    """
    owner = zone.owners.get(text)
    if owner is None:
        owner = zone.owners[text] = _owner_name(text, zone)
    return owner


def _owner_name(text: str, zone: ZoneContext) -> Name:
    if text in ("", "@"):
        return zone.name
    key = names.lower(names.parse(text))
    if names.is_within(key, zone.name):
        return key
    if text.endswith(".") and not text.endswith("\\."):
        raise names.InvalidName(
            f"RRSet with DNS name {names.to_text(key)} is not permitted in zone {zone.text}"
        )
    full = key + zone.name
    names.check(full, text)
    return full


def group_key_of(raw: Any, zone: ZoneContext) -> tuple[Name, int] | None:
    """(owner, type) of a record set that failed validation, when those two fields are readable.

    Lets whole-zone checks still run without reporting "alias target not found" for a target
    whose own record set already has an error.
    """
    if not isinstance(raw, dict):
        return None
    try:
        owner = owner_name(str(raw.get("name") or ""), zone)
    except names.InvalidName:
        return None
    rtype = RECORD_TYPES.get(str(raw.get("type", "")).upper())
    return None if rtype is None else (owner, rtype)


def parse_record_set(
    raw: Any, where: Field, zone: ZoneContext, errors: list[ZoneError]
) -> RecordSet | None:
    """Validate one entry of `record_sets`; None (with errors appended) when it is unusable."""
    mapping = read_mapping(raw, where, errors)
    if mapping is None:
        return None
    before = len(errors)
    check_keys(mapping, RECORD_SET_KEYS, where, errors)
    owner = _read_owner(mapping, where, zone, errors)
    type_name = _read_type(mapping, where, errors)
    routing = read_routing(mapping, where, type_name, "alias" in mapping, zone.account, errors)
    set_identifier = _read_set_identifier(mapping, where, routing, errors)
    alias: AliasTarget | None = None
    ttl: int | None = None
    records: tuple[Rdata, ...] | None = ()
    if "alias" in mapping:
        alias = _read_alias(mapping, where, type_name, errors)
    else:
        ttl, records = _read_ttl_and_records(mapping, where, zone, type_name, errors)
    if owner is not None and type_name is not None:
        _check_wildcard(owner, type_name, mapping, where, errors)
    if len(errors) > before or owner is None or type_name is None or records is None:
        return None
    return RecordSet(
        name=owner,
        rtype=RECORD_TYPES[type_name],
        ttl=ttl,
        records=records,
        source=Source(where.file, where.line),
        alias=alias,
        policy=routing.policy,
        set_identifier=set_identifier,
        routing=routing.attributes,
        health_check_id=routing.health_check_id,
    )


def _read_set_identifier(
    mapping: LineDict, where: Field, routing: Routing, errors: list[ZoneError]
) -> str | None:
    """Required exactly when a routing policy is given (semantics §3.0, zone-format.md)."""
    if "set_identifier" not in mapping:
        if routing.policy_key is not None:
            at = where.child(mapping, "set_identifier")
            errors.append(at.error(f"required with {mapping.name_of(routing.policy_key)}"))
        return None
    set_identifier = read_str_at(mapping, "set_identifier", where, errors)
    if set_identifier is not None and not 1 <= len(set_identifier) <= MAX_SET_IDENTIFIER:
        at = where.child(mapping, "set_identifier")
        errors.append(at.error(f"must be 1..{MAX_SET_IDENTIFIER} characters"))
    if routing.policy_key is None and not routing.conflicting:
        errors.append(
            where.error(f"{mapping.name_of('set_identifier')} is only used with a routing policy")
        )
    return set_identifier


def _read_owner(
    mapping: LineDict, where: Field, zone: ZoneContext, errors: list[ZoneError]
) -> Name | None:
    if "name" not in mapping:
        errors.append(where.child(mapping, "name").error('required (use "@" for the zone apex)'))
        return None
    # `name:` with nothing after it is YAML's null: the empty name, i.e. the apex.
    text = "" if mapping["name"] is None else read_str_at(mapping, "name", where, errors)
    if text is None:
        return None
    try:
        return owner_name(text, zone)
    except names.InvalidName as exc:
        errors.append(where.child(mapping, "name").error(str(exc)))
        return None


def _read_type(mapping: LineDict, where: Field, errors: list[ZoneError]) -> str | None:
    if "type" not in mapping:
        errors.append(where.child(mapping, "type").error("required"))
        return None
    text = read_str_at(mapping, "type", where, errors)
    if text is None:
        return None
    if text.upper() not in RECORD_TYPES:
        errors.append(
            where.child(mapping, "type").error(
                f"{quoted(text)} is not a Route 53 record type ({' '.join(sorted(RECORD_TYPES))})"
            )
        )
        return None
    return text.upper()


def _read_alias(
    mapping: Any, where: Field, type_name: str | None, errors: list[ZoneError]
) -> AliasTarget | None:
    at = where.child(mapping, "alias")
    for key in ("ttl", "records"):
        if key in mapping:
            errors.append(
                where.child(mapping, key).error(
                    "an alias record set has no ttl or records of its own "
                    "(it answers with its target's values and TTL)"
                )
            )
    if type_name in ("NS", "SOA"):
        errors.append(at.error(f"alias record sets cannot be of type {type_name}"))
    alias = read_mapping(mapping["alias"], at, errors)
    if alias is None:
        return None
    check_keys(alias, ALIAS_KEYS, at, errors)
    name_at = at.child(alias, "name")
    if "name" not in alias:
        errors.append(name_at.error("required (the record set the alias points at)"))
        return None
    text = read_str(alias["name"], name_at, errors)
    evaluate = False
    if "evaluate_target_health" in alias:
        evaluate = bool(
            read_bool(
                alias["evaluate_target_health"], at.child(alias, "evaluate_target_health"), errors
            )
        )
    zone_id = None
    if "zone_id" in alias:
        zone_id = read_str(alias["zone_id"], at.child(alias, "zone_id"), errors)
    if text is None:
        return None
    try:
        # Alias names are absolute whether or not they end with a dot, as in Route 53.
        target = names.lower(names.parse(text))
    except names.InvalidName as exc:
        errors.append(name_at.error(str(exc)))
        return None
    return AliasTarget(name=target, evaluate_target_health=evaluate, zone_id=zone_id)


def _read_ttl_and_records(
    mapping: Any,
    where: Field,
    zone: ZoneContext,
    type_name: str | None,
    errors: list[ZoneError],
) -> tuple[int | None, tuple[Rdata, ...] | None]:
    """The TTL and the values; the values are None when one of them is `REPORTED` (a JSON item
    that is not `{"Value": ...}`, reported by the conversion): the record set is unusable."""
    if "records" not in mapping:
        errors.append(
            where.error("expected exactly one of alias, or ttl and records; found neither")
        )
        return None, ()
    ttl = zone.default_ttl
    if "ttl" in mapping:
        ttl = read_int_at(mapping, "ttl", where, errors, 0, MAX_TTL)
    elif ttl is None:
        ttl_at = where.child(mapping, "ttl")
        errors.append(ttl_at.error("required (or give the zone a default `ttl:`)"))
    at = where.child(mapping, "records")
    values = read_list(mapping["records"], at, errors)
    if values is None or type_name is None:
        return ttl, ()
    if not values:
        errors.append(at.error("needs at least one value"))
    if len(values) > MAX_VALUES:
        # The values past the quota are not read (nor checked): 20,000 of them took seconds.
        errors.append(at.error(f"{len(values)} values (at most {MAX_VALUES} per record set)"))
    if type_name in ("CNAME", "SOA") and len(values) > 1:
        errors.append(at.error(f"a {type_name} record set holds exactly one value"))
    parsed: list[Rdata] = []
    seen: set[bytes] = set()  # the wire forms of the values so far
    characters = 0
    reported = False
    for index, value in enumerate(values if len(values) <= MAX_VALUES else values[:MAX_VALUES]):
        text = value if isinstance(value, str) else read_str(value, at.child(values, index), errors)
        if text is None:
            reported = reported or value is REPORTED
            continue
        try:
            rdata = parse_value(type_name, text)
        except InvalidValue as exc:
            errors.append(at.child(values, index).error(str(exc)))
            continue
        characters += len(text)
        if rdata.wire in seen:
            duplicate = f"duplicate value {quoted(text)} in one record set"
            errors.append(at.child(values, index).error(duplicate))
            continue
        seen.add(rdata.wire)
        parsed.append(rdata)
    if characters > MAX_RECORD_SET_CHARS:
        errors.append(
            at.error(
                f"the values are {characters:,} characters together (at most "
                f"{MAX_RECORD_SET_CHARS:,} per record set: Route 53's quota of characters per "
                "change request)"
            )
        )
    return ttl, None if reported else tuple(parsed)


def _check_wildcard(
    owner: Name, type_name: str, mapping: LineDict, where: Field, errors: list[ZoneError]
) -> None:
    """Only a whole leftmost `*` label is a wildcard (semantics §2.4); never for NS."""
    if not owner or b"*" not in owner[0]:
        return
    at = where.child(mapping, "name")
    if owner[0] != b"*":
        errors.append(
            at.error(
                f"{names.to_text(owner)}: a partial-label wildcard is not supported by Route 53 "
                "(only a whole leftmost `*` label is a wildcard)"
            )
        )
    if owner[0] == b"*" and type_name == "NS":
        errors.append(at.error("NS record sets cannot have a wildcard name"))
