"""Failover routing (semantics §3.4): the primary while it is healthy, else a healthy secondary.

Truth table: primary healthy -> primary; primary unhealthy and secondary healthy -> secondary;
both unhealthy -> primary (the fail-open rule of §3.0 lands on the primary).
"""

from __future__ import annotations

from r53emu.answer.routing.base import RoutingContext, Selection
from r53emu.model.catalog import FailoverRouting, RecordGroup, RecordSet


def is_primary(member: RecordSet) -> bool:
    routing = member.routing
    assert isinstance(routing, FailoverRouting), "failover groups hold failover record sets"
    return routing.primary


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    primary = next((member for member in group.members if is_primary(member)), None)
    secondary = next((member for member in group.members if not is_primary(member)), None)
    if primary is None or secondary is None:
        # UNCONFIRMED (§3.4, §9 item 11): a group with only one of the two serves what exists,
        # whatever its health, as recommended.
        (only,) = [member for member in (primary, secondary) if member is not None]
        role = "primary" if only is primary else "secondary"
        return Selection(chosen=(only,), reason=f"only a {role} record ({only.label}) exists")
    primary_healthy = context.healthy(primary)
    if primary_healthy:
        return Selection(chosen=(primary,), reason=f"primary {primary.label} healthy")
    if context.healthy(secondary):
        return Selection(
            chosen=(secondary,),
            reason=f"primary {primary.label} unhealthy, secondary {secondary.label} healthy",
        )
    return Selection(
        chosen=(primary,),
        reason=f"primary {primary.label} and secondary {secondary.label} unhealthy: primary",
    )
