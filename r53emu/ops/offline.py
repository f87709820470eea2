"""`r53emu answer`: the answer Route 53 would give and why, computed offline from a zones directory.

It runs the same pieces as the server (loader, locator, health snapshot, lookup), without
sockets, and prints the explanation (`r53emu.answer.explain`) as text or JSON.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from r53emu.answer.contexts import make_context
from r53emu.answer.explain import explanation, parse_question, render_text
from r53emu.answer.lookup import lookup
from r53emu.geo.locator import Locator
from r53emu.health.snapshot import HealthSnapshot, initial_statuses
from r53emu.model.catalog import IPNetwork
from r53emu.model.query import IPAddress
from r53emu.zonefiles.errors import ZoneLoadError
from r53emu.zonefiles.loader import load_catalog
from r53emu.zonefiles.sourcefile import MAX_FILE_BYTES


def answer_offline(
    zones: Path,
    name: str,
    type_text: str,
    *,
    client: IPAddress | None = None,
    subnet: IPNetwork | None = None,
    seed: int | None = None,
    geoip_db: Path | None = None,
    default_location: str | None = None,
    as_json: bool = False,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> int:
    """Print the answer and why; 1 (with the reason on stderr) when the input is unusable."""
    try:
        qname, qtype = parse_question(name, type_text)
    except ValueError as exc:
        print(f"r53emu answer: {exc}", file=sys.stderr)
        return 1
    try:
        catalog = load_catalog(zones, max_file_bytes=max_file_bytes)
    except ZoneLoadError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return 1
    try:
        locator = Locator(catalog.client_locations, geoip_db, default_location)
    except ValueError as exc:
        print(f"r53emu answer: {exc}", file=sys.stderr)
        return 1
    with locator:
        context = make_context(qname, qtype, locator, client=client, subnet=subnet)
        health = HealthSnapshot(initial_statuses(catalog.health_checks))
        result = lookup(catalog, context, random.Random(seed), health)
    data = explanation(context, result)
    print(json.dumps(data, indent=2) if as_json else render_text(data))
    return 0
