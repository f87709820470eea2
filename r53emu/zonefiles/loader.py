"""The zones directory (or one zone file) -> a validated `Catalog`, or every error at once.

Reads every `*.yaml`, `*.yml` and `*.json` file of a directory (not recursive), as zone-format.md
describes; one such file given instead of a directory is read alone. YAML files with `zone:` are
hosted zones; JSON files hold `aws route53 list-resource-record-sets` output. Any YAML file may
also carry the account-level sections (`accountfile`): they are read from every file first,
since record sets of any zone reference them (health checks, CIDR collections).

A file of the directory that is a symbolic link is read only when it resolves to a file inside
the directory: a link to a system file must not put that file's lines into a reload's errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from r53emu.model import apexdefaults, names
from r53emu.model.catalog import Catalog, Source, Zone
from r53emu.model.names import Name
from r53emu.zonefiles.accountfile import ACCOUNT_KEYS, AccountSections
from r53emu.zonefiles.errors import Field, ZoneError, ZoneLoadError
from r53emu.zonefiles.fieldreaders import check_keys, read_int, read_list, read_mapping, read_str
from r53emu.zonefiles.gcpause import collector_paused
from r53emu.zonefiles.jsonzone import (
    JsonShapeError,
    convert_record_sets,
    zone_id_from_json,
    zone_name_from_json,
)
from r53emu.zonefiles.quoting import quoted
from r53emu.zonefiles.recordsets import MAX_TTL, Entry, ZoneContext, group_key_of, parse_record_set
from r53emu.zonefiles.routing_field_rules import AccountRefs
from r53emu.zonefiles.sourcefile import (
    MAX_FILE_BYTES,
    LineDict,
    LineList,
    SourceError,
    load_document,
)
from r53emu.zonefiles.zonebuild import ZoneHeader, build_zone

ZONE_KEYS = ("zone", "id", "comment", "ttl", "soa", "nameservers", "record_sets", "record_limit")
SOA_KEYS = ("mname", "rname", "serial", "refresh", "retry", "expire", "minimum", "ttl")
DEFAULT_RECORD_LIMIT = 10_000  # Route 53 quota, records per hosted zone (semantics §1.5)
_ZONE_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
ZONE_SUFFIXES = (".yaml", ".yml", ".json")
_T = TypeVar("_T")

# Told (files read so far, record sets so far) after each file: see `load_catalog`.
Progress = Callable[[int, int], None]


def zone_files(directory: Path) -> list[Path]:
    """The zone files of a directory, in name order."""
    return sorted(p for p in directory.iterdir() if p.suffix in ZONE_SUFFIXES and p.is_file())


@dataclass(frozen=True)
class ZoneFile:
    """What one file defines: a hosted zone's name and place, and the zone itself when valid.

    The name is known even when the zone has errors, so a second definition of it in another
    file is reported together with them.
    """

    name: Name
    source: Source
    zone: Zone | None


def load_catalog(
    directory: Path, *, progress: Progress | None = None, max_file_bytes: int = MAX_FILE_BYTES
) -> Catalog:
    """Load every zone file of `directory` (or the one zone file it names); raise
    `ZoneLoadError` listing every problem.

    Errors are listed file by file, each file's in line order. The cyclic garbage collector
    is paused meanwhile (`r53emu.zonefiles.gcpause`).

    `progress`, if given, is called after each file with (files read so far, record sets so
    far): every file is read first (record sets stay 0: the account sections of all files are
    needed before any zone is built), then each file's zone is built, counting its record sets.
    The caller decides what, if anything, to show. A file over `max_file_bytes` is an error,
    found before it is read.
    """
    with collector_paused():
        return _load_catalog(directory, progress or _no_progress, max_file_bytes)


def _no_progress(files: int, record_sets: int) -> None:
    pass


def _load_catalog(directory: Path, progress: Progress, max_file_bytes: int) -> Catalog:
    inside: Path | None = None  # the directory whose files must stay inside it
    if directory.is_file() and directory.suffix in ZONE_SUFFIXES:
        paths = [directory]
    elif directory.is_dir():
        inside = directory.resolve()
        paths = zone_files(directory)
    else:
        problem = (
            "does not exist"
            if not directory.exists()
            else f"is neither a directory nor a zone file ({', '.join(ZONE_SUFFIXES)})"
        )
        raise ZoneLoadError([ZoneError(str(directory), 0, "", problem)])
    errors: list[ZoneError] = []
    account = AccountSections()
    documents: list[tuple[Path, LineDict]] = []
    for read, path in enumerate(paths, start=1):
        if inside is not None and _links_outside(path, inside):
            errors.append(
                ZoneError(
                    str(path),
                    1,
                    "",
                    "a symbolic link to a file outside the zones directory: not read (zone "
                    "files, and links among them, must stay inside the directory)",
                )
            )
            progress(read, 0)
            continue
        document = read_document(path, errors, max_file_bytes)
        progress(read, 0)
        if document is None:
            continue
        documents.append((path, document))
        if path.suffix != ".json":
            account.read(document, Field(str(path), "", 1), errors)
    account.check_children(errors)
    refs = account.refs()
    zones: dict[Name, Zone] = {}
    defined: dict[Name, Source] = {}
    built = 0  # record sets of the zones built so far
    for path, document in _handed_out(documents):
        loaded = zone_of_document(path, document, refs, errors)
        del document  # a file's values are garbage once its zone is built
        if loaded is not None and loaded.zone is not None and loaded.name not in defined:
            built += loaded.zone.record_set_count
        progress(len(paths), built)
        if loaded is None:
            continue
        if loaded.name in defined:
            field = "ResourceRecordSets" if path.suffix == ".json" else "zone"
            errors.append(
                ZoneError(
                    loaded.source.file,
                    loaded.source.line,
                    field,
                    f"hosted zone {names.to_text(loaded.name)} is already defined at "
                    f"{defined[loaded.name]}",
                )
            )
            continue
        defined[loaded.name] = loaded.source
        if loaded.zone is not None:
            zones[loaded.name] = loaded.zone
    if errors:
        raise ZoneLoadError(_in_file_order(errors, paths))
    return Catalog(
        zones=zones,
        health_checks=account.health_checks,
        cidr_collections=account.cidr_collections,
        client_locations=tuple(account.client_locations),
    )


def _links_outside(path: Path, directory: Path) -> bool:
    """Whether `path`, a file of `directory` (resolved), is a link that resolves outside it."""
    return path.is_symlink() and not path.resolve().is_relative_to(directory)


def _handed_out(items: list[_T]) -> Iterator[_T]:
    """The items of `items` in order, each dropped from the list as it is handed out.

    Whoever takes an item then holds the only reference to it: a reload holds the catalog in
    service, the documents and the new catalog at once, and this frees each document as soon as
    its zone is built.
    """
    items.reverse()
    while items:
        yield items.pop()


def _in_file_order(errors: list[ZoneError], paths: list[Path]) -> list[ZoneError]:
    """File by file (in name order), each file's errors by line (stable for one line)."""
    rank = {str(path): index for index, path in enumerate(paths)}
    return sorted(errors, key=lambda error: (rank.get(error.file, len(rank)), error.line))


def read_document(
    path: Path, errors: list[ZoneError], max_bytes: int = MAX_FILE_BYTES
) -> LineDict | None:
    """The top-level mapping of one file (errors appended); None when there is none to read."""
    file = str(path)
    try:
        document, repeated = load_document(path, max_bytes)
    except SourceError as exc:
        errors.append(ZoneError(file, exc.line, "", exc.message))
        return None
    if document is None:
        return None  # an empty file defines nothing
    if repeated:
        # Which of the two values was meant is unknowable: report them all, check nothing else.
        errors.extend(
            ZoneError(file, line, field, f"duplicate key (first given at line {first})")
            for field, line, first in repeated
        )
        return None
    return read_mapping(document, Field(file, "", 1), errors)


def zone_of_document(
    path: Path, document: LineDict, account: AccountRefs, errors: list[ZoneError]
) -> ZoneFile | None:
    """The hosted zone one file defines (errors appended); None when it names none."""
    top = Field(str(path), "", 1)
    if path.suffix == ".json":
        return _json_zone(path, document, account, errors)
    return _yaml_zone(document, top, account, errors)


def _yaml_zone(
    mapping: LineDict, top: Field, account: AccountRefs, errors: list[ZoneError]
) -> ZoneFile | None:
    """A YAML hosted zone; None when the file names none.

    A file with only account-level sections is no zone and needs no `zone:`. A mistake in a
    zone-level field does not stop the record sets from being checked (every error at once):
    that field falls back to its default.
    """
    before = len(errors)
    check_keys(mapping, (*ZONE_KEYS, *ACCOUNT_KEYS), top, errors)
    zone_at = top.child(mapping, "zone")
    if "zone" not in mapping:
        account_only = any(key in mapping for key in ACCOUNT_KEYS) and not any(
            key in mapping for key in ZONE_KEYS
        )
        if not account_only:
            errors.append(
                zone_at.error("required (the hosted zone's name, e.g. `zone: example.test`)")
            )
        return None
    zone_name = _zone_name(mapping["zone"], zone_at, errors)
    if zone_name is None:
        return None  # record names cannot be read without the zone's name
    zone_text = names.to_text(zone_name)
    default_ns = apexdefaults.nameservers(zone_text)
    nameservers, ns_field = _nameservers(mapping, top, errors)
    soa, soa_field = _soa(mapping, top, errors)
    header = ZoneHeader(
        name=zone_name,
        zone_id=_zone_id(mapping, top, zone_text, errors),
        source=Source(zone_at.file, zone_at.line),
        soa=soa,
        soa_field=soa_field,
        nameservers=nameservers or None,
        nameservers_field=ns_field,
        default_nameservers=default_ns,
        record_limit=_record_limit(mapping, top, errors),
    )
    context = ZoneContext(
        name=zone_name,
        zone_id=header.zone_id,
        default_ttl=_default_ttl(mapping, top, errors),
        account=account,
    )
    raw_sets = LineList()
    sets_at = top
    if "record_sets" in mapping:
        sets_at = top.child(mapping, "record_sets")
        raw_sets = read_list(mapping["record_sets"], sets_at, errors) or LineList()
    zone = build_record_sets(header, context, raw_sets, sets_at, errors)
    return ZoneFile(header.name, header.source, zone if len(errors) == before else None)


def _zone_id(mapping: LineDict, top: Field, zone_text: str, errors: list[ZoneError]) -> str:
    """The `id:` given, else one derived from the zone name."""
    if "id" not in mapping:
        return apexdefaults.zone_id(zone_text)
    id_at = top.child(mapping, "id")
    given = read_str(mapping["id"], id_at, errors)
    if given is None or not _ZONE_ID.match(given):
        if given is not None:
            message = f"{quoted(given)} is not a hosted zone id (1..32 letters/digits)"
            errors.append(id_at.error(message))
        return apexdefaults.zone_id(zone_text)
    return given


def _default_ttl(mapping: LineDict, top: Field, errors: list[ZoneError]) -> int | None:
    """The zone's `ttl:` for record sets that omit theirs."""
    if "ttl" not in mapping:
        return None
    ttl = read_int(mapping["ttl"], top.child(mapping, "ttl"), errors, 0, MAX_TTL)
    # An invalid zone ttl is reported once, not again as "ttl: required" on every record set.
    return 0 if ttl is None else ttl


def _record_limit(mapping: LineDict, top: Field, errors: list[ZoneError]) -> int:
    """`record_limit:` (the emulator's stand-in for a raised quota), else Route 53's 10,000."""
    if "record_limit" not in mapping:
        return DEFAULT_RECORD_LIMIT
    limit_at = top.child(mapping, "record_limit")
    limit = read_int(mapping["record_limit"], limit_at, errors, 1, 10**7)
    return DEFAULT_RECORD_LIMIT if limit is None else limit


def build_record_sets(
    header: ZoneHeader,
    context: ZoneContext,
    raw_sets: LineList,
    sets_at: Field,
    errors: list[ZoneError],
) -> Zone | None:
    """Parse every record set, then run the whole-zone checks on the ones that are valid (zone
    files and the Route 53 API's zones alike: `api.apizonebuild`)."""
    entries: list[Entry] = []
    invalid: set[tuple[Name, int]] = set()
    for index, raw in enumerate(raw_sets):
        at = sets_at.child(raw_sets, index)
        record_set = parse_record_set(raw, at, context, errors)
        if record_set is not None:
            alias_at = at.child(raw, "alias") if record_set.alias is not None else None
            entries.append(Entry(record_set, at, alias_at, raw))
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
        message = f"{quoted(text)}: Route 53 cannot host a zone for a top-level domain"
        errors.append(at.error(message))
        return None
    if name[0] == b"*":
        errors.append(at.error(f"{quoted(text)}: `*` cannot be the leftmost label of a zone name"))
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
    mapping: LineDict, top: Field, errors: list[ZoneError]
) -> tuple[apexdefaults.SoaFields | None, Field | None]:
    if "soa" not in mapping:
        return None, None
    at = top.child(mapping, "soa")
    soa = read_mapping(mapping["soa"], at, errors)
    if soa is None:
        return None, at
    check_keys(soa, SOA_KEYS, at, errors)
    fields: dict[str, Any] = {}  # an absent mname is filled in from the zone's name servers
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


def _json_zone(
    path: Path, mapping: LineDict, account: AccountRefs, errors: list[ZoneError]
) -> ZoneFile | None:
    """A `list-resource-record-sets` dump: zone name from the apex SOA/NS, else the file name."""
    file = str(path)
    top = Field(file, "", 1)
    before = len(errors)
    try:
        raw_sets, sets_at = convert_record_sets(mapping, top, errors)
    except JsonShapeError as exc:
        errors.append(exc.error)
        return None
    zone_name = _json_zone_name(path, raw_sets, sets_at, errors)
    if zone_name is None:
        return None
    text = names.to_text(zone_name)
    zone_id = zone_id_from_json(raw_sets, zone_name) or apexdefaults.zone_id(text)
    context = ZoneContext(name=zone_name, zone_id=zone_id, default_ttl=None, account=account)
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
    zone = build_record_sets(header, context, raw_sets, sets_at, errors)
    return ZoneFile(header.name, header.source, zone if len(errors) == before else None)


def _json_zone_name(
    path: Path, raw_sets: LineList, sets_at: Field, errors: list[ZoneError]
) -> Name | None:
    """The name of a dumped zone: its apex SOA/NS owner, else the file name."""
    from_records = zone_name_from_json(raw_sets)
    if from_records is not None:
        return _zone_name(from_records, sets_at, errors)
    ignored: list[ZoneError] = []
    zone_name = _zone_name(path.stem, sets_at, ignored)
    if zone_name is None:
        errors.append(
            sets_at.error(
                f"no SOA or NS record set names the zone, and the file name {path.name!r} is not "
                "a zone name (name the file after its zone, e.g. example.com.json)"
            )
        )
    return zone_name
