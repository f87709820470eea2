"""Record sets in the API's shape -> the frozen `Zone` the DNS side serves, by the zone files'
own validation ("one model, two doors").

The record sets go in as a `list-resource-record-sets` document, which is what they are: through
`jsonzone.convert_record_sets` (API field names -> the YAML shape), then `parse_record_set` on
each and `build_zone` on the whole (CNAME conflicts, routing groups, alias targets, cycles and
chains, answer sizes, the record limit), exactly as `loader` builds a JSON zone file
(`loader.build_record_sets`). Nothing here judges a record set itself.

Each record set is given the line of its position (1 for the first), so every error says which
record set it is about; `BuildProblem` carries that position and the member inside the record
set, for the caller to name the change that put it there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from r53emu.model.catalog import Source, Zone
from r53emu.model.names import Name
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.jsonzone import convert_record_sets
from r53emu.zonefiles.loader import build_record_sets
from r53emu.zonefiles.recordsets import ZoneContext
from r53emu.zonefiles.routing_field_rules import NO_ACCOUNT, AccountRefs
from r53emu.zonefiles.sourcefile import LineDict, LineList
from r53emu.zonefiles.zonebuild import ZoneHeader

API_SOURCE = "route53-api"  # the "file" of API zones in the model's `Source` values
MAX_RRSETS_BY_ZONE = 10_000  # Route 53's quota of record sets per hosted zone
_AT_RECORD_SET = re.compile(r"ResourceRecordSets\[(\d+)\]\.?")


class BuildProblem(NamedTuple):
    """One error of the build: the record set's position in the list given (None for the zone
    as a whole), the member inside it ("" for the record set itself, else like `TTL` or
    `ResourceRecords[0]`), and the validation's message."""

    position: int | None
    field: str
    message: str


def build_api_zone(
    name: Name,
    zone_id: str,
    record_sets: Sequence[dict[str, Any]],
    *,
    nameservers: tuple[str, ...],
    account: AccountRefs = NO_ACCOUNT,
    record_limit: int = MAX_RRSETS_BY_ZONE,
) -> Zone | list[BuildProblem]:
    """The zone of `record_sets` (apex SOA and NS among them), or every problem found.

    `nameservers` are the zone's delegation set: the zone files' defaults stand in only for an
    apex NS the record sets lack, which the API never lets happen.
    """
    document = LineDict({"ResourceRecordSets": _lined_list(record_sets)})
    document.line = 0
    top = Field(API_SOURCE, "", 0)
    errors: list[ZoneError] = []
    raw_sets, sets_at = convert_record_sets(document, top, errors)
    header = ZoneHeader(
        name=name,
        zone_id=zone_id,
        source=Source(API_SOURCE, 0),
        soa=None,
        soa_field=None,
        nameservers=None,
        nameservers_field=None,
        default_nameservers=nameservers,
        record_limit=record_limit,
    )
    context = ZoneContext(name=name, zone_id=zone_id, default_ttl=None, account=account)
    zone = build_record_sets(header, context, raw_sets, sets_at, errors)
    if zone is not None and not errors:
        return zone
    return [_problem(error, len(record_sets)) for error in errors]


def _problem(error: ZoneError, count: int) -> BuildProblem:
    position = error.line - 1 if 1 <= error.line <= count else None
    field = error.field
    match = _AT_RECORD_SET.match(field)
    if match is not None:
        position = int(match.group(1))
        field = field[match.end() :]
    elif position is not None and field == "record_sets":
        field = ""
    return BuildProblem(position, field, error.message)


def _lined(value: Any, line: int) -> Any:
    """`value` as the file reader gives it: mappings and lists that know their line."""
    if isinstance(value, dict):
        mapping = LineDict({key: _lined(item, line) for key, item in value.items()})
        mapping.line = line
        return mapping
    if isinstance(value, list):
        items = LineList(_lined(item, line) for item in value)
        items.line = line
        return items
    return value


def _lined_list(record_sets: Sequence[dict[str, Any]]) -> LineList:
    items = LineList(_lined(raw, index + 1) for index, raw in enumerate(record_sets))
    items.line = 0
    items.item_lines = range(1, len(record_sets) + 1)
    return items
