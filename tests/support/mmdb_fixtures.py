"""Small MaxMind-format (.mmdb) databases for tests, written with mmdb-writer.

`write_mmdb(path, {"203.0.113.0/24": city_record("US", "CA", 37.77, -122.42)})` writes a
GeoLite2-City-like file; IPv6 databases (the default) also hold IPv4 networks where MaxMind's
readers look for them. Records follow the GeoLite2 / DB-IP lite layout the locator reads.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet  # type: ignore[import-untyped]


def country_record(country: str, continent: str | None = None) -> dict[str, Any]:
    """A GeoLite2-Country record: the country and, if given, MaxMind's continent for it."""
    record: dict[str, Any] = {"country": {"iso_code": country}}
    if continent is not None:
        record["continent"] = {"code": continent}
    return record


def city_record(
    country: str,
    subdivision: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> dict[str, Any]:
    """A GeoLite2-City record: country, optional first subdivision and location."""
    record = country_record(country)
    if subdivision is not None:
        record["subdivisions"] = [{"iso_code": subdivision, "names": {"en": subdivision}}]
    if latitude is not None and longitude is not None:
        record["location"] = {"latitude": latitude, "longitude": longitude, "accuracy_radius": 50}
    return record


def write_mmdb(
    path: Path,
    networks: Mapping[str, Mapping[str, Any]],
    *,
    ip_version: int = 6,
    database_type: str = "GeoLite2-City",
) -> Path:
    """Write `networks` (CIDR -> record) to `path` as a MaxMind DB and return the path."""
    has_ipv4 = any(ipaddress.ip_network(cidr).version == 4 for cidr in networks)
    writer = MMDBWriter(
        ip_version=ip_version,
        database_type=database_type,
        ipv4_compatible=ip_version == 6 and has_ipv4,
    )
    for cidr, record in networks.items():
        writer.insert_network(IPSet([cidr]), dict(record))
    writer.to_db_file(str(path))
    return path
