"""Multivalue answer routing (semantics §3.7): up to 8 healthy record sets, random order."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from r53emu.answer.routing import multivalue
from r53emu.model.catalog import MultivalueRouting, RecordGroup
from tests.support.routing_records import context, group, ids, record


def records(count: int) -> RecordGroup:
    return group(
        *(record(f"r{i}", MultivalueRouting(), f"192.0.2.{i}") for i in range(1, count + 1))
    )


def names(*numbers: int) -> set[str]:
    return {f"r{i}" for i in numbers}


@pytest.mark.parametrize(
    ("count", "unhealthy", "size", "pool"),
    [
        (3, set(), 3, names(1, 2, 3)),
        (8, set(), 8, names(*range(1, 9))),
        (10, names(1, 2, 3), 7, names(*range(4, 11))),
        (10, names(1), 8, names(*range(2, 11))),
        (12, set(), 8, names(*range(1, 13))),
        (5, names(*range(1, 6)), 5, names(*range(1, 6))),
        (12, names(*range(1, 13)), 8, names(*range(1, 13))),
        (3, names(1, 2), 1, names(3)),
    ],
)
def test_multivalue_truth_table(count: int, unhealthy: set[str], size: int, pool: set[str]) -> None:
    """Healthy records, at most 8 of them; none healthy -> up to 8 regardless of health."""
    rng = random.Random(3)
    for _ in range(50):
        selection = multivalue.choose(records(count), context(unhealthy=unhealthy, rng=rng))
        chosen = ids(selection)
        assert len(chosen) == size
        assert len(set(chosen)) == size
        assert set(chosen) <= pool
        assert not selection.location_dependent


def test_more_than_eight_healthy_gives_uniform_random_subsets() -> None:
    """Over many answers each of 12 healthy records appears in 8/12 of them, in many subsets."""
    draws = 10_000
    rng = random.Random(5)
    appearances: Counter[str] = Counter()
    subsets: set[frozenset[str]] = set()
    for _ in range(draws):
        chosen = ids(multivalue.choose(records(12), context(rng=rng)))
        appearances.update(chosen)
        subsets.add(frozenset(chosen))
    assert set(appearances) == names(*range(1, 13))
    for count in appearances.values():
        assert count / draws == pytest.approx(8 / 12, abs=0.03)  # ~6 standard deviations
    assert len(subsets) > 400  # of the 495 possible


def test_order_is_random() -> None:
    """All healthy records come back in a random order, different from answer to answer."""
    rng = random.Random(11)
    orders = {tuple(ids(multivalue.choose(records(4), context(rng=rng)))) for _ in range(200)}
    assert len(orders) == 24  # every permutation of 4 shows up


@pytest.mark.parametrize(
    ("count", "unhealthy", "reason"),
    [
        (3, set(), "all 3 healthy records"),
        (12, set(), "8 of 12 healthy records, chosen at random"),
        (2, names(1, 2), "no record healthy: 2 of 2 regardless of health (fail-open)"),
    ],
)
def test_reason_counts_records(count: int, unhealthy: set[str], reason: str) -> None:
    """The explanation says how many records answered out of which pool."""
    assert multivalue.choose(records(count), context(unhealthy=unhealthy)).reason == reason
