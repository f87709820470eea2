"""Route 53's geography: continents of countries, AWS Region coordinates, distances.

Data files in `r53emu/geo/data/` (loaded once, on first use): Route 53's own country -> continent
table, a representative point per country, and approximate Region coordinates (semantics §3.5,
§8). Distances are great-circle (haversine) kilometres, the stand-in semantics §3.3 and §3.6
recommend for AWS's unpublished latency and geoproximity measures.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from importlib import resources

Point = tuple[float, float]  # (latitude, longitude) in degrees

CONTINENTS = frozenset({"AF", "AN", "AS", "EU", "NA", "OC", "SA"})

# Subdivisions Route 53 accepts: US states and DC, and Ukrainian oblasts as seen in real
# ListGeoLocations output (semantics §3.5; UNCONFIRMED beyond that dump, accepted as it says).
SUBDIVISIONS: dict[str, frozenset[str]] = {
    "US": frozenset(
        "AK AL AR AZ CA CO CT DC DE FL GA HI IA ID IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND "
        "NE NH NJ NM NV NY OH OK OR PA RI SC SD TN TX UT VA VT WA WI WV WY".split()
    ),
    "UA": frozenset(
        "05 07 09 11 12 14 18 20 21 23 26 30 32 35 46 48 51 53 56 59 61 63 65 68 71 74 77".split()
    ),
}

# Countries Route 53 has no IP data for, absent from ListGeoLocations (semantics §3.5).
UNSUPPORTED_COUNTRIES = frozenset({"BV", "CX", "EH", "HM"})

EARTH_RADIUS_KM = 6371.0


def _rows(name: str) -> list[list[str]]:
    text = resources.files("r53emu.geo").joinpath("data", name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.reader(lines))[1:]


@cache
def continents() -> dict[str, str]:
    """Country code -> Route 53 continent code."""
    return {row[0]: row[1] for row in _rows("continents.csv")}


@cache
def country_points() -> dict[str, Point]:
    """Country code -> representative (latitude, longitude)."""
    return {row[0]: (float(row[1]), float(row[2])) for row in _rows("country_points.csv")}


@cache
def region_points() -> dict[str, Point]:
    """AWS Region code -> approximate (latitude, longitude) of its metro area."""
    return {row[0]: (float(row[1]), float(row[2])) for row in _rows("regions.csv")}


def continent_of(country: str) -> str | None:
    return continents().get(country.upper())


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance between two points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@cache
def local_zone_points() -> dict[str, Point]:
    """AWS Local Zone group -> approximate (latitude, longitude) of its city centre (§3.6).

    Groups not listed are left to the caller, which falls back to the parent Region's point.
    """
    return {row[0]: (float(row[1]), float(row[2])) for row in _rows("local_zones.csv")}
