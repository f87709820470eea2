"""`aws route53 list-resource-record-sets` JSON -> record sets in the YAML shape.

The API's field names map onto the Terraform names that YAML zones use (semantics §7.2); the
converted mappings keep each field's line and its original name, so errors still read
`zones/example.com.json:12: ResourceRecordSets[2].TTL: ...`. The API's flat routing fields
(`Weight: 90`) become the YAML policy mappings (`weighted_routing_policy: {weight: 90}`) whose
errors still name `ResourceRecordSets[2].Weight`.
"""

from __future__ import annotations

from typing import Any

from r53emu.model import names
from r53emu.model.names import Name
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.fieldreaders import REPORTED
from r53emu.zonefiles.sourcefile import LineDict, LineList

# API field -> YAML field (zone-format.md uses the Terraform attribute names).
_RECORD_SET_FIELDS = {
    "Name": "name",
    "Type": "type",
    "TTL": "ttl",
    "ResourceRecords": "records",
    "AliasTarget": "alias",
    "SetIdentifier": "set_identifier",
    "Weight": "weighted_routing_policy",
    "Region": "latency_routing_policy",
    "Failover": "failover_routing_policy",
    "GeoLocation": "geolocation_routing_policy",
    "GeoProximityLocation": "geoproximity_routing_policy",
    "MultiValueAnswer": "multivalue_answer_routing_policy",
    "CidrRoutingConfig": "cidr_routing_policy",
    "HealthCheckId": "health_check_id",
}
_ALIAS_FIELDS = {
    "DNSName": "name",
    "HostedZoneId": "zone_id",
    "EvaluateTargetHealth": "evaluate_target_health",
}
# Flat API fields -> the one field of the YAML policy mapping they stand for.
_WRAPPED_FIELDS = {
    "weighted_routing_policy": "weight",
    "latency_routing_policy": "region",
    "failover_routing_policy": "type",
}
# API structures -> their YAML fields.
_NESTED_FIELDS = {
    "geolocation_routing_policy": {
        "ContinentCode": "continent",
        "CountryCode": "country",
        "SubdivisionCode": "subdivision",
    },
    "geoproximity_routing_policy": {
        "AWSRegion": "aws_region",
        "LocalZoneGroup": "local_zone_group",
        "Coordinates": "coordinates",
        "Bias": "bias",
    },
    "cidr_routing_policy": {"CollectionId": "collection_id", "LocationName": "location_name"},
}
_COORDINATE_FIELDS = {"Latitude": "latitude", "Longitude": "longitude"}


class JsonShapeError(Exception):
    """The document is valid JSON but not list-resource-record-sets output."""

    def __init__(self, error: ZoneError) -> None:
        super().__init__(str(error))
        self.error = error


def convert_record_sets(
    document: LineDict, top: Field, errors: list[ZoneError]
) -> tuple[LineList, Field]:
    """The `ResourceRecordSets` of a dump, each converted to the YAML shape.

    Raises `JsonShapeError` when there is no such list; problems inside one record set are
    appended to `errors` so that every record set is still checked.
    """
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
    converted = LineList(
        _convert(raw, at.child(raw_sets, i), errors) for i, raw in enumerate(raw_sets)
    )
    converted.line = raw_sets.line
    converted.item_lines = raw_sets.item_lines
    return converted, at


def _convert(raw: Any, at: Field, errors: list[ZoneError]) -> Any:
    if not isinstance(raw, LineDict):
        return raw  # the record-set parser reports "expected a mapping"
    result = _renamed(raw, _RECORD_SET_FIELDS)
    for key, inner in _WRAPPED_FIELDS.items():
        if key in result:
            result[key] = _wrapped(inner, result[key], result.line_of(key))
    for key, fields in _NESTED_FIELDS.items():
        if isinstance(result.get(key), LineDict):
            result[key] = _renamed(result[key], fields)
    proximity = result.get("geoproximity_routing_policy")
    if isinstance(proximity, LineDict) and isinstance(proximity.get("coordinates"), LineDict):
        proximity["coordinates"] = _renamed(proximity["coordinates"], _COORDINATE_FIELDS)
    if isinstance(result.get("alias"), LineDict):
        result["alias"] = _renamed(result["alias"], _ALIAS_FIELDS)
        if result.get("records") == []:
            # Older API versions listed aliases with an empty ResourceRecords list.
            del result["records"]
    records = result.get("records")
    if isinstance(records, LineList):
        values = LineList()
        values.line = records.line
        values.item_lines = records.item_lines
        for index, item in enumerate(records):
            if isinstance(item, LineDict) and set(item) == {"Value"}:
                values.append(item["Value"])
            else:
                where = at.child(raw, "ResourceRecords").child(records, index)
                errors.append(where.error('expected {"Value": "..."}'))
                values.append(REPORTED)  # keeps the indexes of the items after it
        result["records"] = values
    return result


def _renamed(raw: LineDict, fields: dict[str, str]) -> LineDict:
    """A copy of `raw` with API keys renamed, remembering lines and the API names for errors."""
    result = LineDict()
    result.line = raw.line
    result.key_lines = {}
    # Every known field, present or not, is shown under its API name (errors, "expected one of").
    shown: dict[Any, str] = {new: old for old, new in fields.items()}
    for key, value in raw.items():
        new_key = fields.get(key, key)
        result[new_key] = value
        result.key_lines[new_key] = raw.line_of(key)
        shown[new_key] = str(key)
    result.key_names = shown
    return result


def _wrapped(key: str, value: Any, line: int) -> LineDict:
    """`{key: value}` standing for a flat API field: its errors name the API field alone."""
    result = LineDict({key: value})
    result.line = line
    result.key_lines = {key: line}
    result.key_names = {key: ""}  # Field.child adds no path segment for an empty name
    return result


def zone_name_from_json(record_sets: LineList) -> str | None:
    """The zone name: the owner of the SOA record set, else of the highest NS record set.

    None when the dump has neither (the caller then uses the file name, `example.com.json`).
    """
    ns_owners: list[str] = []
    for raw in record_sets:
        if not isinstance(raw, LineDict) or not isinstance(raw.get("name"), str):
            continue
        rtype = str(raw.get("type", "")).upper()
        if rtype == "SOA":
            return str(raw["name"])
        if rtype == "NS":
            ns_owners.append(raw["name"])
    if not ns_owners:
        return None
    # Delegations lie below the apex, so the apex NS has the fewest labels.
    return min(ns_owners, key=_label_count)


def zone_id_from_json(record_sets: LineList, zone: Name) -> str | None:
    """The dumped zone's own id, as in-zone aliases name it in `AliasTarget.HostedZoneId`.

    A dump does not otherwise carry its zone's id, and its aliases must keep matching it.
    """
    for raw in record_sets:
        alias = raw.get("alias") if isinstance(raw, LineDict) else None
        if not isinstance(alias, LineDict):
            continue
        target, zone_id = alias.get("name"), alias.get("zone_id")
        if not isinstance(target, str) or not isinstance(zone_id, str):
            continue
        try:
            inside = names.is_within(names.lower(names.parse(target)), zone)
        except names.InvalidName:
            continue
        if inside:
            return zone_id
    return None


def _label_count(text: str) -> int:
    try:
        return len(names.parse(text))
    except names.InvalidName:
        return names.MAX_NAME  # an unreadable name is never preferred
