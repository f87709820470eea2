"""Answers of several decisions drawn at random, from the reply cache (r53emu.server.drawnpaths):
alias chains and trees, ANY of several weighted record sets, and trees under a location policy
are kept by path and redrawn with the weights and health the lookup uses."""

from __future__ import annotations

import functools
import random
from collections import Counter
from pathlib import Path

import dns.edns
import dns.message
import pytest

from r53emu.geo.locator import Locator
from r53emu.health.snapshot import HealthSnapshot
from r53emu.model.catalog import Catalog
from r53emu.server.drawnpaths import DrawnPaths
from r53emu.server.handler import QueryHandler
from r53emu.server.replycache import _PerClient
from r53emu.server.wire import ParsedQuery, parse_query
from r53emu.zonefiles.loader import load_catalog

ZONE = """\
zone: paths.test
record_sets:
  # a tree: 3:1 between two weighted groups, each 1:1 between plain record sets
  - {name: tree, type: A, set_identifier: left, weighted_routing_policy: {weight: 3},
     alias: {name: left.paths.test., evaluate_target_health: true}}
  - {name: tree, type: A, set_identifier: right, weighted_routing_policy: {weight: 1},
     alias: {name: right.paths.test., evaluate_target_health: true}}
  - {name: left, type: A, ttl: 60, records: [192.0.2.1], set_identifier: l1,
     weighted_routing_policy: {weight: 1}, health_check_id: gate}
  - {name: left, type: A, ttl: 60, records: [192.0.2.2], set_identifier: l2,
     weighted_routing_policy: {weight: 1}}
  - {name: right, type: A, ttl: 60, records: [192.0.2.3], set_identifier: r1,
     weighted_routing_policy: {weight: 1}}
  - {name: right, type: A, ttl: 60, records: [192.0.2.4], set_identifier: r2,
     weighted_routing_policy: {weight: 1}}
  # a chain of weighted aliases, both members of each level to the next one
  - {name: chain, type: A, set_identifier: a, weighted_routing_policy: {weight: 1},
     alias: {name: c1.paths.test.}}
  - {name: chain, type: A, set_identifier: b, weighted_routing_policy: {weight: 1},
     alias: {name: c1.paths.test.}}
  - {name: c1, type: A, set_identifier: a, weighted_routing_policy: {weight: 1},
     alias: {name: c2.paths.test.}}
  - {name: c1, type: A, set_identifier: b, weighted_routing_policy: {weight: 1},
     alias: {name: c2.paths.test.}}
  - {name: c2, type: A, ttl: 60, records: [192.0.2.9]}
  # ANY: two weighted record sets of two values each (the lookup shuffles them between draws)
  - {name: both, type: A, ttl: 60, records: [192.0.2.11, 192.0.2.12], set_identifier: heavy,
     weighted_routing_policy: {weight: 3}}
  - {name: both, type: A, ttl: 60, records: [192.0.2.13, 192.0.2.14], set_identifier: light,
     weighted_routing_policy: {weight: 1}}
  - {name: both, type: TXT, ttl: 60, records: ['"x1"', '"x2"'], set_identifier: x,
     weighted_routing_policy: {weight: 1}}
  - {name: both, type: TXT, ttl: 60, records: ['"y1"', '"y2"'], set_identifier: y,
     weighted_routing_policy: {weight: 1}}
  # geolocation into weighted groups: one tree per place
  - {name: geo, type: A, set_identifier: de, geolocation_routing_policy: {country: DE},
     alias: {name: left.paths.test.}}
  - {name: geo, type: A, set_identifier: any, geolocation_routing_policy: {country: '*'},
     alias: {name: right.paths.test.}}
"""
ACCOUNT = """\
health_checks:
  gate: {type: RECOVERY_CONTROL, routing_control_state: "On"}
client_locations:
  - {cidr: 10.1.0.0/16, country: DE}
"""


def handler(zones: Catalog, seed: int = 3) -> QueryHandler:
    built = QueryHandler(zones, random.Random(seed))
    built.locator = Locator(zones.client_locations)
    built.health = HealthSnapshot({"gate": True})
    return built


@functools.cache
def query_wire(name: str, rtype: str, subnet: str | None) -> bytes:
    options = []
    if subnet is not None:
        address, prefix = subnet.split("/")
        options.append(dns.edns.ECSOption(address, int(prefix)))
    return dns.message.make_query(
        f"{name}.paths.test.", rtype, use_edns=0, options=options
    ).to_wire()


def ask(answering: QueryHandler, name: str, rtype: str = "A", subnet: str | None = None) -> str:
    """The answer's A values and TXT strings (of this zone's), sorted, as one string; read from
    the reply's bytes (dnspython's parser would be most of these tests' time)."""
    wire = answering.handle(query_wire(name, rtype, subnet), "127.0.0.1", "udp")
    assert wire is not None
    assert wire[3] & 0xF == 0  # NOERROR
    return " ".join(value for value, data in VALUES if data in wire)


VALUES = [
    *(
        (f"192.0.2.{n}", b"\x00\x04\xc0\x00\x02" + bytes((n,)))
        for n in (1, 2, 3, 4, 9, 11, 12, 13, 14)
    ),
    *((f'"{text}"', b"\x03\x02" + text.encode()) for text in ("x1", "x2", "y1", "y2")),
]


def entry(answering: QueryHandler, name: str) -> object:
    assert answering.replies is not None
    (found,) = [
        value
        for key, value in answering.replies._entries.items()
        if key.startswith(bytes((len(name),)) + name.encode())
    ]
    return found


def test_a_tree_is_drawn_from_the_cache_with_its_weights() -> None:
    """3:1 between the branches, 1:1 within each: 3/8, 3/8, 1/8, 1/8, from the cache once
    every leaf has been seen (then nothing is saved and restored)."""
    zones_ = _zones()
    answering = handler(zones_)
    counts = Counter(ask(answering, "tree") for _ in range(8000))
    assert set(counts) == {"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"}
    for value, share in (("192.0.2.1", 3 / 8), ("192.0.2.2", 3 / 8), ("192.0.2.3", 1 / 8)):
        assert counts[value] / 8000 == pytest.approx(share, abs=0.025)
    paths = entry(answering, "tree")
    assert isinstance(paths, DrawnPaths)
    assert paths.complete
    assert len(paths.replies) == 4
    assert answering.replies is not None
    assert len(answering.replies) == 4


def test_a_health_change_below_an_alias_reaches_the_cached_tree() -> None:
    """`left`'s l1 goes unhealthy: the cached tree is dropped and left answers only l2."""
    zones_ = _zones()
    answering = handler(zones_)
    for _ in range(200):
        ask(answering, "tree")
    answering.health = HealthSnapshot({"gate": False})
    counts = Counter(ask(answering, "tree") for _ in range(4000))
    assert "192.0.2.1" not in counts
    assert counts["192.0.2.2"] / 4000 == pytest.approx(3 / 4, abs=0.03)


def test_a_chain_of_weighted_aliases_is_one_reply_drawn_without_drawing() -> None:
    """Every path down the chain ends on c2: one reply, answered without a draw."""
    zones_ = _zones()
    answering = handler(zones_)
    assert ask(answering, "chain") == "192.0.2.9"
    paths = entry(answering, "chain")
    assert isinstance(paths, DrawnPaths)
    assert paths.complete
    assert len(paths.replies) == 1
    state = answering.rng.getstate()
    assert answering.replies is not None
    before = len(answering.replies)
    assert ask(answering, "chain") == "192.0.2.9"
    assert len(answering.replies) == before
    # No draw: only the value order of the one-value set (none) could have used the generator.
    assert answering.rng.getstate() == state


def test_any_of_two_weighted_sets_keeps_the_weights_of_both() -> None:
    """ANY draws A (3:1) and then TXT (1:1), the A values shuffled between the two draws: the
    four outcomes come 3/8, 3/8, 1/8, 1/8 from the cache too."""
    zones_ = _zones()
    answering = handler(zones_)
    outcomes = Counter()
    for _ in range(8000):
        values = ask(answering, "both", "ANY")
        heavy = "192.0.2.11" in values
        x = '"x1"' in values
        outcomes[heavy, x] += 1
    assert outcomes[True, True] / 8000 == pytest.approx(3 / 8, abs=0.025)
    assert outcomes[True, False] / 8000 == pytest.approx(3 / 8, abs=0.025)
    assert outcomes[False, True] / 8000 == pytest.approx(1 / 8, abs=0.02)
    paths = entry(answering, "both")
    assert isinstance(paths, DrawnPaths)
    assert paths.complete
    assert len(paths.replies) == 4


def test_the_walk_draws_what_the_lookup_draws() -> None:
    """From any generator state, the cache's walk takes the path the lookup then takes (it
    makes the lookup's calls, the shuffle of the A values between the two draws included),
    so a miss that puts the generator back lets the lookup draw what the walk drew."""
    zones_ = _zones()
    answering = handler(zones_)
    for _ in range(200):
        ask(answering, "both", "ANY")
    paths = entry(answering, "both")
    assert isinstance(paths, DrawnPaths)
    assert paths.complete
    query = parse_query(dns.message.make_query("both.paths.test.", "ANY").to_wire())
    assert isinstance(query, ParsedQuery)
    differ = 0
    for seed in range(300):
        answering.rng = random.Random(seed)
        state = answering.rng.getstate()
        walked = paths._walk(answering.rng, exact=True)
        answering.rng.setstate(state)
        answer = answering.answer(query, "127.0.0.1", "udp")
        assert walked == paths._trace(answer.routed, answer.why)
        answering.rng.setstate(state)
        differ += paths._walk(answering.rng, exact=False) != walked
    assert differ > 0  # without the shuffle's calls the walk would go elsewhere (so this can fail)


def test_until_the_first_hit_the_cache_answers_as_the_lookup() -> None:
    """A miss puts the generator back: with the same seed, the cached handler's answers are
    the uncached one's, query for query, until the cache first answers (then it draws less)."""
    zones_ = _zones()
    cached = handler(zones_, seed=11)
    fresh = QueryHandler(zones_, random.Random(11), cache_replies=False)
    fresh.locator, fresh.health = cached.locator, cached.health
    assert cached.replies is not None
    compared = 0
    while True:
        stored = len(cached.replies)
        first, second = ask(cached, "both", "ANY"), ask(fresh, "both", "ANY")
        if len(cached.replies) == stored:
            break  # a hit
        assert first == second
        compared += 1
    assert compared >= 2  # the first query, and at least one miss of a partly cached question


def test_a_location_tree_is_kept_per_place() -> None:
    """Geolocation into weighted groups: clients in DE draw left's members, others right's;
    each place keeps its own paths, shared by every subnet placed there."""
    zones_ = _zones()
    answering = handler(zones_)
    german = Counter(ask(answering, "geo", subnet=f"10.1.{i % 250}.0/24") for i in range(600))
    elsewhere = Counter(ask(answering, "geo", subnet=f"10.9.{i % 250}.0/24") for i in range(600))
    assert set(german) == {"192.0.2.1", "192.0.2.2"}
    assert set(elsewhere) == {"192.0.2.3", "192.0.2.4"}
    per_place = entry(answering, "geo")
    assert isinstance(per_place, _PerClient)
    assert per_place.by_location
    assert len(per_place.replies) == 2
    assert all(
        isinstance(kept, DrawnPaths) and kept.complete for kept in per_place.replies.values()
    )


_CATALOG: Catalog | None = None


def _zones() -> Catalog:
    global _CATALOG
    if _CATALOG is None:
        import tempfile

        directory = Path(tempfile.mkdtemp(prefix="paths"))
        (directory / "paths.yaml").write_text(ZONE)
        (directory / "account.yaml").write_text(ACCOUNT)
        _CATALOG = load_catalog(directory)
    return _CATALOG
