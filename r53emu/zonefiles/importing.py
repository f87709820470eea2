"""`r53emu import`: what `aws route53 ... --output json` prints -> zone-format YAML files.

`plan_import` turns the listings (`importbase.read_listing`) into one zone file per hosted zone
and an account file (`importaccount`), with a note for each thing not imported, or raises
`ImportFailed` with every problem, each naming its file and JSON path.

Each zone's record sets come from one or more `list-resource-record-sets` pages. A page names its
zone by its apex SOA record set; a later page (which has none) continues the page whose
`NextRecordName` it starts with, else belongs to `--zone`, else to the one zone known. A record
set becomes the zone format's fields of the same meaning (the inverse of `jsonzone`), with names
relative to the zone, values exactly as Route 53 lists them, and the apex SOA and NS kept as
record sets, so the YAML loads into the zone the JSON dump loads into. Record sets r53emu cannot
serve yet (aliases to AWS resources, traffic-policy and AZ-affinity record sets) are written as
comments, each with a note, so the rest loads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from r53emu.model import names
from r53emu.model.names import Name
from r53emu.zonefiles.importaccount import account_part
from r53emu.zonefiles.importbase import (
    ImportFailed,
    Listing,
    Problem,
    Reference,
    expect,
    flow,
    is_a,
    scalar,
    shown,
)
from r53emu.zonefiles.importrecords import (
    Converted,
    ListedSet,
    alias_zone_id,
    convert_zone_sets,
)
from r53emu.zonefiles.loader import DEFAULT_RECORD_LIMIT

ACCOUNT_FILE = "account.yaml"
_ZONE_ID = re.compile(r"[A-Za-z0-9]{1,32}")


@dataclass(frozen=True)
class OutputFile:
    """A file `r53emu import` writes: its name, its text, and what the summary line says."""

    name: str
    text: str
    summary: str


@dataclass(frozen=True)
class Plan:
    """The files to write, and the notes to print (things imported otherwise, or not at all)."""

    files: tuple[OutputFile, ...]
    notes: tuple[str, ...]


# --- pages of record sets -----------------------------------------------------------------


@dataclass
class _Page:
    """A `list-resource-record-sets` listing, and what tells which zone it lists."""

    listing: Listing
    sets: list[ListedSet]
    soa: ListedSet | None  # its apex SOA record set, which names the zone
    next_key: tuple[Name, str, Any] | None  # where the next page starts (NextRecordName...)
    zone: Name | None = None
    how: str = ""  # how its zone was told, for messages


def _read_page(listing: Listing, problems: list[Problem]) -> _Page | None:
    file, items = listing.file, listing.items
    if not expect(items, list, file, "ResourceRecordSets", problems):
        return None
    sets: list[ListedSet] = []
    soa: ListedSet | None = None
    for index, item in enumerate(items):
        path = f"ResourceRecordSets[{index}]"
        if not expect(item, dict, file, path, problems):
            continue
        owner = _read_name(item, "Name", file, path, problems)
        rtype = item.get("Type")
        identifier = item.get("SetIdentifier", "")  # part of the record set's key: checked here
        if not expect(identifier, str, file, f"{path}.SetIdentifier", problems):
            continue
        if "Type" not in item:
            problems.append(Problem(file, f"{path}.Type", "required"))
        elif expect(rtype, str, file, f"{path}.Type", problems) and owner is not None:
            record_set = ListedSet(file, path, owner, rtype.upper(), item)
            sets.append(record_set)
            if record_set.rtype == "SOA" and soa is None:
                soa = record_set  # a second one, of another zone, is outside this one
    next_key = None
    document = listing.document
    if is_a(document.get("NextRecordName"), str):
        try:
            next_name = names.lower(names.parse(document["NextRecordName"]))
        except names.InvalidName:
            next_name = ()
        next_type = str(document.get("NextRecordType", "")).upper()
        next_key = (next_name, next_type, document.get("NextRecordIdentifier"))
    return _Page(listing, sets, soa, next_key)


def _read_name(
    item: dict[str, Any], key: str, file: str, path: str, problems: list[Problem]
) -> Name | None:
    if key not in item:
        problems.append(Problem(file, f"{path}.{key}", "required"))
        return None
    if not expect(item[key], str, file, f"{path}.{key}", problems):
        return None
    try:
        return names.lower(names.parse(item[key]))
    except names.InvalidName as exc:
        problems.append(Problem(file, f"{path}.{key}", str(exc)))
        return None


def _mixed(record_set: ListedSet, zone: Name, told: str) -> Problem:
    return Problem(
        record_set.file,
        f"{record_set.path}.Name",
        f"{names.to_text(record_set.owner)} is not in zone {names.to_text(zone)} ({told}): "
        "this file mixes the record sets of two zones (list-resource-record-sets lists one "
        "hosted zone: give each zone's listing a file of its own)",
    )


def _assign_zones(
    pages: list[_Page], known: Sequence[Name], option: Name | None, problems: list[Problem]
) -> None:
    """Tell each page's zone (see the module's docstring); problems for the pages that mix."""
    for page in pages:
        if page.soa is not None:
            page.zone, page.how = page.soa.owner, f"told by its SOA at {page.soa.path}"
    changed = True
    while changed:  # pages that continue a page whose zone is known
        changed = False
        for page in pages:
            if page.zone is None and page.sets:
                before = next((p for p in pages if p.zone and p.next_key == page.sets[0].key), None)
                if before is not None:
                    page.zone, page.how = before.zone, f"continuing {before.listing.file}"
                    changed = True
    zones = list(dict.fromkeys([*(p.zone for p in pages if p.zone), *known]))
    for page in pages:
        if page.zone is not None or not page.sets:
            continue
        inside = [z for z in zones if all(names.is_within(s.owner, z) for s in page.sets)]
        ns_owners = [s.owner for s in page.sets if s.rtype == "NS"]
        if option is not None:
            page.zone, page.how = option, "--zone"
        elif len(inside) == 1:
            page.zone, page.how = inside[0], "the one zone of the other files"
        elif len(inside) > 1:
            shown_zones = ", ".join(names.to_text(z) for z in inside)
            message = (
                f"no SOA record set says which zone this page lists, and its names lie in several "
                f"zones given ({shown_zones}): import it with --zone NAME"
            )
            problems.append(Problem(page.listing.file, "ResourceRecordSets", message))
            continue
        elif ns_owners and not zones:
            page.zone, page.how = min(ns_owners, key=len), "told by its highest NS record set"
        else:
            message = (
                "no SOA record set names the zone (the apex SOA is on the first page of a "
                "listing): give --zone NAME, or the get-hosted-zone output with it"
            )
            problems.append(Problem(page.listing.file, "ResourceRecordSets", message))
            continue
    for page in pages:
        zone = page.zone
        outside = [s for s in page.sets if zone is not None and not names.is_within(s.owner, zone)]
        if zone is not None and outside:
            problem = _mixed(outside[0], zone, page.how)
            more = len(outside) - 1
            if more:
                also = f" (and {more:,} more record set{'s' * (more > 1)} of this file)"
                problem = replace(problem, message=problem.message + also)
            problems.append(problem)


def _in_listing_order(pages: list[_Page]) -> list[_Page]:
    """A zone's pages in the order of the listing: each followed by the page it continues into."""

    def after(page: _Page) -> _Page | None:
        return next((q for q in pages if q.sets and q.sets[0].key == page.next_key), None)

    continuations = {id(q) for q in map(after, pages) if q is not None}
    ordered: list[_Page] = []
    for start in (p for p in pages if id(p) not in continuations):
        page: _Page | None = start
        while page is not None and page not in ordered:
            ordered.append(page)
            page = after(page)
    return ordered + [p for p in pages if p not in ordered]


def _merged(pages: list[_Page], problems: list[Problem], notes: list[str]) -> list[ListedSet]:
    """The record sets of a zone's pages; one that two pages both hold (a page given twice, or
    pages that overlap) is kept once, and must be the same in both."""
    seen: dict[tuple[Name, str, Any], tuple[ListedSet, _Page]] = {}
    merged: list[ListedSet] = []
    for page in _in_listing_order(pages):
        document = page.listing.document
        if (document.get("IsTruncated") is True or "NextToken" in document) and not any(
            q.sets and q.sets[0].key == page.next_key for q in pages
        ):
            notes.append(
                f"{page.listing.file}: one page of a longer listing (IsTruncated or NextToken), "
                "and no file given continues it: the record sets after it are not imported"
            )
        for record_set in page.sets:
            first, first_page = seen.setdefault(record_set.key, (record_set, page))
            if first_page is page:
                merged.append(record_set)  # twice in one page: the loader's error to report
            elif first.data != record_set.data:
                problems.append(
                    Problem(
                        record_set.file,
                        record_set.path,
                        f"this record set is also at {first.file}: {first.path}, with other "
                        "fields (pages of listings made at different times?)",
                    )
                )
    return merged


# --- hosted zones -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hosted:
    """A hosted zone of get-hosted-zone output: what the zone file takes from it."""

    file: str
    name: Name
    id: str
    comment: str | None
    private: bool
    nameservers: tuple[str, ...]  # of its delegation set


def _hosted_zone(listing: Listing, problems: list[Problem]) -> _Hosted | None:
    file, item = listing.file, listing.items
    if not expect(item, dict, file, "HostedZone", problems):
        return None
    name = _read_name(item, "Name", file, "HostedZone", problems)
    if "Id" not in item:
        problems.append(Problem(file, "HostedZone.Id", "required"))
        return None
    if not expect(item["Id"], str, file, "HostedZone.Id", problems) or name is None:
        return None
    zone_id = item["Id"].removeprefix("/hostedzone/")
    if not _ZONE_ID.fullmatch(zone_id):
        message = f"{shown(item['Id'])} is not a hosted zone id (1..32 letters and digits)"
        problems.append(Problem(file, "HostedZone.Id", message))
        return None
    config = item.get("Config", {})
    if not expect(config, dict, file, "HostedZone.Config", problems):
        return None
    comment = config.get("Comment")
    delegation = listing.document.get("DelegationSet")
    servers = delegation.get("NameServers") if isinstance(delegation, dict) else None
    ok = isinstance(servers, list) and all(is_a(server, str) for server in servers)
    return _Hosted(
        file,
        name,
        zone_id,
        comment if is_a(comment, str) and comment else None,
        config.get("PrivateZone") is True,
        tuple(servers) if ok and servers else (),
    )


def _hosted_zone_of(zone: Name, hosted: list[_Hosted], problems: list[Problem]) -> _Hosted | None:
    """The get-hosted-zone output of `zone`; a problem when two different ones are given."""
    candidates = [h for h in hosted if h.name == zone]
    for other in candidates[1:]:
        if other.id != candidates[0].id:
            problems.append(
                Problem(
                    other.file,
                    "HostedZone.Id",
                    f"{candidates[0].file} holds another hosted zone named "
                    f"{names.to_text(zone)} ({candidates[0].id}; a public and a private zone?): "
                    "import them one at a time",
                )
            )
    return candidates[0] if candidates else None


# --- the zone files -----------------------------------------------------------------------


@dataclass
class _ZonePart:
    """One hosted zone's file, and what its record sets name in the account sections."""

    file: OutputFile
    check_refs: list[Reference] = field(default_factory=list)
    cidr_refs: list[Reference] = field(default_factory=list)


def _zone_part(
    zone: Name,
    pages: list[_Page],
    hosted: list[_Hosted],
    problems: list[Problem],
    notes: list[str],
) -> _ZonePart:
    sets = _merged(pages, problems, notes)
    from_aliases = alias_zone_id(sets, zone)
    alias_id = None if from_aliases is None else from_aliases[0]
    chosen = _hosted_zone_of(zone, hosted, problems)
    zone_id = alias_id
    zone_text = names.to_text(zone)
    if chosen is not None:
        zone_id = chosen.id
        if from_aliases is not None and alias_id != chosen.id:
            at = from_aliases[1]
            problems.append(
                Problem(
                    at.file,
                    f"{at.path}.AliasTarget.HostedZoneId",
                    f"{alias_id} is not the id of hosted zone {zone_text} in {chosen.file} "
                    f"({chosen.id}): the files list two hosted zones of one name (a public and a "
                    "private one?); import them one at a time",
                )
            )
        if chosen.private:
            notes.append(
                f"{chosen.file}: {zone_text} is a private hosted zone: r53emu answers it to "
                "every client (it does not emulate VPC split view)"
            )
    converted = convert_zone_sets(sets, zone, zone_id, problems)
    part = _ZonePart(_zone_file(zone, zone_id, pages, chosen, converted))
    for out in converted:
        if out.skip is not None:
            notes.append(f"{out.source.label}: not imported: {out.skip}")
            continue
        data, file, path = out.source.data, out.source.file, out.source.path
        if "HealthCheckId" in data:
            ref = Reference(file, f"{path}.HealthCheckId", data["HealthCheckId"])
            part.check_refs.append(ref)
        cidr = data.get("CidrRoutingConfig", {})
        if "CollectionId" in cidr:  # without it, `r53emu check` reports the field missing
            where = f"{path}.CidrRoutingConfig"
            ref = Reference(file, where, cidr["CollectionId"], cidr.get("LocationName"))
            part.cidr_refs.append(ref)
    return part


def _zone_file(
    zone: Name,
    zone_id: str | None,
    pages: list[_Page],
    hosted: _Hosted | None,
    converted: list[Converted],
) -> OutputFile:
    """The zone file: the zone's fields, then its record sets in the listing's order."""
    zone_text = names.to_text(zone)
    name = re.sub(r"[^a-z0-9._-]", "_", zone_text[:-1]) + ".yaml"
    sources = ", ".join(dict.fromkeys(p.listing.file for p in pages))
    lines = [
        f"# {name}: hosted zone {zone_text}, written by `r53emu import` from",
        f"#   {sources}" + (f" and {hosted.file}" if hosted else ""),
        f"zone: {scalar(zone_text[:-1])}",
    ]
    if zone_id is not None:
        lines.append(f"id: {zone_id}")
    if hosted is not None and hosted.comment is not None:
        lines.append(f"comment: {scalar(hosted.comment)}")
    apex_ns = any(out.source.owner == zone and out.source.rtype == "NS" for out in converted)
    if hosted is not None and hosted.nameservers and not apex_ns:
        lines.append(f"nameservers: {flow(list(hosted.nameservers))}  # the delegation set's")
    imported = sum(out.skip is None for out in converted)
    if imported + 2 > DEFAULT_RECORD_LIMIT:  # the SOA and NS count too (semantics §1.5)
        lines.append(f"record_limit: {imported + 2}  # the zone's quota in Route 53 is raised")
    lines.append("record_sets:" if imported else "record_sets: []")
    for out in converted:
        lines.extend(out.lines("  "))
    skipped = len(converted) - imported
    summary = f"hosted zone {zone_text} ({zone_id or 'id derived from the name'}), "
    summary += f"{imported:,} record sets" + (f" ({skipped:,} not imported)" if skipped else "")
    return OutputFile(name, "\n".join(lines) + "\n", summary)


def plan_import(listings: Sequence[Listing], zone: str | None = None) -> Plan:
    """The files that hold the listings in the zone format, and the notes to print; raises
    `ImportFailed` with every problem, file by file. `zone` is the zone of record-set pages
    that do not name their own (no SOA)."""
    problems: list[Problem] = []
    notes: list[str] = []
    option = None if zone is None else names.lower(names.parse(zone))
    hosted = [
        hosted_zone
        for listing in listings
        if listing.kind == "HostedZone"
        for hosted_zone in [_hosted_zone(listing, problems)]
        if hosted_zone is not None
    ]
    pages = [
        page
        for listing in listings
        if listing.kind == "ResourceRecordSets"
        for page in [_read_page(listing, problems)]
        if page is not None
    ]
    _assign_zones(pages, [h.name for h in hosted], option, problems)
    by_zone: dict[Name, list[_Page]] = {}
    for page in pages:
        if not page.sets and not page.listing.items:
            notes.append(f"{page.listing.file}: lists no record sets")
        if page.zone is not None:
            by_zone.setdefault(page.zone, []).append(page)
    zones = [
        _zone_part(name, members, hosted, problems, notes) for name, members in by_zone.items()
    ]
    check_refs = [ref for part in zones for ref in part.check_refs]
    cidr_refs = [ref for part in zones for ref in part.cidr_refs]
    account = account_part(listings, check_refs, cidr_refs, problems)
    notes.extend(account.notes)
    for hosted_zone in hosted:
        if hosted_zone.name not in by_zone:
            notes.append(
                f"{hosted_zone.file}: hosted zone {names.to_text(hosted_zone.name)} is not "
                "imported: no list-resource-record-sets output given for it (`aws route53 "
                f"list-resource-record-sets --hosted-zone-id {hosted_zone.id}`)"
            )
    if option is not None and not any(page.how == "--zone" for page in pages):
        notes.append(f"--zone {zone} is not used: every record-set file names its zone (SOA)")
    files = [part.file for part in zones]
    if account.text is not None:
        files.append(OutputFile(ACCOUNT_FILE, account.text, account.summary))
    if not files and not problems:
        message = "nothing to import: no record sets, health checks or CIDR blocks"
        problems.append(Problem(", ".join(i.file for i in listings), "", message))
    if problems:
        order = {listing.file: index for index, listing in enumerate(listings)}

        def place(problem: Problem) -> tuple[int, int]:  # file by file, record set by record set
            index = re.match(r"\w+\[(\d+)\]", problem.path)
            return order.get(problem.file, len(order)), int(index.group(1)) if index else -1

        raise ImportFailed(sorted(problems, key=place))
    written = [file.name for file in files]
    twice = next((name for name in written if written.count(name) > 1), None)
    if twice is not None:  # names that differ in characters a file name cannot hold
        raise ImportFailed([Problem(twice, "", "two hosted zones would be written to this file")])
    return Plan(tuple(files), tuple(notes))
