"""Weighted routing (semantics §3.2): one record set per answer, drawn by weight.

The health rules are the recommended algorithm of §3.2, which reproduces both AWS tables:
healthy non-zero records compete by weight; only when every non-zero record is unhealthy do the
healthy zero-weight records answer (uniformly); when nothing is healthy, the non-zero records
compete by weight again (fail-open, §3.0). A group whose weights are all 0 is uniform among its
healthy records, else among all of them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate

from r53emu.answer.routing.base import RoutingContext, Selection
from r53emu.model.catalog import RecordGroup, RecordSet, WeightedRouting


def weight_of(member: RecordSet) -> int:
    """The member's weight (0..255); the loader guarantees weighted attributes."""
    routing = member.routing
    assert isinstance(routing, WeightedRouting), "weighted groups hold weighted record sets"
    return routing.weight


@dataclass(frozen=True, slots=True)
class WeightedDraw:
    """Who may answer for one health state, and how likely each is: drawn anew per answer.

    `positions` index the group's members; `cum_weights` are their running weight totals (None:
    uniform). The fast path keeps one per cached question (r53emu.server.replycache) and draws as
    `choose` does, with the same calls on the generator, so both make the same choice.
    """

    positions: tuple[int, ...]
    cum_weights: tuple[int, ...] | None
    why: str  # the pool, for the reason; may name its size as {n}

    def outcomes(self) -> int:
        """How many different answers a draw can give (every member of the pool)."""
        return len(self.positions)

    def picks(self) -> Iterator[tuple[int, ...]]:
        """Each member of the pool."""
        return ((position,) for position in self.positions)

    def pick(self, rng: random.Random) -> tuple[int, ...]:
        """The position of the member that answers."""
        if self.cum_weights is None:
            return (rng.choice(self.positions),)
        return (rng.choices(self.positions, cum_weights=self.cum_weights)[0],)


def plan(group: RecordGroup, healthy: Callable[[RecordSet], bool]) -> WeightedDraw:
    """The draw §3.2's health rules leave for `group` when `healthy` says who is healthy."""
    weights = [weight_of(member) for member in group.members]
    nonzero = [index for index, weight in enumerate(weights) if weight > 0]
    zero = [index for index, weight in enumerate(weights) if weight == 0]
    healthy_nonzero = [index for index in nonzero if healthy(group.members[index])]
    healthy_zero = [index for index in zero if healthy(group.members[index])]
    if not nonzero:
        # All weights 0: every record equally likely (§3.2); healthy ones first, else all.
        if healthy_zero:
            return _uniform(healthy_zero, "all weights 0: one of {n} healthy records")
        return _uniform(zero, "all weights 0, none healthy (fail-open): one of {n} records")
    if healthy_nonzero:
        return _by_weight(healthy_nonzero, weights, "among healthy non-zero records")
    if healthy_zero:
        # UNCONFIRMED (§3.2, §9 item 10): uniform inside the zero-weight set, as recommended.
        return _uniform(
            healthy_zero, "every non-zero record unhealthy: one of {n} healthy zero-weight records"
        )
    return _by_weight(nonzero, weights, "among non-zero records, none healthy (fail-open)")


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    draw = plan(group, context.healthy)
    (position,) = draw.pick(context.rng)
    winner = group.members[position]
    if draw.cum_weights is None:
        reason = f"{winner.label}: {draw.why.format(n=len(draw.positions))}, uniformly"
    else:
        total = draw.cum_weights[-1]
        reason = f"{winner.label}: weight {weight_of(winner)} of {total} {draw.why}"
    return Selection(chosen=(winner,), reason=reason)


def _by_weight(pool: list[int], weights: list[int], among: str) -> WeightedDraw:
    return WeightedDraw(tuple(pool), tuple(accumulate(weights[index] for index in pool)), among)


def _uniform(pool: list[int], why: str) -> WeightedDraw:
    return WeightedDraw(tuple(pool), None, why)
