"""Weighted routing (semantics §3.2): weights, the zero-weight/health tables, fail-open."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from r53emu.answer.routing import weighted
from r53emu.model.catalog import RecordGroup, WeightedRouting
from tests.support.routing_records import context, group, ids, record

DRAWS = 400  # enough that every possible winner shows up (a 1/2 chance missed 400 times: 2^-400)


def weights(*pairs: tuple[str, int]) -> RecordGroup:
    return group(*(record(name, WeightedRouting(weight)) for name, weight in pairs))


def winners(grp: RecordGroup, unhealthy: set[str], draws: int = DRAWS) -> Counter[str]:
    """How often each record set answered over `draws` answers from one seeded rng."""
    rng = random.Random(42)
    counts: Counter[str] = Counter()
    for _ in range(draws):
        selection = weighted.choose(grp, context(unhealthy=unhealthy, rng=rng))
        assert len(selection.chosen) == 1
        counts.update(ids(selection))
    return counts


# AWS's tables (§3.2): weights R1=1, R2=1, R3=0. "U" = unhealthy, "H" = healthy, "-" = R3 has
# no health check (always healthy).
AWS_TABLE_ZERO_WEIGHT_CHECKED = [
    ("UUH", {"R3"}),
    ("UUU", {"R1", "R2"}),
    ("UHU", {"R2"}),
    ("HHU", {"R1", "R2"}),
    ("HHH", {"R1", "R2"}),
]
AWS_TABLE_ZERO_WEIGHT_UNCHECKED = [
    ("HH-", {"R1", "R2"}),
    ("UU-", {"R3"}),
    ("UH-", {"R2"}),
]


@pytest.mark.parametrize(
    ("health", "answering"), AWS_TABLE_ZERO_WEIGHT_CHECKED + AWS_TABLE_ZERO_WEIGHT_UNCHECKED
)
def test_aws_zero_weight_health_tables(health: str, answering: set[str]) -> None:
    """Weights 1, 1, 0 answer with exactly the record sets AWS's two tables list."""
    grp = weights(("R1", 1), ("R2", 1), ("R3", 0))
    unhealthy = {f"R{i}" for i, state in enumerate(health, start=1) if state == "U"}
    assert set(winners(grp, unhealthy)) == answering


def test_probability_is_weight_over_sum_of_healthy() -> None:
    """Weights 10/20/20 with the third unhealthy give the first 10/30 of answers, not 10/50."""
    draws = 30_000
    counts = winners(weights(("a", 10), ("b", 20), ("c", 20)), {"c"}, draws)
    assert counts["c"] == 0
    assert counts["a"] / draws == pytest.approx(1 / 3, abs=0.02)  # ~7 standard deviations
    assert counts["b"] / draws == pytest.approx(2 / 3, abs=0.02)


def test_full_weight_range_is_proportional() -> None:
    """Weights 1 and 255 split answers 1:255; the heavy record takes nearly all of them."""
    draws = 25_600
    counts = winners(weights(("light", 1), ("heavy", 255)), set(), draws)
    assert counts["light"] / draws == pytest.approx(1 / 256, abs=0.003)
    assert counts["light"] > 0


def test_zero_weight_is_never_returned_beside_healthy_nonzero() -> None:
    """A weight-0 record never answers while a non-zero record is healthy."""
    counts = winners(weights(("zero", 0), ("one", 1), ("two", 2)), set())
    assert set(counts) == {"one", "two"}


def test_zero_weight_pool_is_uniform() -> None:
    """With every non-zero record unhealthy, healthy zero-weight records share answers equally."""
    draws = 30_000
    counts = winners(weights(("nz", 5), ("z1", 0), ("z2", 0), ("z3", 0)), {"nz"}, draws)
    assert set(counts) == {"z1", "z2", "z3"}
    for name in ("z1", "z2", "z3"):
        assert counts[name] / draws == pytest.approx(1 / 3, abs=0.02)


def test_fail_open_keeps_weights() -> None:
    """With nothing healthy, the non-zero records compete by weight again (fail-open)."""
    draws = 30_000
    grp = weights(("a", 1), ("b", 3), ("z", 0))
    counts = winners(grp, {"a", "b", "z"}, draws)
    assert set(counts) == {"a", "b"}
    assert counts["a"] / draws == pytest.approx(1 / 4, abs=0.02)


@pytest.mark.parametrize(
    ("unhealthy", "answering"),
    [
        (set(), {"z1", "z2", "z3"}),
        ({"z1"}, {"z2", "z3"}),
        ({"z1", "z2"}, {"z3"}),
        ({"z1", "z2", "z3"}, {"z1", "z2", "z3"}),
    ],
)
def test_all_zero_group(unhealthy: set[str], answering: set[str]) -> None:
    """All weights 0: uniform among the healthy records, among all when none is healthy."""
    assert set(winners(weights(("z1", 0), ("z2", 0), ("z3", 0)), unhealthy)) == answering


def test_all_zero_group_is_uniform() -> None:
    """All weights 0 makes every record equally likely."""
    draws = 30_000
    counts = winners(weights(("z1", 0), ("z2", 0)), set(), draws)
    assert counts["z1"] / draws == pytest.approx(1 / 2, abs=0.02)


def test_same_seed_same_choices() -> None:
    """Choices come only from the context's rng: the same seed repeats the same sequence."""
    grp = weights(("a", 1), ("b", 1), ("c", 1))
    rng_a, rng_b = random.Random(7), random.Random(7)
    run_a = [ids(weighted.choose(grp, context(rng=rng_a))) for _ in range(50)]
    run_b = [ids(weighted.choose(grp, context(rng=rng_b))) for _ in range(50)]
    assert run_a == run_b
    assert len({tuple(choice) for choice in run_a}) == 3


@pytest.mark.parametrize(
    ("unhealthy", "reasons"),
    [
        (
            set(),
            {
                "big: weight 90 of 100 among healthy non-zero records",
                "small: weight 10 of 100 among healthy non-zero records",
            },
        ),
        (
            {"big", "small"},
            {
                "zero: every non-zero record unhealthy: "
                "one of 1 healthy zero-weight records, uniformly"
            },
        ),
        (
            {"big", "small", "zero"},
            {
                "big: weight 90 of 100 among non-zero records, none healthy (fail-open)",
                "small: weight 10 of 100 among non-zero records, none healthy (fail-open)",
            },
        ),
    ],
)
def test_reason_says_why(unhealthy: set[str], reasons: set[str]) -> None:
    """The explanation names the winner, its weight and the pool it was drawn from."""
    grp = weights(("big", 90), ("small", 10), ("zero", 0))
    rng = random.Random(1)
    selections = [weighted.choose(grp, context(unhealthy=unhealthy, rng=rng)) for _ in range(200)]
    assert {selection.reason for selection in selections} == reasons
    assert not any(selection.location_dependent for selection in selections)
