"""The rules of a routed record group: all record sets of one name and type (semantics §3).

`mixing_error` decides whether a record set may join a group at all (one policy per group,
Route 53's wording of §1.6). `check_routed_group` then checks what the group's members must not
share: set identifiers, latency Regions, geolocation and geoproximity locations, failover roles,
CIDR locations (and one collection per group), and the per-name+type quotas of §1.5. Each error
names the record set that comes second, at the field that repeats.

Accepted as the spec recommends (§9, UNCONFIRMED): differing TTLs inside a weighted group
(point 21), a failover group with only one of PRIMARY/SECONDARY, and a failover alias without
evaluate_target_health (point 11).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from r53emu.model import names
from r53emu.model.catalog import (
    CidrRouting,
    FailoverRouting,
    GeolocationRouting,
    GeoproximityRouting,
    LatencyRouting,
    RecordSet,
)
from r53emu.model.dnsconstants import TYPE_NAMES
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.recordsets import Entry
from r53emu.zonefiles.routing_field_rules import KEY_OF_POLICY
from r53emu.zonefiles.sourcefile import LineDict

# Record sets per name and type (semantics §1.5); failover allows two by its own rule.
GROUP_LIMITS = {
    "weighted": 100,
    "latency": 100,
    "geolocation": 100,
    "multivalue": 100,
    "cidr": 100,
    "geoproximity": 30,
}

# How Route 53's "cannot be created as a non-weighted set exists" names each policy. Only the
# weighted wording is observed (§1.6); the others follow its shape (UNCONFIRMED).
_POLICY_WORDS = {
    "simple": "simple",
    "weighted": "weighted",
    "latency": "latency",
    "failover": "failover",
    "geolocation": "geolocation",
    "geoproximity": "geoproximity",
    "multivalue": "multivalue answer",
    "cidr": "IP-based",
}


def mixing_error(first: RecordSet, new: RecordSet) -> str | None:
    """Why `new` cannot join the group that `first` began, or None when it may (§1.6)."""
    if first.policy == new.policy != "simple":
        return None
    name, rtype = names.to_text(new.name), TYPE_NAMES[new.rtype]
    if first.policy == new.policy:  # both simple: the same record set twice
        message = (
            f"Tried to create resource record set [name='{name}', type='{rtype}'] but it "
            "already exists"
        )
    elif new.policy == "simple":
        message = (
            f"RRSet with DNS name {name}, type {rtype} cannot be created as other RRSets exist "
            "with the same name and type."
        )
    else:
        message = (
            f"RRSet with DNS name {name}, type {rtype}, SetIdentifier {new.set_identifier} "
            f"cannot be created as a non-{_POLICY_WORDS[new.policy]} set exists with the same "
            "name and type."
        )
    return f"{message} (at {first.source})"


def check_routed_group(members: Sequence[Entry], errors: list[ZoneError]) -> None:
    """Every rule among the members of one routed group (all of one policy, in file order)."""
    first = members[0].record_set
    policy = first.policy
    group = f"{names.to_text(first.name)} {TYPE_NAMES[first.rtype]}"
    _unique(
        members,
        lambda rs: rs.set_identifier,
        ("set_identifier",),
        lambda rs, other: (
            f"Tried to create resource record set [name='{names.to_text(rs.name)}', "
            f"type='{TYPE_NAMES[rs.rtype]}', set-identifier='{rs.set_identifier}'] but it "
            f"already exists (at {other.source})"
        ),
        errors,
    )
    rule = _LOCATION_RULES.get(policy)
    if rule is not None:
        location_of, fields, describe = rule
        policy_key = KEY_OF_POLICY[policy]
        _unique(
            members,
            location_of,
            (policy_key, *fields),
            lambda rs, other: (
                f"{describe(rs)} is already used in {group} by set_identifier "
                f"{other.set_identifier!r} (at {other.source})"
            ),
            errors,
        )
    if policy == "cidr":
        _check_one_collection(members, group, errors)
    limit = GROUP_LIMITS.get(policy)
    if limit is not None and len(members) > limit:
        errors.append(
            members[limit].at.error(
                f"{group} has {len(members)} {_POLICY_WORDS[policy]} record sets; Route 53 "
                f"allows at most {limit} per name and type"
            )
        )


def _unique(
    members: Sequence[Entry],
    key_of: Callable[[RecordSet], Hashable | None],
    fields: tuple[str, ...],
    message: Callable[[RecordSet, RecordSet], str],
    errors: list[ZoneError],
) -> None:
    """Report each member whose key an earlier member already has (None keys are skipped)."""
    seen: dict[Hashable, RecordSet] = {}
    for entry in members:
        key = key_of(entry.record_set)
        if key is None:
            continue
        other = seen.setdefault(key, entry.record_set)
        if other is not entry.record_set:
            errors.append(field_of(entry, *fields).error(message(entry.record_set, other)))


def _check_one_collection(members: Sequence[Entry], group: str, errors: list[ZoneError]) -> None:
    """All record sets of an IP-based group use one CIDR collection (§3.8)."""
    first = members[0].record_set
    assert isinstance(first.routing, CidrRouting)
    for entry in members[1:]:
        routing = entry.record_set.routing
        assert isinstance(routing, CidrRouting)
        if routing.collection_id != first.routing.collection_id:
            errors.append(
                field_of(entry, "cidr_routing_policy", "collection_id").error(
                    f"all record sets of {group} must use one CIDR collection; "
                    f"set_identifier {first.set_identifier!r} (at {first.source}) uses "
                    f"{first.routing.collection_id}"
                )
            )


def field_of(entry: Entry, *keys: str) -> Field:
    """The field at `keys` inside the record set of `entry` (its line, as the file wrote it).

    Found only when an error is reported: valid zones pay nothing for it.
    """
    at, node = entry.at, entry.raw
    for key in keys:
        at = at.child(node, key)
        node = node.get(key) if isinstance(node, LineDict) else None
    return at


def _latency_key(record_set: RecordSet) -> Hashable | None:
    routing = record_set.routing
    return routing.region if isinstance(routing, LatencyRouting) else None


def _latency_text(record_set: RecordSet) -> str:
    return f"Region {_latency_key(record_set)}"


def _geolocation_key(record_set: RecordSet) -> Hashable | None:
    routing = record_set.routing
    if not isinstance(routing, GeolocationRouting):
        return None
    return (routing.continent, routing.country, routing.subdivision)


def _geolocation_text(record_set: RecordSet) -> str:
    routing = record_set.routing
    assert isinstance(routing, GeolocationRouting)
    if routing.is_default:
        return 'the default location (country "*")'
    if routing.continent is not None:
        return f"continent {routing.continent}"
    if routing.subdivision is not None:
        return f"location {routing.country}-{routing.subdivision}"
    return f"country {routing.country}"


def _geoproximity_key(record_set: RecordSet) -> Hashable | None:
    routing = record_set.routing
    if not isinstance(routing, GeoproximityRouting):
        return None
    return (routing.region, routing.local_zone_group, routing.coordinates)


def _geoproximity_text(record_set: RecordSet) -> str:
    routing = record_set.routing
    assert isinstance(routing, GeoproximityRouting)
    if routing.region is not None:
        return f"Region {routing.region}"
    if routing.local_zone_group is not None:
        return f"Local Zone group {routing.local_zone_group}"
    assert routing.coordinates is not None
    return "coordinates {:g}, {:g}".format(*routing.coordinates)


def _failover_key(record_set: RecordSet) -> Hashable | None:
    routing = record_set.routing
    return routing.primary if isinstance(routing, FailoverRouting) else None


def _failover_text(record_set: RecordSet) -> str:
    # Exactly one PRIMARY and one SECONDARY per name and type (§3.4).
    return "PRIMARY" if _failover_key(record_set) else "SECONDARY"


def _cidr_key(record_set: RecordSet) -> Hashable | None:
    routing = record_set.routing
    return routing.location_name if isinstance(routing, CidrRouting) else None


def _cidr_text(record_set: RecordSet) -> str:
    location = _cidr_key(record_set)
    return 'the default location "*"' if location == "*" else f"location {location}"


# policy -> (what must be unique in a group, the field that holds it, how messages name it).
# Duplicate Regions and locations are forbidden by the API reference; Route 53's message for
# them is UNCONFIRMED (§9 point 20), so these say what is wrong in plain words.
_LOCATION_RULES: dict[
    str, tuple[Callable[[RecordSet], Hashable | None], tuple[str, ...], Callable[[RecordSet], str]]
] = {
    "latency": (_latency_key, ("region",), _latency_text),
    "geolocation": (_geolocation_key, (), _geolocation_text),
    "geoproximity": (_geoproximity_key, (), _geoproximity_text),
    "failover": (_failover_key, ("type",), _failover_text),
    "cidr": (_cidr_key, ("location_name",), _cidr_text),
}
