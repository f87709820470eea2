"""`GET /zones/{zone}`'s body made on the event loop, a slice at a time, between DNS answers.

It was made in a worker thread (`zoneview.zone_json`), and a thread doing Python work is no
better for the loop than doing it on the loop: each time the loop's thread gives up the GIL (each
socket call does: a UDP answer makes two) it waits up to the interpreter's switch interval to get
it back, and the one `json.dumps` of the whole zone is C code that holds the GIL throughout. The
first `GET /zones/bench.test.` of 10,000 record sets stalled UDP answers for 380-390 ms (10 ms
at most made here).

`zone_json` makes the same bytes from one `json.dumps` per record set, on the loop, and waits for
its turn (`next_turn`: `LoopShare.admit`) each time it has worked `SLICE` seconds; the cyclic
collector is paused meanwhile, as for loading (`zonefiles.gcpause`): the objects made set off
collections that scanned the whole heap in one go (43 ms at 10,000 record sets).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from time import perf_counter

from r53emu.model.catalog import Zone
from r53emu.ops.zoneview import record_set_data, zone_summary
from r53emu.zonefiles.gcpause import collector_paused

SLICE = 0.0005  # seconds of rendering between two turns
_PLACEHOLDER = "\0record sets\0"  # no zone field holds a NUL: it stands for the list once


async def zone_json(
    zone: Zone, next_turn: Callable[[], Awaitable[None]], slice_seconds: float = SLICE
) -> bytes:
    """`zoneview.zone_json(zone)`, byte for byte (`zoneview.zone_detail`'s order: names by
    their labels from the root, types in order, then each set's members), made in slices.
    Zones are immutable values, so the zone cannot change between two slices."""
    detail = {
        **zone_summary(zone),
        "nameservers": list(zone.nameservers),
        "record_sets": _PLACEHOLDER,  # keeps the key's place in the object
    }
    head, tail = json.dumps(detail).split(json.dumps(_PLACEHOLDER))
    items: list[str] = []
    with collector_paused():  # what is made here has no cycles (and is not kept but `items`)
        deadline = perf_counter() + slice_seconds
        for name in sorted(zone.nodes, key=lambda n: n[::-1]):
            for _rtype, group in sorted(zone.nodes[name].items()):
                items.extend(json.dumps(record_set_data(member)) for member in group.members)
            if perf_counter() >= deadline:
                await next_turn()
                deadline = perf_counter() + slice_seconds
    return f"{head}[{', '.join(items)}]{tail}".encode()
