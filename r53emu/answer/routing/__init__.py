"""Routing policies, registered by the name the model uses in `RecordSet.policy`.

Adding a policy = one module + one line here + one test file.
"""

from __future__ import annotations

from r53emu.answer.routing import (
    cidr,
    failover,
    geolocation,
    geoproximity,
    latency,
    multivalue,
    simple,
    weighted,
)
from r53emu.answer.routing.base import Draw, Planner, Policy, RoutingContext, Selection

POLICIES: dict[str, Policy] = {
    "simple": simple.choose,
    "weighted": weighted.choose,
    "latency": latency.choose,
    "failover": failover.choose,
    "geolocation": geolocation.choose,
    "geoproximity": geoproximity.choose,
    "multivalue": multivalue.choose,
    "cidr": cidr.choose,
}

# The policies that choose at random, by the draw they make (the fast path redraws per query).
DRAWS: dict[str, Planner] = {
    "weighted": weighted.plan,
    "multivalue": multivalue.plan,
}

__all__ = ["DRAWS", "POLICIES", "Draw", "Planner", "Policy", "RoutingContext", "Selection"]
