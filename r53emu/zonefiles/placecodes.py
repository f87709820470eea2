"""Codes of places as zone files write them: AWS Regions, continents, countries, subdivisions.

Readers shared by routing policies and `client_locations:`; each returns the code in Route 53's
spelling (Regions lower case, the others upper case) or None after appending an error. Valid
codes are those of `geography` (semantics §3.3, §3.5, §8).
"""

from __future__ import annotations

from typing import Any

from r53emu.geo import geography
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.fieldreaders import read_str
from r53emu.zonefiles.quoting import quoted


def read_region(value: Any, at: Field, errors: list[ZoneError]) -> str | None:
    """An AWS Region code Route 53 knows (semantics §3.3, coordinates of §8)."""
    text = read_str(value, at, errors)
    if text is None:
        return None
    region = text.strip().lower()
    if region not in geography.region_points():
        known = ", ".join(geography.region_points())
        errors.append(at.error(f"{quoted(text)} is not an AWS Region (one of: {known})"))
        return None
    return region


def read_continent(value: Any, at: Field, errors: list[ZoneError]) -> str | None:
    text = read_str(value, at, errors)
    if text is None:
        return None
    code = text.strip().upper()
    if code not in geography.CONTINENTS:
        shown = " ".join(sorted(geography.CONTINENTS))
        errors.append(at.error(f"{quoted(text)} is not a continent code ({shown})"))
        return None
    return code


def read_country(
    value: Any, at: Field, errors: list[ZoneError], default_allowed: bool = True
) -> str | None:
    """An ISO 3166-1 alpha-2 code Route 53 supports; `*` (the default location) when allowed."""
    text = read_str(value, at, errors)
    if text is None:
        return None
    code = text.strip().upper()
    if code == "*" and default_allowed:
        return code
    if code in geography.UNSUPPORTED_COUNTRIES:
        errors.append(
            at.error(f"Route 53 does not support country code {code} (it has no IP data for it)")
        )
        return None
    if code not in geography.continents():
        default = ', or "*" for the default location' if default_allowed else ""
        message = f"{quoted(text)} is not a country code (ISO 3166-1 alpha-2{default})"
        errors.append(at.error(message))
        return None
    return code


def read_subdivision(value: Any, at: Field, country: str, errors: list[ZoneError]) -> str | None:
    """A subdivision of `country` Route 53 supports: US states and DC, Ukrainian oblasts (§3.5)."""
    text = read_str(value, at, errors)
    if text is None:
        return None
    code = text.strip().upper()
    known = geography.SUBDIVISIONS.get(country)
    if known is None:
        with_subdivisions = " and ".join(sorted(geography.SUBDIVISIONS))
        errors.append(
            at.error(f"Route 53 has subdivisions only for {with_subdivisions}, not for {country}")
        )
        return None
    if code not in known:
        errors.append(at.error(f"{quoted(text)} is not a subdivision code of {country}"))
        return None
    return code
