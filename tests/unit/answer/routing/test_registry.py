"""The routing registry: one policy per name the model uses."""

from __future__ import annotations

from r53emu.answer.routing import (
    POLICIES,
    cidr,
    failover,
    geolocation,
    geoproximity,
    latency,
    multivalue,
    simple,
    weighted,
)
from r53emu.model.catalog import POLICY_NAMES


def test_registry_holds_every_policy_name() -> None:
    """The registry holds exactly simple plus the seven names of model.POLICY_NAMES."""
    assert set(POLICIES) == {"simple", *POLICY_NAMES.values()}
    assert len(POLICIES) == 8


def test_each_name_maps_to_its_module() -> None:
    """Each name dispatches to the module that implements that policy."""
    modules = (simple, weighted, latency, failover, geolocation, geoproximity, multivalue, cidr)
    assert {module.__name__.rsplit(".", 1)[1]: module.choose for module in modules} == POLICIES
