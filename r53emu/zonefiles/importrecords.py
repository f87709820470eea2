"""`r53emu import`, one record set: a `list-resource-record-sets` entry -> zone-format fields.

The inverse of `jsonzone`: each API field becomes the zone format's field of the same meaning
(zone-format.md, "JSON dumps (list-resource-record-sets)"), the name becomes relative to the zone
(`@` for the apex) as the listing wrote it, and values stay exactly as Route 53 lists them (TXT
quotes, octal escapes). What r53emu cannot serve yet is kept with the reason it is not imported:
aliases to AWS resources, traffic-policy and AZ-affinity record sets, fields outside botocore's
model, and in-zone aliases whose target is itself not imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from r53emu.model import names
from r53emu.model.names import Name
from r53emu.zonefiles.importbase import Problem, expect, is_a, list_item, shown

# API record-set field -> its JSON type; the structures' fields below (botocore's model).
_SET_FIELDS: dict[str, type] = {
    "Name": str,
    "Type": str,
    "SetIdentifier": str,
    "Weight": int,
    "Region": str,
    "GeoLocation": dict,
    "Failover": str,
    "MultiValueAnswer": bool,
    "TTL": int,
    "ResourceRecords": list,
    "AliasTarget": dict,
    "HealthCheckId": str,
    "TrafficPolicyInstanceId": str,
    "CidrRoutingConfig": dict,
    "GeoProximityLocation": dict,
    "AZAffinity": dict,
}
_STRUCTURES: dict[str, dict[str, type]] = {
    "GeoLocation": {"ContinentCode": str, "CountryCode": str, "SubdivisionCode": str},
    "GeoProximityLocation": {
        "AWSRegion": str,
        "LocalZoneGroup": str,
        "Coordinates": dict,
        "Bias": int,
    },
    "Coordinates": {"Latitude": str, "Longitude": str},
    "CidrRoutingConfig": {"CollectionId": str, "LocationName": str},
    "AliasTarget": {"HostedZoneId": str, "DNSName": str, "EvaluateTargetHealth": bool},
    "AZAffinity": {"LocationType": str, "LocationId": str},
}
_ALIAS_FIELDS = {
    "DNSName": "name",
    "HostedZoneId": "zone_id",
    "EvaluateTargetHealth": "evaluate_target_health",
}
_NOT_EMULATED = {"TrafficPolicyInstanceId": "traffic policies", "AZAffinity": "AZ-affinity routing"}
# Zone-format fields of the API's routing fields (zone-format.md's table, read backwards).
_FLAT_POLICIES = {
    "Weight": ("weighted_routing_policy", "weight"),
    "Region": ("latency_routing_policy", "region"),
    "Failover": ("failover_routing_policy", "type"),
}
_NESTED_POLICIES = {
    "GeoLocation": (
        "geolocation_routing_policy",
        {"ContinentCode": "continent", "CountryCode": "country", "SubdivisionCode": "subdivision"},
    ),
    "GeoProximityLocation": (
        "geoproximity_routing_policy",
        {
            "AWSRegion": "aws_region",
            "LocalZoneGroup": "local_zone_group",
            "Coordinates": "coordinates",
            "Bias": "bias",
        },
    ),
    "CidrRoutingConfig": (
        "cidr_routing_policy",
        {"CollectionId": "collection_id", "LocationName": "location_name"},
    ),
}
# What an alias target outside the zone is, by the end of its name.
_AWS_TARGETS = (
    ("elb.amazonaws.com.", "an Elastic Load Balancing load balancer"),
    ("cloudfront.net.", "a CloudFront distribution"),
    ("amazonaws.com.", "an AWS endpoint (S3 website, API Gateway, VPC endpoint, ...)"),
    ("awsglobalaccelerator.com.", "a Global Accelerator"),
    ("elasticbeanstalk.com.", "an Elastic Beanstalk environment"),
    ("awsapprunner.com.", "an App Runner service"),
)


@dataclass
class ListedSet:
    """One record set of a listing: where it is, its owner (lower case) and type, its JSON."""

    file: str
    path: str
    owner: Name
    rtype: str
    data: dict[str, Any]

    @property
    def key(self) -> tuple[Name, str, Any]:
        """What makes a record set unique in a zone: name, type and set identifier."""
        return (self.owner, self.rtype, self.data.get("SetIdentifier"))

    @property
    def label(self) -> str:
        identifier = self.data.get("SetIdentifier")
        tail = "" if identifier is None else f" (set {identifier})"
        return f"{self.file}: {self.path}: {names.to_text(self.owner)} {self.rtype}{tail}"


@dataclass
class Converted:
    """A record set as the zone file holds it: its zone-format mapping (None when it has no
    such form), why it is not imported (None when it is), and an in-zone alias's target."""

    source: ListedSet
    mapping: dict[str, Any] | None
    skip: str | None = None
    target: tuple[Name, str] | None = None

    def lines(self, indent: str) -> list[str]:
        """Its item of `record_sets:`; commented out, after its reason, when not imported."""
        if self.mapping is not None:
            item = list_item(self.mapping, indent)
        else:  # no zone-format field holds it: the listing's own JSON
            item = [f"{indent}- {json.dumps(self.source.data, ensure_ascii=False)}"]
        if self.skip is None:
            return item
        return [f"{indent}# not imported: {self.skip}"] + [
            f"{indent}# {line[len(indent) :]}" for line in item
        ]


def convert_zone_sets(
    sets: list[ListedSet], zone: Name, zone_id: str | None, problems: list[Problem]
) -> list[Converted]:
    """The zone's record sets in zone-format fields, in listing order (problems appended for
    malformed ones). In-zone aliases whose target is not imported are not imported either,
    repeatedly (an alias to such an alias neither), so that the zone still loads."""
    converted = [out for out in (_convert(s, zone, zone_id, problems) for s in sets) if out]
    imported: dict[tuple[Name, str], int] = {}
    for out in converted:
        if out.skip is None:
            key = (out.source.owner, out.source.rtype)
            imported[key] = imported.get(key, 0) + 1
    listed = {(s.owner, s.rtype) for s in sets}
    changed = True
    while changed:
        changed = False
        for out in converted:
            if out.skip is None and out.target is not None and not imported.get(out.target):
                held = "is not imported either" if out.target in listed else "the listing lacks"
                target = f"{names.to_text(out.target[0])} {out.target[1]}"
                out.skip = f"alias to {target}, which {held}"
                imported[(out.source.owner, out.source.rtype)] -= 1
                changed = True
    return converted


def alias_zone_id(sets: list[ListedSet], zone: Name) -> tuple[str, ListedSet] | None:
    """The zone's own id as its first in-zone alias names it (a listing does not otherwise
    carry it), with that record set: what the loader takes for a dump's id."""
    for record_set in sets:
        alias = record_set.data.get("AliasTarget")
        if not isinstance(alias, dict) or not is_a(alias.get("HostedZoneId"), str):
            continue
        target = _target(alias)
        if target is not None and names.is_within(target, zone):
            return alias["HostedZoneId"], record_set
    return None


def relative_name(text: str, owner: Name, zone: Name) -> str:
    """A record set's `name` as the zone format writes it: `@` for the apex, else the labels
    above the zone as the listing wrote them (`\\052.apps`), else the name as written when the
    relative form would read as another name (`www.example.test` in zone example.test)."""
    if owner == zone:
        return "@"
    labels = _label_texts(text)
    if len(labels) == len(owner):
        relative = ".".join(labels[: len(owner) - len(zone)])
        try:
            parsed = names.lower(names.parse(relative))
        except names.InvalidName:
            parsed = ()
        if parsed and parsed + zone == owner and not names.is_within(parsed, zone):
            return relative
    return text


def _label_texts(text: str) -> list[str]:
    """The labels of a name as written (escapes kept), without the root."""
    if "\\" not in text:
        split = text.split(".")
        return split[:-1] if split[-1] == "" else split
    labels: list[str] = []
    current = ""
    i = 0
    while i < len(text):
        if text[i] == "\\":
            current += text[i : i + 2]
            i += 2
            continue
        if text[i] == ".":
            labels.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    return [*labels, current] if current else labels


def _convert(
    record_set: ListedSet, zone: Name, zone_id: str | None, problems: list[Problem]
) -> Converted | None:
    """One record set in the zone format's fields; None after reporting a malformed one."""
    unknown = _unknown_fields(record_set, problems)
    if unknown is None:
        return None
    data = record_set.data
    if unknown:
        why = f"it has {', '.join(unknown)}, which r53emu does not know"
        return Converted(record_set, None, why)
    for key, what in _NOT_EMULATED.items():
        if key in data:
            why = f"{key} {shown(data[key])} (r53emu does not emulate {what} yet)"
            return Converted(record_set, None, why)
    mapping: dict[str, Any] = {
        "name": relative_name(data["Name"], record_set.owner, zone),
        "type": data["Type"],
    }
    if "TTL" in data:
        mapping["ttl"] = data["TTL"]
    records = data.get("ResourceRecords")
    if records is not None and not ("AliasTarget" in data and records == []):
        mapping["records"] = [item["Value"] for item in records]  # older dumps: aliases with []
    out = Converted(record_set, mapping)
    if "AliasTarget" in data:
        alias = data["AliasTarget"]
        mapping["alias"] = {new: alias[old] for old, new in _ALIAS_FIELDS.items() if old in alias}
        _classify_alias(out, alias, zone, zone_id)
    if "SetIdentifier" in data:
        mapping["set_identifier"] = data["SetIdentifier"]
    for key, (policy, inner) in _FLAT_POLICIES.items():
        if key in data:
            mapping[policy] = {inner: data[key]}
    for key, (policy, fields) in _NESTED_POLICIES.items():
        if key in data:
            value = {fields[k]: v for k, v in data[key].items()}
            if "coordinates" in value:
                value["coordinates"] = {k.lower(): v for k, v in value["coordinates"].items()}
            mapping[policy] = value
    if "MultiValueAnswer" in data:
        mapping["multivalue_answer_routing_policy"] = data["MultiValueAnswer"]
    if "HealthCheckId" in data:
        mapping["health_check_id"] = data["HealthCheckId"]
    return out


def _unknown_fields(record_set: ListedSet, problems: list[Problem]) -> list[str] | None:
    """The fields of a record set outside botocore's model (`GeoLocation.Foo`); None after
    reporting a field of the wrong JSON type."""
    before = len(problems)
    unknown: list[str] = []
    file = record_set.file

    def check(value: dict[str, Any], fields: dict[str, type], path: str, prefix: str) -> None:
        for key, inner in value.items():
            kind = fields.get(key)
            if kind is None:
                unknown.append(prefix + key)
            elif expect(inner, kind, file, f"{path}.{key}", problems) and key in _STRUCTURES:
                check(inner, _STRUCTURES[key], f"{path}.{key}", f"{prefix}{key}.")

    check(record_set.data, _SET_FIELDS, record_set.path, "")
    records = record_set.data.get("ResourceRecords")
    for index, item in enumerate(records if isinstance(records, list) else ()):
        if not (isinstance(item, dict) and set(item) == {"Value"} and is_a(item["Value"], str)):
            where = f"{record_set.path}.ResourceRecords[{index}]"
            problems.append(
                Problem(file, where, f'expected {{"Value": "..."}}, found {shown(item)}')
            )
    return None if len(problems) > before else unknown


def _target(alias: dict[str, Any]) -> Name | None:
    text = alias.get("DNSName")
    try:
        return names.lower(names.parse(text)) if isinstance(text, str) else None
    except names.InvalidName:
        return None  # the loader reports the name


def _classify_alias(out: Converted, alias: dict[str, Any], zone: Name, zone_id: str | None) -> None:
    """In-zone aliases keep their target; aliases to anything else are not imported."""
    target = _target(alias)
    if target is None:
        return
    if not names.is_within(target, zone):
        text = str(alias["DNSName"])
        lowered = text.lower().rstrip(".") + "."
        what = next((w for end, w in _AWS_TARGETS if lowered.endswith(end)), "an AWS resource")
        out.skip = f"alias to {text}, {what} (r53emu does not emulate aliases to AWS resources yet)"
    elif zone_id is not None and alias.get("HostedZoneId", zone_id) != zone_id:
        out.skip = f"alias with HostedZoneId {alias['HostedZoneId']}, not this zone's ({zone_id})"
    else:
        out.target = (target, out.source.rtype)
