"""A new catalog drops from the reply cache only what it may answer otherwise (r53emu.server.
replycache): a changed zone's questions, and where a zone comes or goes, its ancestors' and the
names of no zone; the other zones' questions stay cached (the Route 53 API replaces one zone at a
time, and changes must not cost every other zone's answers)."""

from __future__ import annotations

import random
from pathlib import Path

import dns.message
import pytest

from r53emu.geo.locator import Locator
from r53emu.model import names
from r53emu.model.catalog import Catalog
from r53emu.server.handler import QueryHandler
from r53emu.zonefiles.loader import load_catalog


def load(directory: Path, zones: dict[str, str], address: str = "192.0.2.1") -> Catalog:
    directory.mkdir()
    for zone, owner in zones.items():
        (directory / f"{zone}.yaml").write_text(
            f"zone: {zone}\nrecord_sets:\n"
            f"  - {{name: {owner}, type: A, ttl: 60, records: [{address}]}}\n"
        )
    return load_catalog(directory)


@pytest.fixture
def catalogs(tmp_path: Path) -> tuple[Catalog, Catalog]:
    """The zones one.test and two.test, and a second load of them whose one.test answers
    another address."""
    first = load(tmp_path / "a", {"one.test": "www", "two.test": "www"})
    second = load(tmp_path / "b", {"one.test": "www"}, "192.0.2.2")
    return first, second


def asked(answering: QueryHandler, name: str) -> tuple[int, list[str]]:
    query = dns.message.make_query(name, "A")
    wire = answering.handle(query.to_wire(), "127.0.0.1", "udp")
    assert wire is not None
    reply = dns.message.from_wire(wire)
    return reply.rcode(), [item.to_text() for rrset in reply.answer for item in rrset]


def cached(answering: QueryHandler) -> list[str]:
    """The zone that answered each cached question ("-": none), sorted."""
    assert answering.replies is not None
    zones = answering.replies._zone_of.values()
    return sorted("-" if zone is None else names.to_text(zone) for zone in zones)


def handler(catalog: Catalog) -> QueryHandler:
    built = QueryHandler(catalog, random.Random(1))
    built.locator = Locator(())
    return built


def test_replacing_one_zone_keeps_the_others_cached(catalogs: tuple[Catalog, Catalog]) -> None:
    first, second = catalogs
    answering = handler(first)
    for name in ("www.one.test.", "www.two.test.", "nothing.elsewhere."):
        asked(answering, name)
    assert cached(answering) == ["-", "one.test.", "two.test."]
    one, two = names.parse("one.test"), names.parse("two.test")
    answering.catalog = Catalog(zones={one: second.zones[one], two: first.zones[two]})
    assert asked(answering, "www.two.test.") == (0, ["192.0.2.1"])  # from the cache
    assert cached(answering) == ["-", "two.test."]
    assert asked(answering, "www.one.test.") == (0, ["192.0.2.2"])  # the new zone's answer


def test_a_zone_added_below_another_drops_its_ancestors_and_the_refused(tmp_path: Path) -> None:
    both = load(tmp_path / "a", {"one.test": "www", "two.test": "www"})
    nested = load(tmp_path / "b", {"sub.one.test": "www", "three.test": "www"}, "192.0.2.3")
    answering = handler(both)
    for name in ("www.sub.one.test.", "www.two.test.", "www.three.test."):
        asked(answering, name)
    assert asked(answering, "www.three.test.")[0] == 5  # REFUSED: no zone yet
    assert cached(answering) == ["-", "one.test.", "two.test."]  # sub.one: NXDOMAIN in one
    zones = dict(both.zones)
    zones.update(nested.zones)
    answering.catalog = Catalog(zones=zones)
    assert asked(answering, "www.two.test.") == (0, ["192.0.2.1"])  # the cache catches up
    assert cached(answering) == ["two.test."]
    assert asked(answering, "www.sub.one.test.") == (0, ["192.0.2.3"])
    assert asked(answering, "www.three.test.") == (0, ["192.0.2.3"])
    zones = {apex: zone for apex, zone in zones.items() if apex != names.parse("sub.one.test")}
    answering.catalog = Catalog(zones=zones)  # the nested zone goes: one.test answers again
    assert asked(answering, "www.sub.one.test.")[0] == 3  # NXDOMAIN in one.test


def test_a_reload_of_every_zone_empties_the_cache(tmp_path: Path) -> None:
    first = load(tmp_path / "a", {"one.test": "www", "two.test": "www"})
    answering = handler(first)
    asked(answering, "www.one.test.")
    answering.catalog = Catalog(zones=dict(first.zones))  # the same zone objects: all stay
    asked(answering, "www.two.test.")
    assert cached(answering) == ["one.test.", "two.test."]
    answering.catalog = load(tmp_path / "b", {"one.test": "www", "two.test": "www"})
    asked(answering, "www.one.test.")
    assert cached(answering) == ["one.test."]
