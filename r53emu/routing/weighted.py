"""Weighted routing (semantics §3.2): one record set per answer, drawn by weight.

The health rules are the recommended algorithm of §3.2, which reproduces both AWS tables:
healthy non-zero records compete by weight; only when every non-zero record is unhealthy do the
healthy zero-weight records answer (uniformly); when nothing is healthy, the non-zero records
compete by weight again (fail-open, §3.0). A group whose weights are all 0 is uniform among its
healthy records, else among all of them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from r53emu.model import RecordGroup, RecordSet, WeightedRouting
from r53emu.routing.base import RoutingContext, Selection


def weight_of(member: RecordSet) -> int:
    """The member's weight (0..255); the loader guarantees weighted attributes."""
    routing = member.routing
    assert isinstance(routing, WeightedRouting), "weighted groups hold weighted record sets"
    return routing.weight


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    nonzero = [member for member in group.members if weight_of(member) > 0]
    zero = [member for member in group.members if weight_of(member) == 0]
    healthy_nonzero = [member for member in nonzero if context.healthy(member)]
    healthy_zero = [member for member in zero if context.healthy(member)]
    if not nonzero:
        # All weights 0: every record equally likely (§3.2); healthy ones first, else all.
        if healthy_zero:
            return _uniform(healthy_zero, context.rng, "all weights 0: one of {n} healthy records")
        return _uniform(
            zero, context.rng, "all weights 0, none healthy (fail-open): one of {n} records"
        )
    if healthy_nonzero:
        return _by_weight(healthy_nonzero, context.rng, "among healthy non-zero records")
    if healthy_zero:
        # UNCONFIRMED (§3.2, §9 item 10): uniform inside the zero-weight set, as recommended.
        return _uniform(
            healthy_zero,
            context.rng,
            "every non-zero record unhealthy: one of {n} healthy zero-weight records",
        )
    return _by_weight(nonzero, context.rng, "among non-zero records, none healthy (fail-open)")


def _by_weight(pool: Sequence[RecordSet], rng: random.Random, among: str) -> Selection:
    weights = [weight_of(member) for member in pool]
    (winner,) = rng.choices(pool, weights=weights)
    total = sum(weights)
    return Selection(
        chosen=(winner,),
        reason=f"{winner.label}: weight {weight_of(winner)} of {total} {among}",
    )


def _uniform(pool: Sequence[RecordSet], rng: random.Random, why: str) -> Selection:
    """One member of `pool`, each equally likely; `why` may name the pool size as `{n}`."""
    winner = rng.choice(pool)
    reason = f"{winner.label}: {why.format(n=len(pool))}, uniformly"
    return Selection(chosen=(winner,), reason=reason)
