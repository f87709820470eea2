"""Geolocation routing (semantics §3.5): the record of the smallest region containing the client.

Candidates are the records whose location contains the client, most specific first:
subdivision > country > continent (Route 53's continent of the client's country) > default `*`.
An unhealthy candidate falls back to the next wider one (state -> US -> NA -> default); when
every candidate is unhealthy the most specific answers anyway (fail-open). An unlocated client
matches only the default record; with no candidate at all the selection is empty, which the
lookup answers as NODATA.

A US client known only at country level matches the US record, else the NA continent record
(UNCONFIRMED §3.5, §9 item 12: Inferred, as recommended), else the default.
"""

from __future__ import annotations

from r53emu.answer.routing.base import RoutingContext, Selection, best_healthy
from r53emu.geo.geography import continent_of
from r53emu.model.catalog import GeolocationRouting, RecordGroup, RecordSet
from r53emu.model.location import ClientLocation

# Match levels, most specific first (the index is the rank), with how the explanation says it.
LEVELS = ("subdivision", "country", "continent", "default")
_MATCHES = {
    "subdivision": "matches the client's subdivision",
    "country": "matches the client's country",
    "continent": "matches the client's continent",
    "default": "is the default record",
}


def location_of(member: RecordSet) -> GeolocationRouting:
    routing = member.routing
    assert isinstance(routing, GeolocationRouting), "geolocation groups hold geolocation sets"
    return routing


def match_level(record: GeolocationRouting, client: ClientLocation) -> str | None:
    """How specifically `record`'s location contains the client, or None when it does not."""
    country = _upper(client.country)
    subdivision = _upper(client.subdivision)
    continent = _upper(client.continent) or (continent_of(country) if country else None)
    if record.is_default:
        return "default"
    if record.continent is not None:
        return "continent" if _upper(record.continent) == continent else None
    if country is None or _upper(record.country) != country:
        return None
    if record.subdivision is None:
        return "country"
    return "subdivision" if _upper(record.subdivision) == subdivision else None


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    client = context.location
    candidates: list[tuple[int, str, RecordSet]] = []
    for member in group.members:
        level = match_level(location_of(member), client)
        if level is not None:
            candidates.append((LEVELS.index(level), level, member))
    candidates.sort(key=lambda candidate: candidate[0])
    if not candidates:
        return Selection(
            chosen=(),
            reason=f"no record covers the client at {client.describe()} and there is no default",
            location_dependent=True,
        )
    index, fail_open = best_healthy([member for _, _, member in candidates], context)
    _, level, chosen = candidates[index]
    if fail_open:
        reason = (
            f"every matching record unhealthy: the most specific, {chosen.label} "
            f"({level}), answers (fail-open)"
        )
    else:
        skipped = [member.label for _, _, member in candidates[:index]]
        prefix = f"narrower {', '.join(skipped)} unhealthy; " if skipped else ""
        reason = f"{prefix}{chosen.label} {_MATCHES[level]} ({client.describe()})"
    return Selection(chosen=(chosen,), reason=reason, location_dependent=True)


def _upper(code: str | None) -> str | None:
    return None if code is None else code.upper()
