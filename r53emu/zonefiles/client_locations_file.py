"""The `client_locations:` section of a zone file -> `ClientLocationRule`s (zone-format.md).

Each entry places the clients of one network: a country (+ subdivision) and continent for
geolocation, coordinates for latency and geoproximity, or an explicit latency table in ms per
Region. The continent is derived from the country with Route 53's own table when absent
(semantics §3.5). An entry with nothing but `cidr` marks its clients as unlocated, overriding
the IP databases for that range.
"""

from __future__ import annotations

from typing import Any

from r53emu.geo import geography
from r53emu.model.catalog import ClientLocationRule, Point, Source
from r53emu.zonefiles.cidr_file import read_network
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.fieldreaders import check_keys, read_list, read_mapping, read_number
from r53emu.zonefiles.placecodes import read_continent, read_country, read_region, read_subdivision
from r53emu.zonefiles.sourcefile import LineDict

CLIENT_LOCATION_KEYS = (
    "cidr",
    "country",
    "subdivision",
    "continent",
    "latitude",
    "longitude",
    "latency",
)


def parse_client_locations(
    value: Any, at: Field, errors: list[ZoneError]
) -> list[tuple[ClientLocationRule, Field]]:
    """The valid entries of one `client_locations:` list with their fields, errors appended."""
    entries = read_list(value, at, errors)
    if entries is None:
        return []
    result = []
    for index, raw in enumerate(entries):
        entry_at = at.child(entries, index)
        rule = _parse_entry(raw, entry_at, errors)
        if rule is not None:
            result.append((rule, entry_at))
    return result


def _parse_entry(raw: Any, at: Field, errors: list[ZoneError]) -> ClientLocationRule | None:
    mapping = read_mapping(raw, at, errors)
    if mapping is None:
        return None
    before = len(errors)
    check_keys(mapping, CLIENT_LOCATION_KEYS, at, errors)
    network = None
    if "cidr" not in mapping:
        errors.append(at.child(mapping, "cidr").error("required (the clients' network)"))
    else:
        network = read_network(mapping["cidr"], at.child(mapping, "cidr"), errors)
    country = subdivision = continent = None
    if "country" in mapping:
        country = read_country(
            mapping["country"], at.child(mapping, "country"), errors, default_allowed=False
        )
    if "subdivision" in mapping:
        sub_at = at.child(mapping, "subdivision")
        if "country" not in mapping:
            errors.append(sub_at.error("needs a country (e.g. US)"))
        elif country is not None:
            subdivision = read_subdivision(mapping["subdivision"], sub_at, country, errors)
    if "continent" in mapping:
        continent_at = at.child(mapping, "continent")
        continent = read_continent(mapping["continent"], continent_at, errors)
        derived = geography.continent_of(country) if country is not None else None
        if continent is not None and derived is not None and continent != derived:
            errors.append(
                continent_at.error(
                    f"Route 53 places {country} in {derived}, not {continent} (leave continent "
                    "out to derive it from the country)"
                )
            )
    elif country is not None:
        continent = geography.continent_of(country)
    coordinates = _coordinates(mapping, at, errors)
    latency = _latency(mapping, at, errors)
    if len(errors) > before or network is None:
        return None
    return ClientLocationRule(
        network=network,
        source=Source(at.file, at.line),
        country=country,
        subdivision=subdivision,
        continent=continent,
        coordinates=coordinates,
        latency=latency,
    )


def _coordinates(mapping: LineDict, at: Field, errors: list[ZoneError]) -> Point | None:
    """latitude and longitude, both or neither, as numbers or text."""
    given = [key for key in ("latitude", "longitude") if key in mapping]
    if not given:
        return None
    if len(given) == 1:
        missing = "longitude" if given[0] == "latitude" else "latitude"
        errors.append(at.child(mapping, missing).error(f"required with {given[0]}"))
        return None
    latitude = read_number(mapping["latitude"], at.child(mapping, "latitude"), errors, -90, 90)
    longitude = read_number(mapping["longitude"], at.child(mapping, "longitude"), errors, -180, 180)
    if latitude is None or longitude is None:
        return None
    return (latitude, longitude)


def _latency(mapping: LineDict, at: Field, errors: list[ZoneError]) -> dict[str, float] | None:
    """An explicit latency table: AWS Region -> milliseconds (>= 0)."""
    if "latency" not in mapping:
        return None
    table_at = at.child(mapping, "latency")
    table = read_mapping(mapping["latency"], table_at, errors)
    if table is None:
        return None
    if not table:
        errors.append(table_at.error("needs at least one Region"))
    result: dict[str, float] = {}
    for key, value in table.items():
        region_at = table_at.child(table, key)
        region = read_region(key, region_at, errors)
        milliseconds = read_number(value, region_at, errors, 0)
        if region is not None and milliseconds is not None:
            if region in result:
                errors.append(region_at.error(f"{region} is given twice"))
            result[region] = milliseconds
    return result
