"""`aws route53 list-resource-record-sets` JSON -> record sets in the YAML shape.

The API's field names map one to one onto the Terraform names that YAML zones use; the converted
mappings keep each field's line and its original name, so errors still read
`zones/example.com.json:12: ResourceRecordSets[2].TTL: ...`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r53emu.errors import Field, ZoneError
from r53emu.sourcefile import LineDict, LineList

# API field -> YAML field (zone-format.md uses the Terraform attribute names).
_RECORD_SET_FIELDS = {
    "Name": "name",
    "Type": "type",
    "TTL": "ttl",
    "ResourceRecords": "records",
    "AliasTarget": "alias",
    "SetIdentifier": "set_identifier",
}
_ALIAS_FIELDS = {
    "DNSName": "name",
    "HostedZoneId": "zone_id",
    "EvaluateTargetHealth": "evaluate_target_health",
}


class JsonShapeError(Exception):
    """The document is valid JSON but not list-resource-record-sets output."""

    def __init__(self, error: ZoneError) -> None:
        super().__init__(str(error))
        self.error = error


def convert_record_sets(document: LineDict, top: Field) -> tuple[LineList, Field]:
    """The `ResourceRecordSets` of a dump, each converted to the YAML shape."""
    if "ResourceRecordSets" not in document:
        raise JsonShapeError(
            top.error(
                "expected the output of `aws route53 list-resource-record-sets` "
                "(a `ResourceRecordSets` list)"
            )
        )
    at = top.child(document, "ResourceRecordSets")
    raw_sets = document["ResourceRecordSets"]
    if not isinstance(raw_sets, LineList):
        raise JsonShapeError(at.error("expected a list of record sets"))
    converted = LineList(_convert(raw, at.child(raw_sets, i)) for i, raw in enumerate(raw_sets))
    converted.line = raw_sets.line
    converted.item_lines = raw_sets.item_lines
    return converted, at


def _convert(raw: Any, at: Field) -> Any:
    if not isinstance(raw, LineDict):
        return raw  # the record-set parser reports "expected a mapping"
    result = _renamed(raw, _RECORD_SET_FIELDS)
    if isinstance(result.get("alias"), LineDict):
        result["alias"] = _renamed(result["alias"], _ALIAS_FIELDS)
    records = result.get("records")
    if isinstance(records, LineList):
        values = LineList()
        values.line = records.line
        values.item_lines = records.item_lines
        for index, item in enumerate(records):
            if not isinstance(item, LineDict) or "Value" not in item:
                where = at.child(raw, "ResourceRecords").child(records, index)
                raise JsonShapeError(where.error('expected {"Value": "..."}'))
            values.append(item["Value"])
        result["records"] = values
    return result


def _renamed(raw: LineDict, fields: dict[str, str]) -> LineDict:
    """A copy of `raw` with API keys renamed, remembering lines and the API names for errors."""
    result = LineDict()
    result.line = raw.line
    result.key_lines = {}
    shown: dict[Any, str] = {}
    for key, value in raw.items():
        new_key = fields.get(key, key)
        result[new_key] = value
        result.key_lines[new_key] = raw.line_of(key)
        shown[new_key] = str(key)
    result.key_names = shown
    return result


def zone_name_from_json(record_sets: LineList, path: Path) -> str:
    """The zone name: the owner of the SOA record set, else the file name (`example.com.json`)."""
    for raw in record_sets:
        if isinstance(raw, LineDict) and str(raw.get("type", "")).upper() == "SOA":
            name = raw.get("name")
            if isinstance(name, str):
                return name
    return path.stem
