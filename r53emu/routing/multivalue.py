"""Multivalue answer routing (semantics §3.7): up to 8 healthy record sets, in random order.

<= 8 healthy -> all of them; > 8 healthy -> a random 8 per answer; none healthy -> up to 8
regardless of health (a random 8 when there are more). Each chosen record set brings all its
values (UNCONFIRMED §3.7, §9 item 16: the cap counts record sets, as recommended).
"""

from __future__ import annotations

from r53emu.model import RecordGroup
from r53emu.routing.base import RoutingContext, Selection

MAX_RECORDS = 8


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    healthy = [member for member in group.members if context.healthy(member)]
    pool = healthy or list(group.members)
    count = min(len(pool), MAX_RECORDS)
    # A sample of the whole pool is a random permutation: answers come in random order.
    chosen = tuple(context.rng.sample(pool, count))
    if not healthy:
        reason = f"no record healthy: {count} of {len(pool)} regardless of health (fail-open)"
    elif count < len(pool):
        reason = f"{count} of {len(pool)} healthy records, chosen at random"
    else:
        reason = f"all {count} healthy records"
    return Selection(chosen=chosen, reason=reason)
