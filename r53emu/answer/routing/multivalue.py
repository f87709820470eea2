"""Multivalue answer routing (semantics §3.7): up to 8 healthy record sets, in random order.

<= 8 healthy -> all of them; > 8 healthy -> a random 8 per answer; none healthy -> up to 8
regardless of health (a random 8 when there are more). Each chosen record set brings all its
values (UNCONFIRMED §3.7, §9 item 16: the cap counts record sets, as recommended).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations

from r53emu.answer.routing.base import RoutingContext, Selection
from r53emu.model.catalog import RecordGroup, RecordSet

MAX_RECORDS = 8


@dataclass(frozen=True, slots=True)
class MultivalueDraw:
    """Who may answer for one health state: `count` of the members at `positions`, drawn anew
    per answer in random order. The fast path draws with it as `choose` does (same calls on
    the generator, so the same choice)."""

    positions: tuple[int, ...]
    count: int
    reason: str

    def outcomes(self) -> int:
        """How many different sets of members a draw can give."""
        return math.comb(len(self.positions), self.count)

    def picks(self) -> Iterator[tuple[int, ...]]:
        """Each `count` of the pool (there may be many: `outcomes` counts them)."""
        return combinations(self.positions, self.count)

    def pick(self, rng: random.Random) -> tuple[int, ...]:
        """The positions of the members that answer, in answer order."""
        # A sample of the whole pool is a random permutation: answers come in random order.
        return tuple(rng.sample(self.positions, self.count))


def plan(group: RecordGroup, healthy: Callable[[RecordSet], bool]) -> MultivalueDraw:
    """The draw §3.7's rules leave for `group` when `healthy` says who is healthy."""
    healthy_positions = [i for i, member in enumerate(group.members) if healthy(member)]
    pool = healthy_positions or list(range(len(group.members)))
    count = min(len(pool), MAX_RECORDS)
    if not healthy_positions:
        reason = f"no record healthy: {count} of {len(pool)} regardless of health (fail-open)"
    elif count < len(pool):
        reason = f"{count} of {len(pool)} healthy records, chosen at random"
    else:
        reason = f"all {count} healthy records"
    return MultivalueDraw(tuple(pool), count, reason)


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    draw = plan(group, context.healthy)
    chosen = tuple(group.members[position] for position in draw.pick(context.rng))
    return Selection(chosen=chosen, reason=draw.reason)
