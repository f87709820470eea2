"""`zonebody.zone_json`, made in slices on the loop, gives `zoneview.zone_json`'s bytes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from r53emu.model.catalog import Zone
from r53emu.ops import zonebody, zoneview
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import REPO, write_zones


def sliced(zone: Zone) -> tuple[bytes, int]:
    """The body made with no time between turns (a turn after each name); the turns taken."""
    turns = 0

    async def next_turn() -> None:
        nonlocal turns
        turns += 1

    body = asyncio.run(zonebody.zone_json(zone, next_turn, slice_seconds=0.0))
    return body, turns


def test_the_bundled_zones_serialize_byte_for_byte_alike() -> None:
    catalog = load_catalog(REPO / "zones")
    assert catalog.zones
    for zone in catalog.zones.values():
        body, turns = sliced(zone)
        assert body == zoneview.zone_json(zone)
        assert turns == len(zone.nodes)


def test_values_that_need_escaping_and_an_empty_zone(tmp_path: Path) -> None:
    zones = write_zones(
        tmp_path / "zones",
        {
            "odd.yaml": """\
                zone: odd.test
                ttl: 60
                record_sets:
                  - {name: t, type: TXT, records: ["caf\u00e9, a \\"quoted\\" word; a\ttab"]}
                  - {name: "*.w", type: A, records: [192.0.2.1]}
                """,
            "empty.yaml": "zone: empty.test\n",
        },
    )
    catalog = load_catalog(zones)
    assert len(catalog.zones) == 2
    for zone in catalog.zones.values():
        assert sliced(zone)[0] == zoneview.zone_json(zone)
