"""Benchmark: microseconds a query costs r53emu's handler, in process (no sockets, no load tool).

    .venv/bin/python benchmarks/inprocess.py [--record-sets 1000] [--seconds 2] [--json FILE]

Generates the benchmark zones (benchmarks/zonegen.py), builds the handler the server uses
(locator, health snapshot, reply cache), answers every question once so that the fast path has
its replies, then answers each family's questions in a loop for `--seconds` and prints the mean
cost of one query. Beside them, in the same run, the baseline: the cost of a call that only
copies the packet's ID into a precomputed reply, the least an answer can cost in Python.
Pin it to a core for steadier figures: `taskset -c 1 .venv/bin/python benchmarks/inprocess.py`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import dns.edns
import dns.message

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import zonegen
from r53emu.geo.locator import Locator
from r53emu.health.snapshot import HealthSnapshot, initial_statuses
from r53emu.server.handler import QueryHandler
from r53emu.zonefiles.loader import load_catalog

FRANKFURT = str(zonegen.FRANKFURT_SUBNET)
SAN_FRANCISCO = str(zonegen.SAN_FRANCISCO_SUBNET)
FAMILIES = (  # label, zonegen family, ECS subnet
    ("static A", "simple", None),
    ("NXDOMAIN", "nxdomain", None),
    ("weighted", "weighted", None),
    ("multivalue", "multivalue", None),
    ("failover", "failover", None),
    ("geolocation + ECS", "geolocation", FRANKFURT),
    ("latency + ECS", "latency", FRANKFURT),
    ("geoproximity + ECS", "geoproximity", SAN_FRANCISCO),
    ("IP-based + ECS", "cidr", SAN_FRANCISCO),
)


def queries(names: Sequence[str], subnet: str | None) -> list[bytes]:
    """One A query per name, with an ECS option when `subnet` is given."""
    options = [dns.edns.ECSOption.from_text(subnet)] if subnet else []
    return [
        dns.message.make_query(
            name, "A", use_edns=0 if subnet else False, options=options
        ).to_wire()
        for name in names
    ]


def microseconds(
    answer: Callable[[bytes], object], batch: Sequence[bytes], seconds: float
) -> float:
    """Mean cost of `answer` over `batch`, repeated for about `seconds`."""
    rounds, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        for packet in batch:
            answer(packet)
        rounds += 1
    return (time.perf_counter() - began) / (rounds * len(batch)) * 1e6


def measure(record_sets: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        plan = zonegen.write_zones(Path(tmp), record_sets)
        catalog = load_catalog(Path(tmp))
    handler = QueryHandler(catalog, rng=random.Random(1))
    handler.locator = Locator(catalog.client_locations)
    handler.health = HealthSnapshot(initial_statuses(catalog.health_checks))

    def answer(packet: bytes) -> object:
        return handler.handle(packet, "127.0.0.1", "udp")

    figures: dict[str, float] = {}
    reply = bytes(512)
    batch = queries(plan.owner_names("simple"), None)
    figures["baseline (ID into a kept reply)"] = microseconds(
        lambda packet: packet[:2] + reply[2:], batch, seconds
    )
    for label, family, subnet in FAMILIES:
        batch = queries(plan.owner_names(family), subnet)
        for packet in batch:  # the first answers fill the reply cache
            answer(packet)
        figures[label] = microseconds(answer, batch, seconds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--record-sets", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=2.0, help="per family (default: 2)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures = measure(args.record_sets, args.seconds)
    for label, cost in figures.items():
        print(f"{label:<34} {cost:7.2f} us a query")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
