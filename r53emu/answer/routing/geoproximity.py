"""Geoproximity routing (semantics §3.6): the closest record after bias.

A record's point is its AWS Region's coordinates (§8), its Local Zone group's city centre (an
unknown group falls back to its parent Region, read from the group's prefix), or its own
coordinates. Distance is great-circle (UNCONFIRMED §3.6, §9 item 15: haversine and the §8
table, as recommended), scaled by the documented bias formula. The closest healthy record
answers; when none is healthy, the closest does (fail-open, Inferred in §3.6). Ties keep file
order.
"""

from __future__ import annotations

import math

from r53emu.answer.routing.base import RoutingContext, Selection, best_healthy
from r53emu.geo.geography import distance_km, local_zone_points, region_points
from r53emu.model.catalog import GeoproximityRouting, Point, RecordGroup, RecordSet


def attributes_of(member: RecordSet) -> GeoproximityRouting:
    routing = member.routing
    assert isinstance(routing, GeoproximityRouting), "geoproximity groups hold geoproximity sets"
    return routing


def biased_distance(distance: float, bias: int) -> float:
    """The documented bias formula (§3.6): a positive bias shrinks the distance by bias percent,
    a negative one divides it by (1 + bias/100), which is below 1."""
    if bias > 0:
        return distance * (1 - bias / 100)
    if bias < 0:
        return distance / (1 + bias / 100)
    return distance


def parent_region(local_zone_group: str) -> str | None:
    """The Region a Local Zone group belongs to: its longest prefix that is a Region code
    (`us-east-1-bos-1` -> `us-east-1`)."""
    parts = local_zone_group.split("-")
    regions = region_points()
    for end in range(len(parts) - 1, 0, -1):
        prefix = "-".join(parts[:end])
        if prefix in regions:
            return prefix
    return None


def point_of(routing: GeoproximityRouting) -> Point | None:
    """Where a record's resource is, or None when nothing places it (ranked last)."""
    if routing.coordinates is not None:
        return routing.coordinates
    if routing.region is not None:
        return region_points().get(routing.region)
    if routing.local_zone_group is not None:
        point = local_zone_points().get(routing.local_zone_group)
        if point is not None:
            return point
        region = parent_region(routing.local_zone_group)
        return None if region is None else region_points()[region]
    return None


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    client = context.location.point
    measured: list[tuple[float, float, RecordSet]] = []
    for member in group.members:
        routing = attributes_of(member)
        point = point_of(routing)
        actual = math.inf if point is None else distance_km(client, point)
        measured.append((biased_distance(actual, routing.bias), actual, member))
    measured.sort(key=lambda entry: entry[0])
    index, fail_open = best_healthy([member for _, _, member in measured], context)
    biased, actual, chosen = measured[index]
    if fail_open:
        reason = (
            f"no record healthy: the closest, {chosen.label}, "
            f"{_distance(biased, actual, chosen)} (fail-open)"
        )
    else:
        skipped = [member.label for _, _, member in measured[:index]]
        prefix = f"closer {', '.join(skipped)} unhealthy; " if skipped else ""
        reason = f"{prefix}{chosen.label} is closest: {_distance(biased, actual, chosen)}"
    return Selection(chosen=(chosen,), reason=reason, location_dependent=True)


def _distance(biased: float, actual: float, member: RecordSet) -> str:
    bias = attributes_of(member).bias
    if bias == 0:
        return f"{actual:,.0f} km"
    return f"{biased:,.0f} km biased ({actual:,.0f} km, bias {bias:+d})"
