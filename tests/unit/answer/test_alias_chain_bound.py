"""Alias chains in the lookup are bounded (semantics §4): the loader refuses chains of more than
`MAX_ALIAS_CHAIN` aliases, so every loaded chain answers its final records, quickly; and the
lookup itself never follows more than the bound, so a catalog built some other way cannot make
it recurse without end (a chain of 600 cost 120 ms a query, SERVFAIL and a 175 KB traceback).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from r53emu.answer import lookup as lookup_module
from r53emu.model.catalog import MAX_ALIAS_CHAIN, Catalog
from r53emu.model.dnsconstants import RCODE_NOERROR
from r53emu.model.query import Outcome
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import write_zones
from tests.support.lookup_checks import ask, texts


def chain_zone(length: int, evaluate: bool = False) -> str:
    """c0 -> c1 -> ... -> c{length} (an A record), each alias with or without ETH."""
    eth = ", evaluate_target_health: true" if evaluate else ""
    sets = [
        f"  - {{name: c{i}, type: A, alias: {{name: c{i + 1}.chain.test{eth}}}}}\n"
        for i in range(length)
    ]
    sets.append(f"  - {{name: c{length}, type: A, ttl: 60, records: [192.0.2.1]}}\n")
    # A failover pair whose primary aliases c1 (a chain as long as c0's): its health is
    # evaluated through every link.
    sets.append(
        "  - {name: pick, type: A, set_identifier: p, failover_routing_policy: {type: PRIMARY}, "
        "alias: {name: c1.chain.test, evaluate_target_health: true}}\n"
        "  - {name: pick, type: A, ttl: 60, records: [198.51.100.9], set_identifier: s, "
        "failover_routing_policy: {type: SECONDARY}}\n"
    )
    return "zone: chain.test\nrecord_sets:\n" + "".join(sets)


@pytest.fixture(scope="module")
def longest(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A zone with a chain of exactly MAX_ALIAS_CHAIN aliases (with ETH on every link)."""
    zones = tmp_path_factory.mktemp("zones")
    return load_catalog(write_zones(zones, {"chain.yaml": chain_zone(MAX_ALIAS_CHAIN, True)}))


def test_the_longest_chain_that_loads_answers_its_final_records_quickly(longest: Catalog) -> None:
    """MAX_ALIAS_CHAIN aliases answer the final A under the first name, each link a decision."""
    started = time.perf_counter()
    answer = ask(longest, "c0.chain.test")
    assert time.perf_counter() - started < 0.5
    assert (answer.outcome, answer.rcode) == (Outcome.ANSWER, RCODE_NOERROR)
    assert texts(answer.answer) == {"c0.chain.test. 60 IN A 192.0.2.1"}
    assert len(answer.why) == MAX_ALIAS_CHAIN + 1


def test_health_through_the_longest_chain_is_evaluated(longest: Catalog) -> None:
    """The failover primary aliases down a whole chain with ETH: healthy, so it answers."""
    assert texts(ask(longest, "pick.chain.test").answer) == {"pick.chain.test. 60 IN A 192.0.2.1"}


def test_the_lookup_never_follows_more_aliases_than_the_bound(
    longest: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the bound lowered below the loaded chain, the alias past it gives no records (a
    note says why) and counts as unhealthy: the failover answers its secondary. The lookup's
    stack stays shallow whatever the chain."""
    monkeypatch.setattr(lookup_module, "MAX_ALIAS_CHAIN", 3)
    depths: list[int] = []
    resolve = lookup_module._ZoneLookup._resolve

    def counting(self: lookup_module._ZoneLookup, *args: object) -> object:
        frame, depth = sys._getframe(), 0
        while frame is not None:
            depth, frame = depth + 1, frame.f_back  # type: ignore[assignment]
        depths.append(depth)
        return resolve(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(lookup_module._ZoneLookup, "_resolve", counting)
    answer = ask(longest, "c0.chain.test")
    assert (answer.outcome, answer.rcode) == (Outcome.NODATA, RCODE_NOERROR)
    assert len(answer.why) == 4  # c0 and the three aliases followed
    assert (
        "c3.chain.test. (alias to c4.chain.test.) is more than 3 aliases down a chain: not followed"
        in answer.notes
    )
    assert max(depths) - min(depths) < 20
    failover = ask(longest, "pick.chain.test")
    assert texts(failover.answer) == {"pick.chain.test. 60 IN A 198.51.100.9"}


def test_a_chain_one_longer_than_the_bound_does_not_load(tmp_path: Path) -> None:
    """The loader side of the bound (tests/unit/zonefiles/test_hostile_inputs.py has the rest)."""
    from r53emu.zonefiles.errors import ZoneLoadError

    zones = write_zones(tmp_path, {"chain.yaml": chain_zone(MAX_ALIAS_CHAIN + 1)})
    with pytest.raises(ZoneLoadError, match=f"is {MAX_ALIAS_CHAIN + 1} aliases long"):
        load_catalog(zones)
