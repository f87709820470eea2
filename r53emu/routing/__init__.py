"""Routing policies, registered by the name the model uses in `RecordSet.policy`.

Adding a policy = one module + one line here + one test file.
"""

from __future__ import annotations

from r53emu.routing import (
    cidr,
    failover,
    geolocation,
    geoproximity,
    latency,
    multivalue,
    simple,
    weighted,
)
from r53emu.routing.base import Policy, RoutingContext, Selection

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

__all__ = ["POLICIES", "Policy", "RoutingContext", "Selection"]
