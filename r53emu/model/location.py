"""Where a client is, as routing sees it: the value the locator produces for each query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from r53emu.model.catalog import Point

# Where an unlocated client is placed for latency and geoproximity: us-east-1's coordinates,
# where Route 53's TestDNSAnswer puts its default resolver (zone-format.md).
UNLOCATED_POINT: Point = (39.04, -77.49)


@dataclass(frozen=True, slots=True)
class ClientLocation:
    """The location of the address a query is routed for (ECS subnet, else source address).

    `country`/`subdivision`/`continent` drive geolocation; `point` drives latency (unless a
    `latency` table of milliseconds per Region is given) and geoproximity. `source` says which
    step of the locator decided (`client_locations 10.1.0.0/16`, `geoip-db`, `built-in`,
    `default-location`, `unlocated`), for the explanation.
    """

    country: str | None = None
    subdivision: str | None = None
    continent: str | None = None
    point: Point = UNLOCATED_POINT
    latency: Mapping[str, float] | None = None
    source: str = "unlocated"

    def describe(self) -> str:
        """`US-CA (client_locations 10.2.0.0/16)`, or `unlocated`."""
        place = "-".join(p for p in (self.country, self.subdivision) if p) or self.continent
        return f"{place} ({self.source})" if place else "unlocated"


UNLOCATED = ClientLocation()
