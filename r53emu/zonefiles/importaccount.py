"""`r53emu import`, account level: health checks and CIDR collections -> `account.yaml` text.

Health checks come from `aws route53 list-health-checks` (or `get-health-check`) output: each
`HealthCheckConfig` field becomes the zone format's field of the same meaning (the Terraform
names `healthchecks_file` reads), and the check keeps its Route 53 id, which record sets name in
`health_check_id`. CIDR collections come from `list-cidr-blocks` output, one listing per
collection; that output does not say which collection it lists, so `collection_of` finds out
(an explicit `COLLECTION=FILE`, the file's name, or the only collection known). A collection
keeps its Route 53 id (a UUID, which `CidrRoutingConfig.CollectionId` names); its name becomes a
comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from r53emu.model.healthtypes import (
    CALCULATED,
    CLOUDWATCH_METRIC,
    HEALTH_CHECK_TYPES,
    HTTP_TYPES,
    PROBED_TYPES,
    RECOVERY_CONTROL,
    STR_MATCH_TYPES,
)
from r53emu.zonefiles.importbase import (
    Listing,
    Problem,
    Reference,
    expect,
    flow,
    is_a,
    scalar,
    shown,
)

# --- health checks ------------------------------------------------------------------------

_ALL = HEALTH_CHECK_TYPES
# HealthCheckConfig field -> (zone-format field, JSON type, the check types that use it).
CHECK_FIELDS: dict[str, tuple[str, type, tuple[str, ...]]] = {
    "IPAddress": ("ip_address", str, PROBED_TYPES),
    "FullyQualifiedDomainName": ("fqdn", str, PROBED_TYPES),
    "Port": ("port", int, PROBED_TYPES),
    "ResourcePath": ("resource_path", str, HTTP_TYPES),
    "SearchString": ("search_string", str, STR_MATCH_TYPES),
    "RequestInterval": ("request_interval", int, PROBED_TYPES),
    "FailureThreshold": ("failure_threshold", int, PROBED_TYPES),
    "MeasureLatency": ("measure_latency", bool, PROBED_TYPES),
    "EnableSNI": ("enable_sni", bool, PROBED_TYPES),
    "Regions": ("regions", list, PROBED_TYPES),
    "Inverted": ("invert_healthcheck", bool, _ALL),
    "Disabled": ("disabled", bool, _ALL),
    "ChildHealthChecks": ("child_healthchecks", list, (CALCULATED,)),
    "HealthThreshold": ("child_health_threshold", int, (CALCULATED,)),
    "InsufficientDataHealthStatus": ("insufficient_data_health_status", str, (CLOUDWATCH_METRIC,)),
    "RoutingControlArn": ("routing_control_arn", str, (RECOVERY_CONTROL,)),
}
_ALARM_FIELDS = {"Name": "cloudwatch_alarm_name", "Region": "cloudwatch_alarm_region"}
# Fields of the model that describe where Route 53's checkers run, which r53emu does not emulate.
_UNUSED_FIELDS = ("EndpointType", "HealthCheckSourceId")
# What a switch's state is when the file says nothing (zone-format.md, "Switches").
_SWITCH_HINTS = {
    RECOVERY_CONTROL: '# routing_control_state: "Off"   # r53emu\'s field (the listing has no '
    "state): On unless set here or through the admin API",
    CLOUDWATCH_METRIC: "# alarm_state: ALARM   # r53emu's field (the listing has no alarm "
    "state): OK unless set here or through the admin API",
}


@dataclass
class _Check:
    """A health check: where it is listed, its zone-format fields and the comments beside them."""

    id: str
    file: str
    path: str
    source: Any  # the listing's HealthCheck object, to tell a repeat from a different check
    fields: dict[str, Any]
    comments: list[str]
    notes: list[str]


def _health_checks(listings: Sequence[Listing], problems: list[Problem]) -> dict[str, _Check]:
    """Every health check of the listings, by id; a page given twice is read once."""
    checks: dict[str, _Check] = {}
    for listing in listings:
        entries: list[tuple[str, Any]]
        if listing.kind == "HealthCheck":
            entries = [("HealthCheck", listing.items)]
        elif listing.kind == "HealthChecks" and expect(
            listing.items, list, listing.file, "HealthChecks", problems
        ):
            entries = [(f"HealthChecks[{i}]", item) for i, item in enumerate(listing.items)]
        else:
            continue
        for path, item in entries:
            check = _health_check(listing.file, path, item, problems)
            if check is None:
                continue
            first = checks.get(check.id)
            if first is None:
                checks[check.id] = check
            elif first.source != check.source:
                problems.append(
                    Problem(
                        check.file,
                        f"{path}.Id",
                        f"health check {check.id} is also at {first.file}: {first.path}, with "
                        "other fields (two listings of different times?)",
                    )
                )
    return checks


def _health_check(file: str, path: str, item: Any, problems: list[Problem]) -> _Check | None:
    if not expect(item, dict, file, path, problems):
        return None
    for key in ("Id", "HealthCheckConfig"):
        if key not in item:
            problems.append(Problem(file, f"{path}.{key}", "required"))
            return None
    check_id, config = item["Id"], item["HealthCheckConfig"]
    at = f"{path}.HealthCheckConfig"
    if not expect(check_id, str, file, f"{path}.Id", problems) or not expect(
        config, dict, file, at, problems
    ):
        return None
    kind = config.get("Type")
    if kind not in HEALTH_CHECK_TYPES:
        found = "required" if "Type" not in config else f"{shown(kind)} is not a health check type"
        problems.append(Problem(file, f"{at}.Type", f"{found} ({', '.join(HEALTH_CHECK_TYPES)})"))
        return None
    fields: dict[str, Any] = {"type": kind}
    comments: list[str] = []
    unknown: list[str] = []  # notes
    before = len(problems)
    for key, value in config.items():
        if key == "Type":
            continue
        if key == "AlarmIdentifier" and kind == CLOUDWATCH_METRIC:
            if expect(value, dict, file, f"{at}.{key}", problems):
                for inner, name in _ALARM_FIELDS.items():
                    if inner in value and expect(
                        value[inner], str, file, f"{at}.{key}.{inner}", problems
                    ):
                        fields[name] = value[inner]
            continue
        known = CHECK_FIELDS.get(key)
        if known is None or kind not in known[2]:
            if key in _UNUSED_FIELDS:
                why = "r53emu does not use it"
            elif known is not None or key == "AlarmIdentifier":
                why = f"not used by {kind} checks"
            else:
                why = "a field r53emu does not know"
                unknown.append(f"{file}: {at}.{key}: {why}: left out of health check {check_id}")
            comments.append(f"# left out: {key} {shown(value)} ({why})")
            continue
        name, json_type, _ = known
        if expect(value, json_type, file, f"{at}.{key}", problems):
            if json_type is list and not all(is_a(v, str) for v in value):
                problems.append(Problem(file, f"{at}.{key}", "expected a list of strings"))
                continue
            fields[name] = value
    if len(problems) > before:
        return None
    if kind in _SWITCH_HINTS:
        comments.append(_SWITCH_HINTS[kind])
    return _Check(check_id, file, path, item, fields, comments, unknown)


# --- CIDR collections ---------------------------------------------------------------------

# Route 53's collection ids (botocore's UUID shape), which a `COLLECTION=` may give unlisted.
_UUID = re.compile(r"[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}")


@dataclass
class _Collection:
    """A CIDR collection as the listings give it: name, blocks by location, and the files."""

    id: str
    name: str | None = None
    locations: dict[str, list[str]] = field(default_factory=dict)
    listed_locations: list[str] = field(default_factory=list)  # from list-cidr-locations
    files: list[str] = field(default_factory=list)  # the files that gave its blocks


def _collections(
    listings: Sequence[Listing], referenced: Iterable[str], problems: list[Problem]
) -> dict[str, _Collection]:
    """The collections listed or referenced, with the blocks (and locations) given for each."""
    collections: dict[str, _Collection] = {}
    for listing in listings:
        if listing.kind != "CidrCollections" or not expect(
            listing.items, list, listing.file, "CidrCollections", problems
        ):
            continue
        for index, item in enumerate(listing.items):
            path = f"CidrCollections[{index}]"
            if not expect(item, dict, listing.file, path, problems):
                continue
            collection_id, name = item.get("Id"), item.get("Name")
            if expect(collection_id, str, listing.file, f"{path}.Id", problems):
                entry = collections.setdefault(collection_id, _Collection(collection_id))
                if is_a(name, str):
                    entry.name = name
    for collection_id in referenced:
        collections.setdefault(collection_id, _Collection(collection_id))
    for listing in listings:
        if listing.kind in ("CidrBlocks", "CidrLocations"):
            _read_cidr_listing(listing, collections, problems)
    return collections


def _read_cidr_listing(
    listing: Listing, collections: dict[str, _Collection], problems: list[Problem]
) -> None:
    kind = listing.kind
    if not expect(listing.items, list, listing.file, kind, problems):
        return
    collection_id = collection_of(listing, collections)
    if collection_id is None:
        if listing.collection is not None:
            message = (
                f"{listing.collection}= names no CIDR collection: give the collection's id, or "
                "its name with the list-cidr-collections output"
            )
            problems.append(Problem(listing.file, "", message))
        elif kind == "CidrBlocks":
            message = (
                "list-cidr-blocks output does not say which CIDR collection it lists, and "
                "neither does the file's name: name the file after the collection's id or name "
                "(cidr-blocks-NAME.json), or give it as COLLECTION=FILE"
            )
            problems.append(Problem(listing.file, "", message))
        return  # a list-cidr-locations listing only helps the notes
    collection = collections.setdefault(collection_id, _Collection(collection_id))
    for index, item in enumerate(listing.items):
        path = f"{kind}[{index}]"
        if not expect(item, dict, listing.file, path, problems):
            continue
        location = item.get("LocationName")
        if not expect(location, str, listing.file, f"{path}.LocationName", problems):
            continue
        if kind == "CidrLocations":
            collection.listed_locations.append(location)
            continue
        block = item.get("CidrBlock")
        if expect(block, str, listing.file, f"{path}.CidrBlock", problems):
            blocks = collection.locations.setdefault(location, [])
            if block not in blocks:  # a page given twice
                blocks.append(block)
    if kind == "CidrBlocks":
        collection.files.append(listing.file)


def collection_of(listing: Listing, collections: Mapping[str, _Collection]) -> str | None:
    """The id of the collection a CIDR listing lists: the `COLLECTION=` given (an id or a name),
    else the collection whose id or name the file's name holds, else the only one known."""
    hint = listing.collection
    if hint is not None:
        named = [c.id for c in collections.values() if c.name == hint]
        if hint in collections or _UUID.fullmatch(hint):
            return hint  # a collection id: Route 53's are UUIDs
        return named[0] if len(named) == 1 else None
    stem = PurePath(listing.file).stem
    matches = {c.id for c in collections.values() if c.id in stem}
    if not matches:
        # A name matches the whole stem, or its end after a separator (cidr-blocks-corp).
        named_in = [
            (len(c.name), c.id)
            for c in collections.values()
            if c.name and (stem == c.name or re.search(f"[-_.]{re.escape(c.name)}$", stem))
        ]
        longest = max((length for length, _ in named_in), default=0)
        matches = {c_id for length, c_id in named_in if length == longest}
    if len(matches) == 1:
        return matches.pop()
    if not matches and len(collections) == 1:
        return next(iter(collections))
    return None


# --- the account file ---------------------------------------------------------------------


@dataclass(frozen=True)
class AccountPart:
    """The text of `account.yaml` (None when the listings define nothing), its summary line,
    and the notes about what the listings hold but is not imported."""

    text: str | None
    summary: str
    notes: tuple[str, ...]


def account_part(
    listings: Sequence[Listing],
    check_refs: Sequence[Reference],
    cidr_refs: Sequence[Reference],
    problems: list[Problem],
) -> AccountPart:
    """The account file of the health-check and CIDR listings (problems appended), which must
    define every health check and CIDR location that imported record sets (`*_refs`) name."""
    checks = _health_checks(listings, problems)
    collections = _collections(listings, (ref.id for ref in cidr_refs), problems)
    imported = {c.id: c for c in collections.values() if c.locations}
    parents = [
        (c, child) for c in checks.values() for child in c.fields.get("child_healthchecks", ())
    ]
    for parent, child in parents:
        if child not in checks:
            where = f"{parent.path}.HealthCheckConfig.ChildHealthChecks"
            message = f"child health check {child} is in no list-health-checks output given"
            problems.append(Problem(parent.file, where, message))
    for ref in check_refs:
        if ref.id not in checks:
            message = (
                f"health check {ref.id} is in no list-health-checks output given (import the "
                "output of `aws route53 list-health-checks` with it)"
            )
            problems.append(Problem(ref.file, ref.path, message))
    for ref in cidr_refs:
        if ref.id not in imported:
            message = (
                f"CIDR collection {ref.id} has no list-cidr-blocks output given (import the output "
                f"of `aws route53 list-cidr-blocks --collection-id {ref.id}` with it, as a file "
                "named after the collection)"
            )
            problems.append(Problem(ref.file, f"{ref.path}.CollectionId", message))
        elif ref.location != "*" and ref.location not in imported[ref.id].locations:
            message = f"location {ref.location} is in no list-cidr-blocks output of {ref.id} given"
            problems.append(Problem(ref.file, f"{ref.path}.LocationName", message))
    lines = _check_lines(checks) + _collection_lines(imported)
    text = None
    if lines:
        files = [c.file for c in checks.values()] + [f for c in imported.values() for f in c.files]
        header = "# account.yaml: health checks and CIDR collections, written by `r53emu import`"
        text = "\n".join([header + " from", *(f"#   {f}" for f in dict.fromkeys(files)), *lines])
        text += "\n"
    counts = [(len(checks), "health check"), (len(imported), "CIDR collection")]
    summary = ", ".join(f"{n:,} {what}{'s' * (n != 1)}" for n, what in counts if n)
    notes = [note for check in checks.values() for note in check.notes]
    return AccountPart(text, summary, tuple(notes + _cidr_notes(collections)))


def _check_lines(checks: Mapping[str, _Check]) -> list[str]:
    lines = ["health_checks:"] if checks else []
    for check in checks.values():
        lines.append(f"  {scalar(check.id)}:")
        lines.extend(f"    {key}: {flow(value)}" for key, value in check.fields.items())
        lines.extend(f"    {comment}" for comment in check.comments)
    return lines


def _collection_lines(collections: Mapping[str, _Collection]) -> list[str]:
    lines = ["cidr_collections:"] if collections else []
    for collection in collections.values():
        name = f"  # {collection.name}" if collection.name else ""
        lines.append(f"  {scalar(collection.id)}:{name}")
        lines.extend(
            f"    {scalar(location)}: {flow(blocks)}"
            for location, blocks in collection.locations.items()
        )
    return lines


def _cidr_notes(collections: Mapping[str, _Collection]) -> list[str]:
    """What CIDR listings name but give no blocks for: such collections and locations."""
    notes = []
    for collection in collections.values():
        shown_as = collection.id + (f" ({collection.name})" if collection.name else "")
        if not collection.locations and collection.name is not None:
            notes.append(
                f"CIDR collection {shown_as} is not imported: no list-cidr-blocks output given "
                f"for it (`aws route53 list-cidr-blocks --collection-id {collection.id}`)"
            )
        notes.extend(
            f"location {location} of CIDR collection {shown_as} is listed, but no "
            "list-cidr-blocks output given holds its blocks: not imported"
            for location in dict.fromkeys(collection.listed_locations)
            if collection.locations and location != "*" and location not in collection.locations
        )
    return notes
