"""The routing fields of one record set: its `*_routing_policy` key and `health_check_id`.

Per-record-set rules of semantics §1.3, §1.5-§1.6 and §3 (zone-format.md names the keys after
Terraform's `aws_route53_record`): at most one policy, each policy's own fields, codes and
ranges, the record types a policy allows, no multivalue alias, and references to health checks
and CIDR collections that exist in the account-level sections. Rules that need the whole group
(mixing, duplicates, counts) live in `routing_group_rules`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from r53emu.geo import geography
from r53emu.model.catalog import (
    CidrRouting,
    FailoverRouting,
    GeolocationRouting,
    GeoproximityRouting,
    IPNetwork,
    LatencyRouting,
    MultivalueRouting,
    Point,
    RoutingAttributes,
    WeightedRouting,
)
from r53emu.zonefiles.cidr_file import LOCATION_NAME
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.fieldreaders import (
    check_keys,
    read_bool,
    read_choice,
    read_int,
    read_mapping,
    read_str,
    read_str_at,
)
from r53emu.zonefiles.placecodes import read_continent, read_country, read_region, read_subdivision
from r53emu.zonefiles.quoting import quoted
from r53emu.zonefiles.sourcefile import LineDict, source_text

# The policy keys of a record set, and the registry name each one selects (model.POLICY_NAMES).
POLICY_KEYS: dict[str, str] = {
    "weighted_routing_policy": "weighted",
    "latency_routing_policy": "latency",
    "failover_routing_policy": "failover",
    "geolocation_routing_policy": "geolocation",
    "geoproximity_routing_policy": "geoproximity",
    "multivalue_answer_routing_policy": "multivalue",
    "cidr_routing_policy": "cidr",
}
KEY_OF_POLICY = {policy: key for key, policy in POLICY_KEYS.items()}
ROUTING_KEYS = (*POLICY_KEYS, "health_check_id")

# Types that may use a routing policy other than simple (semantics §1.3, the API's RRType list):
# never NS, DS or SOA; multivalue groups also exclude CNAME. That list names no types for
# geoproximity and IP-based routing (UNCONFIRMED): they are given the weighted list.
ROUTED_TYPES = frozenset("A AAAA CAA CNAME MX NAPTR PTR SPF SRV TXT TLSA SSHFP SVCB HTTPS".split())

MAX_WEIGHT = 255
MAX_BIAS = 99
# Route 53's patterns for GeoProximityLocation coordinates: at most two decimals (§3.6).
LATITUDE = re.compile(r"[-+]?[0-9]{1,2}(\.[0-9]{0,2})?")
LONGITUDE = re.compile(r"[-+]?[0-9]{1,3}(\.[0-9]{0,2})?")
# A Local Zone group is a Local Zone's code minus its last letter: `us-east-1-bue-1` (§3.6).
_LOCAL_ZONE_SUFFIX = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*-[0-9]+")


@dataclass(frozen=True, slots=True)
class AccountRefs:
    """What record sets may reference in the account-level sections, merged across files.

    `health_check_ids` holds every id that a `health_checks:` section defines, valid or not, and
    `cidr_locations` every collection with its locations' blocks: a reference to a definition
    that has its own error is not reported a second time as unknown.
    """

    health_check_ids: Set[str] = frozenset()
    cidr_locations: Mapping[str, Mapping[str, tuple[IPNetwork, ...]]] = field(
        default_factory=lambda: MappingProxyType({})
    )


NO_ACCOUNT = AccountRefs()


class Routing(NamedTuple):
    """The routing fields read from one record set (no policy key = simple routing).

    `conflicting` is set when several policy keys were given (an error already reported). A
    NamedTuple rather than a frozen dataclass: one is made per record set, in half the time.
    """

    attributes: RoutingAttributes | None = None
    policy_key: str | None = None
    health_check_id: str | None = None
    conflicting: bool = False

    @property
    def policy(self) -> str:
        return "simple" if self.policy_key is None else POLICY_KEYS[self.policy_key]


SIMPLE = Routing()


def read_routing(
    mapping: LineDict,
    where: Field,
    type_name: str | None,
    is_alias: bool,
    account: AccountRefs,
    errors: list[ZoneError],
) -> Routing:
    """The policy and health check of the record set `mapping` (errors appended).

    Record sets without routing keys (nearly all of them) return at once.
    """
    if mapping.keys().isdisjoint(ROUTING_KEYS):
        return SIMPLE
    health_check_id = _read_health_check_id(mapping, where, account, errors)
    keys = [key for key in POLICY_KEYS if key in mapping]
    if "multivalue_answer_routing_policy" in keys and not _multivalue_flag(mapping, where, errors):
        # `multivalue_answer_routing_policy: false` is Terraform's way of saying "not multivalue".
        keys.remove("multivalue_answer_routing_policy")
    if not keys:
        return Routing(health_check_id=health_check_id)
    first = mapping.name_of(keys[0])
    for extra in keys[1:]:
        errors.append(
            where.child(mapping, extra).error(
                f"a record set has at most one routing policy ({first} is given too)"
            )
        )
    if len(keys) > 1:
        return Routing(health_check_id=health_check_id, conflicting=True)
    key = keys[0]
    at = where.child(mapping, key)
    _check_type(key, type_name, is_alias, at, errors)
    attributes = _READERS[key](mapping[key], at, account, errors)
    return Routing(attributes, key, health_check_id)


def _read_health_check_id(
    mapping: LineDict, where: Field, account: AccountRefs, errors: list[ZoneError]
) -> str | None:
    if "health_check_id" not in mapping:
        return None
    check_id = read_str_at(mapping, "health_check_id", where, errors)
    if check_id is not None and check_id not in account.health_check_ids:
        at = where.child(mapping, "health_check_id")
        message = f"no health check {quoted(check_id)} in any `health_checks:` section"
        errors.append(at.error(message))
        return None
    return check_id


def _multivalue_flag(mapping: LineDict, where: Field, errors: list[ZoneError]) -> bool:
    key = "multivalue_answer_routing_policy"
    flag = read_bool(mapping[key], where.child(mapping, key), errors)
    return flag is not False  # an unreadable value was reported; it still counts as given


def _check_type(
    key: str, type_name: str | None, is_alias: bool, at: Field, errors: list[ZoneError]
) -> None:
    """The record types each policy allows (§1.3); multivalue records are never aliases (§3.7)."""
    multivalue = key == "multivalue_answer_routing_policy"
    if type_name is not None and type_name not in ROUTED_TYPES:
        errors.append(at.error(f"{type_name} record sets use simple routing only"))
    elif multivalue and type_name == "CNAME":
        errors.append(at.error("multivalue answer record sets cannot be of type CNAME"))
    if multivalue and is_alias:
        errors.append(
            at.error("multivalue answer record sets cannot be aliases (Route 53 has no such alias)")
        )


def _required(
    mapping: LineDict, key: str, at: Field, errors: list[ZoneError]
) -> tuple[Any, Field] | None:
    """The value of a required key and its field; None after reporting it missing."""
    where = at.child(mapping, key)
    if key not in mapping:
        errors.append(where.error("required"))
        return None
    return mapping[key], where


def _only_field(
    value: Any, key: str, at: Field, errors: list[ZoneError]
) -> tuple[Any, Field] | None:
    """The value of a policy mapping that holds exactly one required field (weight, region,
    type), and its field; None after reporting what is wrong."""
    mapping = read_mapping(value, at, errors)
    if mapping is None:
        return None
    check_keys(mapping, (key,), at, errors)
    return _required(mapping, key, at, errors)


def _weighted(
    value: Any, at: Field, account: AccountRefs, errors: list[ZoneError]
) -> WeightedRouting | None:
    found = _only_field(value, "weight", at, errors)
    weight = None if found is None else read_int(*found, errors, 0, MAX_WEIGHT)
    return None if weight is None else WeightedRouting(weight)


def _latency(
    value: Any, at: Field, account: AccountRefs, errors: list[ZoneError]
) -> LatencyRouting | None:
    found = _only_field(value, "region", at, errors)
    region = None if found is None else read_region(*found, errors)
    return None if region is None else LatencyRouting(region)


def _failover(
    value: Any, at: Field, account: AccountRefs, errors: list[ZoneError]
) -> FailoverRouting | None:
    found = _only_field(value, "type", at, errors)
    kind = None if found is None else read_choice(*found, errors, ("PRIMARY", "SECONDARY"))
    return None if kind is None else FailoverRouting(primary=kind == "PRIMARY")


def _geolocation(
    value: Any, at: Field, account: AccountRefs, errors: list[ZoneError]
) -> GeolocationRouting | None:
    """Exactly one of continent or country, a subdivision only with its country (§3.5)."""
    mapping = read_mapping(value, at, errors)
    if mapping is None:
        return None
    before = len(errors)
    check_keys(mapping, ("continent", "country", "subdivision"), at, errors)
    continent = country = subdivision = None
    if "continent" in mapping:
        continent = read_continent(mapping["continent"], at.child(mapping, "continent"), errors)
    if "country" in mapping:
        country = read_country(mapping["country"], at.child(mapping, "country"), errors)
    if "country" in mapping and "continent" in mapping:
        errors.append(
            at.error(
                f"give either {mapping.name_of('continent')} or {mapping.name_of('country')} "
                f"(with an optional {mapping.name_of('subdivision')}), not both"
            )
        )
    elif "country" not in mapping and "continent" not in mapping:
        errors.append(
            at.error(
                f"needs {mapping.name_of('continent')} or {mapping.name_of('country')} "
                f'({mapping.name_of("country")} "*" is the default location)'
            )
        )
    if "subdivision" in mapping:
        sub_at = at.child(mapping, "subdivision")
        if "country" not in mapping:
            errors.append(sub_at.error(f"needs a {mapping.name_of('country')} (e.g. US)"))
        elif country is not None:
            subdivision = read_subdivision(mapping["subdivision"], sub_at, country, errors)
    if len(errors) > before:
        return None
    return GeolocationRouting(continent=continent, country=country, subdivision=subdivision)


def _geoproximity(
    value: Any, at: Field, account: AccountRefs, errors: list[ZoneError]
) -> GeoproximityRouting | None:
    """Exactly one of aws_region, coordinates or local_zone_group, and a bias (§3.6)."""
    mapping = read_mapping(value, at, errors)
    if mapping is None:
        return None
    before = len(errors)
    places = ("aws_region", "coordinates", "local_zone_group")
    check_keys(mapping, (*places, "bias"), at, errors)
    given = [key for key in places if key in mapping]
    if len(given) != 1:
        shown = [mapping.name_of(key) for key in places]
        found = f"found {' and '.join(map(mapping.name_of, given))}" if given else "found none"
        errors.append(
            at.error(f"needs exactly one of {shown[0]}, {shown[1]} or {shown[2]}; {found}")
        )
    region = local_zone_group = None
    coordinates: Point | None = None
    if "aws_region" in mapping:
        region = read_region(mapping["aws_region"], at.child(mapping, "aws_region"), errors)
    if "coordinates" in mapping:
        coordinates = _coordinates(mapping["coordinates"], at.child(mapping, "coordinates"), errors)
    if "local_zone_group" in mapping:
        local_zone_group = _local_zone_group(
            mapping["local_zone_group"], at.child(mapping, "local_zone_group"), errors
        )
    bias = 0
    if "bias" in mapping:
        bias = (
            read_int(mapping["bias"], at.child(mapping, "bias"), errors, -MAX_BIAS, MAX_BIAS) or 0
        )
    if len(errors) > before:
        return None
    return GeoproximityRouting(
        region=region, local_zone_group=local_zone_group, coordinates=coordinates, bias=bias
    )


def _coordinates(value: Any, at: Field, errors: list[ZoneError]) -> Point | None:
    """Latitude and longitude as Route 53 takes them: text with at most two decimals."""
    mapping = read_mapping(value, at, errors)
    if mapping is None:
        return None
    check_keys(mapping, ("latitude", "longitude"), at, errors)
    latitude = longitude = None
    found = _required(mapping, "latitude", at, errors)
    if found is not None:
        latitude = _degrees(*found, errors, LATITUDE, 90)
    found = _required(mapping, "longitude", at, errors)
    if found is not None:
        longitude = _degrees(*found, errors, LONGITUDE, 180)
    if latitude is None or longitude is None:
        return None
    return (latitude, longitude)


def _degrees(
    value: Any, at: Field, errors: list[ZoneError], pattern: re.Pattern[str], limit: int
) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = source_text(value)
    text = read_str(value, at, errors)
    if text is None:
        return None
    if not pattern.fullmatch(text.strip()):
        errors.append(at.error(f"{quoted(text)} is not a number with at most 2 decimals"))
        return None
    degrees = float(text)
    if not -limit <= degrees <= limit:
        errors.append(at.error(f"{text.strip()} is not in -{limit}..{limit}"))
        return None
    return degrees


def _local_zone_group(value: Any, at: Field, errors: list[ZoneError]) -> str | None:
    text = read_str(value, at, errors)
    if text is None:
        return None
    group = text.strip().lower()
    for region in geography.region_points():
        if group.startswith(region + "-") and _LOCAL_ZONE_SUFFIX.fullmatch(
            group[len(region) + 1 :]
        ):
            return group
    errors.append(
        at.error(
            f"{quoted(text)} is not a Local Zone group (an AWS Region followed by the Local Zone's "
            "name without its last letter, e.g. us-east-1-bue-1)"
        )
    )
    return None


def _multivalue(
    value: Any, at: Field, account: AccountRefs, errors: list[ZoneError]
) -> MultivalueRouting:
    return MultivalueRouting()  # the flag itself was read by read_routing


def _cidr(
    value: Any, at: Field, account: AccountRefs, errors: list[ZoneError]
) -> CidrRouting | None:
    """A collection of the account and one of its location names, or `*` (§3.8).

    The location's blocks are copied into the attributes, so the policy needs only the group.
    """
    mapping = read_mapping(value, at, errors)
    if mapping is None:
        return None
    check_keys(mapping, ("collection_id", "location_name"), at, errors)
    collection = location = None
    found = _required(mapping, "collection_id", at, errors)
    if found is not None:
        collection = read_str(*found, errors)
        if collection is not None and collection not in account.cidr_locations:
            errors.append(
                found[1].error(
                    f"no CIDR collection {quoted(collection)} in any `cidr_collections:` section"
                )
            )
            collection = None
    found = _required(mapping, "location_name", at, errors)
    if found is not None:
        location = read_str(*found, errors)
        if location is not None and location != "*" and not LOCATION_NAME.fullmatch(location):
            errors.append(
                found[1].error(
                    f"{quoted(location)} is not a location name (1..16 of 0-9 A-Z a-z _ -, "
                    'or "*" for the default)'
                )
            )
            location = None
        elif location is not None and collection is not None:
            locations = account.cidr_locations[collection]
            if location != "*" and location not in locations:
                known = ", ".join(sorted(locations)) or "none"
                errors.append(
                    found[1].error(
                        f"collection {collection} has no location {quoted(location)} "
                        f"(its locations: "
                        f'{known}; "*" is the default)'
                    )
                )
                location = None
    if collection is None or location is None:
        return None
    blocks = () if location == "*" else account.cidr_locations[collection][location]
    return CidrRouting(collection_id=collection, location_name=location, blocks=blocks)


_Reader = Callable[[Any, Field, AccountRefs, list[ZoneError]], RoutingAttributes | None]
_READERS: dict[str, _Reader] = {
    "weighted_routing_policy": _weighted,
    "latency_routing_policy": _latency,
    "failover_routing_policy": _failover,
    "geolocation_routing_policy": _geolocation,
    "geoproximity_routing_policy": _geoproximity,
    "multivalue_answer_routing_policy": _multivalue,
    "cidr_routing_policy": _cidr,
}
