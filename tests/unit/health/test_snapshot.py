"""Health-check status rules of semantics §5, as health.snapshot's pure functions apply them."""

from __future__ import annotations

import pytest

from r53emu.health.snapshot import HealthSnapshot, apply_rules, initial_statuses, switch_healthy
from r53emu.model.catalog import HealthCheckSpec, Source

SOURCE = Source("zones/checks.yaml", 1)


def spec(check_id: str, check_type: str = "HTTP", **fields: object) -> HealthCheckSpec:
    return HealthCheckSpec(id=check_id, type=check_type, source=SOURCE, **fields)  # type: ignore[arg-type]


def test_new_probed_check_is_healthy_until_data_arrive() -> None:
    """A new HTTP check counts as healthy before its first probe result."""
    assert initial_statuses({"web": spec("web")}) == {"web": True}


def test_new_inverted_check_is_unhealthy_until_data_arrive() -> None:
    """An inverted new check starts unhealthy (semantics §5)."""
    assert initial_statuses({"web": spec("web", invert_healthcheck=True)}) == {"web": False}


@pytest.mark.parametrize("measured", [True, False])
def test_disabled_check_is_always_healthy(measured: bool) -> None:
    """Disabled means healthy whatever the probes say, inverted or not."""
    specs = {"web": spec("web", disabled=True, invert_healthcheck=True)}
    assert apply_rules(specs, {"web": measured}) == {"web": True}


@pytest.mark.parametrize(("measured", "expected"), [(True, False), (False, True)])
def test_inversion_flips_the_measured_result(measured: bool, expected: bool) -> None:
    """invert_healthcheck turns a failing endpoint healthy and a passing one unhealthy."""
    specs = {"web": spec("web", invert_healthcheck=True)}
    assert apply_rules(specs, {"web": measured}) == {"web": expected}


@pytest.mark.parametrize(
    ("state", "expected"), [("On", True), ("on", True), ("Off", False), (None, True)]
)
def test_routing_control_switch(state: str | None, expected: bool) -> None:
    """RECOVERY_CONTROL follows its routing control: On is healthy, Off is not."""
    check = spec("arc", "RECOVERY_CONTROL", routing_control_state=state)
    assert switch_healthy(check) is expected
    assert initial_statuses({"arc": check}) == {"arc": expected}


@pytest.mark.parametrize(
    ("state", "insufficient", "expected"),
    [
        ("OK", "LastKnownStatus", True),
        ("ALARM", "LastKnownStatus", False),
        ("INSUFFICIENT_DATA", "Healthy", True),
        ("INSUFFICIENT_DATA", "Unhealthy", False),
        ("INSUFFICIENT_DATA", "LastKnownStatus", True),  # no history: healthy, as a new check
    ],
)
def test_cloudwatch_alarm_switch(state: str, insufficient: str, expected: bool) -> None:
    """CLOUDWATCH_METRIC: OK healthy, ALARM unhealthy, insufficient data per its setting."""
    check = spec(
        "cw", "CLOUDWATCH_METRIC", alarm_state=state, insufficient_data_health_status=insufficient
    )
    assert switch_healthy(check) is expected


def _calculated(threshold: int, children: dict[str, bool], **fields: object) -> bool:
    specs = {name: spec(name) for name in children}
    specs["all"] = spec(
        "all",
        "CALCULATED",
        child_healthchecks=tuple(children),
        child_health_threshold=threshold,
        **fields,
    )
    return apply_rules(specs, children)["all"]


@pytest.mark.parametrize(
    ("threshold", "children", "expected"),
    [
        (2, {"a": True, "b": True, "c": False}, True),
        (2, {"a": True, "b": False, "c": False}, False),
        (0, {"a": False, "b": False}, True),  # threshold 0: always healthy
        (3, {"a": True, "b": True}, False),  # more than the children: never healthy
        (1, {"a": False, "b": True}, True),  # OR
        (2, {"a": True, "b": False}, False),  # AND
    ],
)
def test_calculated_check_counts_healthy_children(
    threshold: int, children: dict[str, bool], expected: bool
) -> None:
    """A CALCULATED check is healthy when at least the threshold of children are (§5)."""
    assert _calculated(threshold, children) is expected


def test_disabled_child_counts_as_healthy() -> None:
    """A disabled child counts as healthy for its calculated parent."""
    specs = {
        "a": spec("a", disabled=True),
        "b": spec("b"),
        "all": spec("all", "CALCULATED", child_healthchecks=("a", "b"), child_health_threshold=2),
    }
    assert apply_rules(specs, {"a": False, "b": True})["all"] is True


def test_calculated_check_uses_inverted_children() -> None:
    """Children count with their final status: an inverted failing child is healthy."""
    specs = {
        "a": spec("a", invert_healthcheck=True),
        "all": spec("all", "CALCULATED", child_healthchecks=("a",), child_health_threshold=1),
    }
    assert apply_rules(specs, {"a": False})["all"] is True


def test_snapshot_treats_unknown_checks_as_healthy() -> None:
    """The snapshot answers for every id; a record without a known check is healthy."""
    snapshot = HealthSnapshot({"down": False})
    assert snapshot.is_healthy("down") is False
    assert snapshot.is_healthy("anything-else") is True
