"""Hosted zones as JSON-ready data, for the admin API (`GET /zones`, `GET /zones/{zone}`).

Record sets are shown as loaded: defaults filled in (apex NS and SOA, TTLs), values in the
presentation form Route 53's API prints, aliases, routing attributes, health check ids, and the
file and line each came from.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections import OrderedDict
from typing import Any

from r53emu.model import names
from r53emu.model.catalog import RecordSet, Zone
from r53emu.model.dnsconstants import type_name


def zone_summary(zone: Zone) -> dict[str, Any]:
    return {
        "name": names.to_text(zone.name),
        "id": zone.zone_id,
        "record_sets": zone.record_set_count,
        "source": zone.source.file,
    }


KEPT_ZONES = 8  # rendered `GET /zones/{zone}` bodies kept


class RenderedZones:
    """The JSON bodies of `GET /zones/{zone}` for the last `keep` zones asked about, each kept
    with the `Zone` it shows: zones are immutable values (a reload makes new ones), so a body
    is good as long as its zone is the one served. A 1,000-record-set zone's body took 67 ms to
    make on the loop that answers DNS; clients asking it in a loop stalled every query."""

    def __init__(self, keep: int = KEPT_ZONES) -> None:
        self.keep = keep
        self._bodies: OrderedDict[str, tuple[Zone, bytes]] = OrderedDict()

    def get(self, zone: Zone) -> bytes | None:
        kept = self._bodies.get(zone.zone_id)
        if kept is None or kept[0] is not zone:
            return None
        self._bodies.move_to_end(zone.zone_id)
        return kept[1]

    def put(self, zone: Zone, body: bytes) -> None:
        self._bodies[zone.zone_id] = (zone, body)
        self._bodies.move_to_end(zone.zone_id)
        while len(self._bodies) > self.keep:
            self._bodies.popitem(last=False)


def zone_json(zone: Zone) -> bytes:
    """`zone_detail` as the response body (the JSON aiohttp's `json_response` writes)."""
    return json.dumps(zone_detail(zone)).encode("utf-8")


def zone_detail(zone: Zone) -> dict[str, Any]:
    """The zone and every record set, ordered as `list-resource-record-sets` orders them."""
    record_sets = [
        record_set_data(member)
        for name in sorted(zone.nodes, key=lambda n: n[::-1])
        for _rtype, group in sorted(zone.nodes[name].items())
        for member in group.members
    ]
    return {
        **zone_summary(zone),
        "nameservers": list(zone.nameservers),
        "record_sets": record_sets,
    }


def record_set_data(record_set: RecordSet) -> dict[str, Any]:
    alias = record_set.alias
    return {
        "name": names.to_text(record_set.name),
        "type": type_name(record_set.rtype),
        "ttl": record_set.ttl,
        "records": [value.text for value in record_set.records],
        "alias": None
        if alias is None
        else {
            "name": names.to_text(alias.name),
            "evaluate_target_health": alias.evaluate_target_health,
            "zone_id": alias.zone_id,
        },
        "set_identifier": record_set.set_identifier,
        "policy": record_set.policy,
        "routing": None if record_set.routing is None else _plain(record_set.routing),
        "health_check_id": record_set.health_check_id,
        "source": str(record_set.source),
    }


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and networks as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return str(value)
    return value
