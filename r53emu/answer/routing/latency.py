"""Latency routing (semantics §3.3): the record set whose Region is closest in latency.

AWS's latency measurements are internal, so the latency of a Region is the client location's
explicit `latency` table (milliseconds) when it names that Region, else an estimate from the
great-circle distance between the client's point and the Region's coordinates (§8), the stand-in
§3.3 recommends: a round trip through fibre at about 200 km per ms, i.e. km / 100 ms. Both are
milliseconds, so a table that names only some Regions still compares sensibly with the rest.

A record in cn-north-1 always answers clients located in China (§3.3), so for them it ranks
first. Health (§3.0): the best healthy Region answers; when none is healthy, the best one does
(fail-open). Ties keep file order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from r53emu.answer.routing.base import RoutingContext, Selection, best_healthy
from r53emu.geo.geography import distance_km, region_points
from r53emu.model.catalog import LatencyRouting, RecordGroup, RecordSet
from r53emu.model.location import ClientLocation

CHINA_REGION = "cn-north-1"
KM_PER_MS_ROUND_TRIP = 100.0  # light in fibre covers ~200 km per ms each way


@dataclass(frozen=True, slots=True)
class Estimate:
    """A Region's latency for one client: the value compared and how it was obtained."""

    value: float  # milliseconds
    basis: str  # "ms" (the location's latency table), "km" (estimated from distance) or "china"
    km: float = 0.0

    def __str__(self) -> str:
        if self.basis == "china":
            return "cn-north-1 answers clients in China"
        if self.basis == "ms":
            return f"{self.value:,.0f} ms per the latency table"
        return f"about {self.value:,.0f} ms, {self.km:,.0f} km away"


def region_of(member: RecordSet) -> str:
    routing = member.routing
    assert isinstance(routing, LatencyRouting), "latency groups hold latency record sets"
    return routing.region


def estimate(region: str, location: ClientLocation) -> Estimate:
    """The latency of `region` for a client at `location` (lower is better)."""
    if region == CHINA_REGION and (location.country or "").upper() == "CN":
        return Estimate(-math.inf, "china")
    if location.latency is not None and region in location.latency:
        return Estimate(location.latency[region], "ms")
    point = region_points().get(region)
    if point is None:  # the loader rejects unknown Regions; rank one last rather than fail
        return Estimate(math.inf, "km", math.inf)
    km = distance_km(location.point, point)
    return Estimate(km / KM_PER_MS_ROUND_TRIP, "km", km)


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    ranked = sorted(
        ((estimate(region_of(member), context.location), member) for member in group.members),
        key=lambda pair: pair[0].value,
    )
    index, fail_open = best_healthy([member for _, member in ranked], context)
    latency, chosen = ranked[index]
    if fail_open:
        reason = f"no record healthy: lowest latency {region_of(chosen)}, {latency} (fail-open)"
    else:
        skipped = [region_of(member) for _, member in ranked[:index]]
        prefix = f"lower-latency {', '.join(skipped)} unhealthy; " if skipped else ""
        reason = f"{prefix}{region_of(chosen)} has the lowest latency: {latency}"
    return Selection(chosen=(chosen,), reason=reason, location_dependent=True)
