"""Health as routing sees it: an immutable snapshot of every health check's status.

Routing reads one `HealthView` per query and never probes anything (docs/architecture.md). This
module holds the pure rules that turn health-check specs and observations into statuses: new checks
are healthy until data arrive (inverted: unhealthy), disabled checks are always healthy, switches
(RECOVERY_CONTROL, CLOUDWATCH_METRIC) follow their state, CALCULATED checks count their children
(semantics §5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from r53emu.model.catalog import HealthCheckSpec
from r53emu.model.healthtypes import CALCULATED, CLOUDWATCH_METRIC, RECOVERY_CONTROL, SWITCH_TYPES


class HealthView(Protocol):
    """What routing may ask: is the check with this id healthy now?"""

    def is_healthy(self, check_id: str) -> bool: ...


@dataclass(frozen=True)
class HealthSnapshot:
    """Statuses by check id; unknown ids are healthy (a record without a check always is)."""

    statuses: Mapping[str, bool] = field(default_factory=dict)

    def is_healthy(self, check_id: str) -> bool:
        return self.statuses.get(check_id, True)


ALL_HEALTHY = HealthSnapshot()


def switch_state(spec: HealthCheckSpec) -> str | None:
    """A switch's effective state: the file's (or the one set at run time), else On for a
    routing control and OK for an alarm; None for checks that are not switches."""
    if spec.type == RECOVERY_CONTROL:
        return spec.routing_control_state or "On"
    if spec.type == CLOUDWATCH_METRIC:
        return spec.alarm_state or "OK"
    return None


def switch_healthy(spec: HealthCheckSpec) -> bool:
    """A switch's health from its state: routing control On / alarm OK are healthy.

    An alarm with INSUFFICIENT_DATA follows `insufficient_data_health_status`; LastKnownStatus
    with no history counts as healthy, as a new check does (semantics §5).
    """
    state = (switch_state(spec) or "").upper()
    if spec.type == RECOVERY_CONTROL:
        return state == "ON"
    if state == "INSUFFICIENT_DATA":
        return spec.insufficient_data_health_status.lower() != "unhealthy"
    return state == "OK"


def initial_statuses(specs: Mapping[str, HealthCheckSpec]) -> dict[str, bool]:
    """Every check's status before any probe result arrives (the snapshot at load time)."""
    own = {check_id: _initial(spec) for check_id, spec in specs.items()}
    return apply_rules(specs, own)


def _initial(spec: HealthCheckSpec) -> bool:
    if spec.type in SWITCH_TYPES:
        return switch_healthy(spec)
    # New probed checks are healthy until data arrive; the inversion below makes them unhealthy.
    return True


def apply_rules(
    specs: Mapping[str, HealthCheckSpec],
    measured: Mapping[str, bool],
    overrides: Mapping[str, bool] | None = None,
) -> dict[str, bool]:
    """Final statuses from each check's measured result: inversion, disabled, then CALCULATED.

    `measured` holds the raw (not inverted) result of each non-calculated check. `overrides`
    force a check's final status (a test steering r53emu); CALCULATED checks count their
    children's overridden statuses, and an override on a CALCULATED check wins over its count.
    """
    forced = overrides or {}
    statuses: dict[str, bool] = {}
    for check_id, spec in specs.items():
        if spec.type == CALCULATED:
            continue
        healthy = measured.get(check_id, True)
        if spec.invert_healthcheck:
            healthy = not healthy
        statuses[check_id] = forced.get(check_id, True if spec.disabled else healthy)
    for check_id, spec in specs.items():
        if spec.type == CALCULATED:
            counted = calculated_healthy(spec, specs, statuses)
            statuses[check_id] = forced.get(check_id, counted)
    return statuses


def calculated_healthy(
    spec: HealthCheckSpec, specs: Mapping[str, HealthCheckSpec], statuses: Mapping[str, bool]
) -> bool:
    """Healthy when at least `child_health_threshold` children are healthy (§5).

    Threshold 0 is always healthy; a threshold above the number of children never is; disabled
    children count as healthy; an inverted or disabled calculated check is inverted or healthy.
    """
    if spec.disabled:
        return True
    healthy_children = sum(
        1 for child in spec.child_healthchecks if specs[child].disabled or statuses.get(child, True)
    )
    healthy = healthy_children >= spec.child_health_threshold
    return not healthy if spec.invert_healthcheck else healthy
