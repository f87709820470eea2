"""The zones directory -> a validated `Catalog`, or every error at once.

Reads every `*.yaml`, `*.yml` and `*.json` file of a directory (not recursive), as zone-format.md
describes. YAML files with `zone:` are hosted zones; JSON files hold `aws route53
list-resource-record-sets` output.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from r53emu import apexdefaults, names
from r53emu.errors import Field, ZoneError, ZoneLoadError
from r53emu.fieldreaders import check_keys, read_int, read_list, read_mapping, read_str
from r53emu.jsonzone import JsonShapeError, convert_record_sets, zone_name_from_json
from r53emu.model import Catalog, Source, Zone
from r53emu.names import Name
from r53emu.recordsets import MAX_TTL, ZoneContext, group_key_of, parse_record_set
from r53emu.sourcefile import LineDict, LineList, SourceError, load
from r53emu.zonebuild import Entry, ZoneHeader, build_zone

ZONE_KEYS = ("zone", "id", "comment", "ttl", "soa", "nameservers", "record_sets", "record_limit")
SOA_KEYS = ("mname", "rname", "serial", "refresh", "retry", "expire", "minimum", "ttl")
DEFAULT_RECORD_LIMIT = 10_000  # Route 53 quota, records per hosted zone (semantics §1.5)
_ZONE_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
ZONE_SUFFIXES = (".yaml", ".yml", ".json")


def zone_files(directory: Path) -> list[Path]:
    """The zone files of a directory, in name order."""
    return sorted(p for p in directory.iterdir() if p.suffix in ZONE_SUFFIXES and p.is_file())


def load_catalog(directory: Path) -> Catalog:
    """Load every zone file of `directory`; raise `ZoneLoadError` listing every problem."""
    errors: list[ZoneError] = []
    if not directory.is_dir():
        raise ZoneLoadError([ZoneError(str(directory), 0, "", "is not a directory")])
    zones: dict[Name, Zone] = {}
    for path in zone_files(directory):
        zone = load_zone_file(path, errors)
        if zone is None:
            continue
        if zone.name in zones:
            first = zones[zone.name].source
            errors.append(
                ZoneError(
                    zone.source.file,
                    zone.source.line,
                    "zone",
                    f"hosted zone {names.to_text(zone.name)} is already defined at {first}",
                )
            )
            continue
        zones[zone.name] = zone
    if errors:
        raise ZoneLoadError(errors)
    return Catalog(zones=zones)


def load_zone_file(path: Path, errors: list[ZoneError]) -> Zone | None:
    """Load one file; None (errors appended) when it is invalid or holds no hosted zone."""
    file = str(path)
    try:
        document = load(path)
    except SourceError as exc:
        errors.append(ZoneError(file, exc.line, "", exc.message))
        return None
    if document is None:
        return None  # an empty file defines nothing
    top = Field(file, "", 1)
    mapping = read_mapping(document, top, errors)
    if mapping is None:
        return None
    if path.suffix == ".json":
        return _json_zone(path, mapping, errors)
    return _yaml_zone(mapping, top, errors)


def _yaml_zone(mapping: LineDict, top: Field, errors: list[ZoneError]) -> Zone | None:
    check_keys(mapping, ZONE_KEYS, top, errors)
    if "zone" not in mapping:
        errors.append(
            top.error("zone: required (the hosted zone's name, e.g. `zone: example.test`)")
        )
        return None
    before = len(errors)
    zone_at = top.child(mapping, "zone")
    zone_name = _zone_name(mapping["zone"], zone_at, errors)
    if zone_name is None:
        return None
    zone_text = names.to_text(zone_name)
    zone_id = apexdefaults.zone_id(zone_text)
    if "id" in mapping:
        id_at = top.child(mapping, "id")
        given = read_str(mapping["id"], id_at, errors)
        if given is not None and not _ZONE_ID.match(given):
            errors.append(id_at.error(f"{given!r} is not a hosted zone id (1..32 letters/digits)"))
        zone_id = given or zone_id
    default_ttl = None
    if "ttl" in mapping:
        default_ttl = read_int(mapping["ttl"], top.child(mapping, "ttl"), errors, 0, MAX_TTL)
    record_limit = DEFAULT_RECORD_LIMIT
    if "record_limit" in mapping:
        limit_at = top.child(mapping, "record_limit")
        record_limit = read_int(mapping["record_limit"], limit_at, errors, 1, 10**7) or 0
    default_ns = apexdefaults.nameservers(zone_text)
    nameservers, ns_field = _nameservers(mapping, top, errors)
    soa, soa_field = _soa(mapping, top, nameservers or default_ns, errors)
    header = ZoneHeader(
        name=zone_name,
        zone_id=zone_id,
        source=Source(zone_at.file, zone_at.line),
        soa=soa,
        soa_field=soa_field,
        nameservers=nameservers,
        nameservers_field=ns_field,
        default_nameservers=default_ns,
        record_limit=record_limit,
    )
    context = ZoneContext(name=zone_name, zone_id=zone_id, default_ttl=default_ttl)
    if len(errors) > before:
        return None
    raw_sets = LineList()
    sets_at = top
    if "record_sets" in mapping:
        sets_at = top.child(mapping, "record_sets")
        raw_sets = read_list(mapping["record_sets"], sets_at, errors) or LineList()
    return _build(header, context, raw_sets, sets_at, errors)


def _build(
    header: ZoneHeader,
    context: ZoneContext,
    raw_sets: LineList,
    sets_at: Field,
    errors: list[ZoneError],
) -> Zone | None:
    """Parse every record set, then run the whole-zone checks on the ones that are valid."""
    entries: list[Entry] = []
    invalid: set[tuple[Name, int]] = set()
    for index, raw in enumerate(raw_sets):
        at = sets_at.child(raw_sets, index)
        record_set = parse_record_set(raw, at, context, errors)
        if record_set is not None:
            entries.append((record_set, at))
        else:
            key = group_key_of(raw, context)
            if key is not None:
                invalid.add(key)
    return build_zone(header, entries, errors, frozenset(invalid))


def _zone_name(value: Any, at: Field, errors: list[ZoneError]) -> Name | None:
    text = read_str(value, at, errors)
    if text is None:
        return None
    try:
        name = names.lower(names.parse(text))
    except names.InvalidName as exc:
        errors.append(at.error(str(exc)))
        return None
    if len(name) < 2:
        errors.append(at.error(f"{text!r}: Route 53 cannot host a zone for a top-level domain"))
        return None
    if name[0] == b"*":
        errors.append(at.error(f"{text!r}: `*` cannot be the leftmost label of a zone name"))
        return None
    return name


def _nameservers(
    mapping: LineDict, top: Field, errors: list[ZoneError]
) -> tuple[tuple[str, ...] | None, Field | None]:
    if "nameservers" not in mapping:
        return None, None
    at = top.child(mapping, "nameservers")
    values = read_list(mapping["nameservers"], at, errors)
    if not values:
        if values is not None:
            errors.append(at.error("needs at least one name server"))
        return None, at
    result = []
    for index, value in enumerate(values):
        item_at = at.child(values, index)
        text = read_str(value, item_at, errors)
        if text is None:
            continue
        try:
            result.append(names.to_text(names.parse(text)))
        except names.InvalidName as exc:
            errors.append(item_at.error(str(exc)))
    return tuple(result), at


def _soa(
    mapping: LineDict, top: Field, nameservers: tuple[str, ...], errors: list[ZoneError]
) -> tuple[apexdefaults.SoaFields | None, Field | None]:
    if "soa" not in mapping:
        return None, None
    at = top.child(mapping, "soa")
    soa = read_mapping(mapping["soa"], at, errors)
    if soa is None:
        return None, at
    check_keys(soa, SOA_KEYS, at, errors)
    fields: dict[str, Any] = {"mname": nameservers[0]}
    for key in ("mname", "rname"):
        if key in soa:
            text = read_str(soa[key], at.child(soa, key), errors)
            if text is not None:
                try:
                    fields[key] = names.to_text(names.parse(text))
                except names.InvalidName as exc:
                    errors.append(at.child(soa, key).error(str(exc)))
    for key in ("serial", "refresh", "retry", "expire", "minimum"):
        if key in soa:
            fields[key] = read_int(soa[key], at.child(soa, key), errors, 0, 2**32 - 1)
    if "ttl" in soa:
        fields["ttl"] = read_int(soa["ttl"], at.child(soa, "ttl"), errors, 0, MAX_TTL)
    if any(value is None for value in fields.values()):
        return None, at
    return apexdefaults.SoaFields(**fields), at


def _json_zone(path: Path, mapping: LineDict, errors: list[ZoneError]) -> Zone | None:
    """A `list-resource-record-sets` dump: zone name from the apex SOA/NS, else the file name."""
    file = str(path)
    top = Field(file, "", 1)
    try:
        raw_sets, sets_at = convert_record_sets(mapping, top)
        zone_text = zone_name_from_json(raw_sets, path)
    except JsonShapeError as exc:
        errors.append(exc.error)
        return None
    zone_name = _zone_name(zone_text, Field(file, "ResourceRecordSets", sets_at.line), errors)
    if zone_name is None:
        return None
    text = names.to_text(zone_name)
    zone_id = apexdefaults.zone_id(text)
    context = ZoneContext(name=zone_name, zone_id=zone_id, default_ttl=None)
    header = ZoneHeader(
        name=zone_name,
        zone_id=zone_id,
        source=Source(file, sets_at.line),
        soa=None,
        soa_field=None,
        nameservers=None,
        nameservers_field=None,
        default_nameservers=apexdefaults.nameservers(text),
        record_limit=DEFAULT_RECORD_LIMIT,
    )
    return _build(header, context, raw_sets, sets_at, errors)
