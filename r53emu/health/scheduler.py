"""Runs the health checks and publishes a new health snapshot whenever a status changes.

One asyncio task per probed check (HTTP, HTTPS, *_STR_MATCH, TCP), started at a random point of
its first interval (jitter) and then every `request_interval` seconds, its wake-ups rounded up
to a 50 ms grid so that probes due together start together (`r53emu.health.timergrid`); probes never
wait for one another, so a slow or hanging target delays nothing else. A check's measured
status flips after `failure_threshold` consecutive results (`tracker.CheckTracker`); the
final statuses apply inversion, disabled, switches, CALCULATED children and test overrides
(`snapshot.apply_rules`).

Steering (tests, the admin API): `set_override`, `clear_override`, `clear_overrides` and
`set_switch` publish the new snapshot before they return, so they apply to every query received
after the call. `reload` starts new checks, stops removed ones at once and keeps the state of
unchanged ones.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from r53emu.health.probes import Observation, Prober, dns_resolution_failed
from r53emu.health.snapshot import (
    HealthSnapshot,
    apply_rules,
    switch_healthy,
    switch_state,
)
from r53emu.health.timergrid import TimerGrid
from r53emu.health.tracker import NEW_CHECK_REASON, CheckTracker
from r53emu.model.catalog import HealthCheckSpec
from r53emu.model.healthtypes import (
    CALCULATED,
    CLOUDWATCH_METRIC,
    PROBED_TYPES,
    RECOVERY_CONTROL,
    SWITCH_STATES,
    SWITCH_TYPES,
)

logger = logging.getLogger("r53emu.health")

ResolveFqdn = Callable[[str], Awaitable[str | None]]


# Probes due within the same 50 ms start in the same loop turn (`r53emu.health.timergrid`): measured
# with benchmarks/health_scheduler.py (1,000 checks every 10 s, no queries), the scheduler cost
# 3.6 % of a core with a timer per probe and 2.3 % with this grid, DNS p99 unchanged under load.
WAKEUP_RESOLUTION = 0.05


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StatusChange:
    """When a check's final status last changed, and why."""

    at: datetime | None
    reason: str


class SteeringError(ValueError):
    """A steering call that names no such check or doesn't fit its type; the message says why."""


class HealthScheduler:
    """Owns the health checks' state for one running server."""

    def __init__(
        self,
        specs: Mapping[str, HealthCheckSpec],
        publish: Callable[[HealthSnapshot], None],
        resolve_fqdn: ResolveFqdn,
        prober: Prober | None = None,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        wakeup_resolution: float = WAKEUP_RESOLUTION,
    ) -> None:
        self.specs: dict[str, HealthCheckSpec] = dict(specs)
        self.publish = publish
        self.resolve_fqdn = resolve_fqdn
        self.prober = prober or Prober()
        self.clock = clock
        self.rng = rng or random.Random()
        self.trackers: dict[str, CheckTracker] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.overrides: dict[str, bool] = {}
        self.switches: dict[str, str] = {}  # switch states set at run time, over the file's
        self.statuses: dict[str, bool] = {}
        self.changes: dict[str, StatusChange] = {}
        self._running = False
        self._grid = TimerGrid(wakeup_resolution)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start probing and publish the initial snapshot."""
        self._running = True
        for spec in self.specs.values():
            self._start_check(spec)
        self._publish()

    async def stop(self) -> None:
        self._running = False
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.tasks.clear()
        await self.prober.close()

    def reload(self, specs: Mapping[str, HealthCheckSpec]) -> None:
        """Adopt new specs: unchanged checks keep their state, others start or stop at once."""
        new = dict(specs)
        for check_id, old in self.specs.items():
            if new.get(check_id) != old:
                self._stop_check(check_id)
                self.overrides.pop(check_id, None)
                self.switches.pop(check_id, None)
                self.changes.pop(check_id, None)
        previous = self.specs
        self.specs = new
        for check_id, spec in new.items():
            if previous.get(check_id) != spec:
                self._start_check(spec)
        self._publish()

    def _start_check(self, spec: HealthCheckSpec) -> None:
        if spec.type not in PROBED_TYPES or spec.disabled:
            return  # switches and CALCULATED checks are computed; disabled checks aren't probed
        tracker = CheckTracker(spec)
        self.trackers[spec.id] = tracker
        if self._running:
            self.tasks[spec.id] = asyncio.get_running_loop().create_task(
                self._probe_forever(tracker), name=f"health-check {spec.id}"
            )

    def _stop_check(self, check_id: str) -> None:
        self.trackers.pop(check_id, None)
        task = self.tasks.pop(check_id, None)
        if task is not None:
            task.cancel()

    async def _probe_forever(self, tracker: CheckTracker) -> None:
        spec = tracker.spec
        loop = asyncio.get_running_loop()
        due = loop.time() + self.rng.uniform(0, spec.request_interval)  # spread the checks
        while True:
            await self._grid.sleep_until(due)
            observation = await self._probe_once(spec)
            transition = tracker.record(observation)
            if transition is not None:
                self._publish()
            # Fixed rate: the next probe is due one interval after this one was due, or at
            # once if this probe (a hanging target) took longer than the interval.
            due = max(due + spec.request_interval, loop.time())

    async def _probe_once(self, spec: HealthCheckSpec) -> Observation:
        address = spec.ip_address
        if address is None and spec.fqdn is not None:
            try:
                address = await self.resolve_fqdn(spec.fqdn)
            except Exception:  # a resolver failure is the check's failure, never the task's
                logger.debug("resolving %s failed", spec.fqdn, exc_info=True)
                address = None
        if address is None:
            return dns_resolution_failed(self.clock())
        return await self.prober.probe(spec, address, self.clock)

    # --- statuses ----------------------------------------------------------------------------

    def snapshot(self) -> HealthSnapshot:
        return HealthSnapshot(dict(self.statuses))

    def _measured(self) -> dict[str, bool]:
        measured = {check_id: tracker.measured for check_id, tracker in self.trackers.items()}
        for check_id, spec in self.specs.items():
            if spec.type in SWITCH_TYPES:
                measured[check_id] = switch_healthy(self._effective(spec))
        return measured

    def _effective(self, spec: HealthCheckSpec) -> HealthCheckSpec:
        """The spec with its run-time switch state, if one was set."""
        state = self.switches.get(spec.id)
        if state is None:
            return spec
        if spec.type == RECOVERY_CONTROL:
            return replace(spec, routing_control_state=state)
        return replace(spec, alarm_state=state)

    def _publish(self) -> None:
        """Recompute every final status, log the changes and hand routing the new snapshot."""
        statuses = apply_rules(self.specs, self._measured(), self.overrides)
        previous, self.statuses = self.statuses, statuses  # reasons read the new statuses
        now = self.clock()
        for check_id, healthy in statuses.items():
            before = previous.get(check_id)
            if before is None:
                initial = StatusChange(None, self._initial_reason(check_id))
                self.changes.setdefault(check_id, initial)
            elif before != healthy:
                reason = self._reason(check_id)
                self.changes[check_id] = StatusChange(now, reason)
                logger.info(
                    "health check %s: %s -> %s (%s)",
                    check_id,
                    _word(before),
                    _word(healthy),
                    reason,
                )
        self.publish(HealthSnapshot(dict(statuses)))

    def _initial_reason(self, check_id: str) -> str:
        spec = self.specs[check_id]
        if spec.type in SWITCH_TYPES or spec.type == CALCULATED or spec.disabled:
            return self._reason(check_id)
        return NEW_CHECK_REASON

    def _reason(self, check_id: str) -> str:
        spec = self._effective(self.specs[check_id])
        if check_id in self.overrides:
            return f"forced {_word(self.overrides[check_id])} by an override"
        if spec.disabled:
            return "disabled: always healthy"
        if spec.type == RECOVERY_CONTROL:
            return f"routing control {switch_state(spec)}"
        if spec.type == CLOUDWATCH_METRIC:
            return f"alarm state {switch_state(spec)}"
        if spec.type == CALCULATED:
            healthy = sum(1 for child in spec.child_healthchecks if self.statuses.get(child, True))
            return (
                f"{healthy} of {len(spec.child_healthchecks)} children healthy "
                f"(threshold {spec.child_health_threshold})"
            )
        tracker = self.trackers.get(check_id)
        reason = tracker.reason if tracker else NEW_CHECK_REASON
        return f"inverted: {reason}" if spec.invert_healthcheck else reason

    # --- steering ----------------------------------------------------------------------------

    def set_override(self, check_id: str, healthy: bool) -> None:
        """Force a check healthy or unhealthy until `clear_override`."""
        self._spec(check_id)
        self.overrides[check_id] = healthy
        self._publish()

    def clear_override(self, check_id: str) -> None:
        self._spec(check_id)
        self.overrides.pop(check_id, None)
        self._publish()

    def clear_overrides(self) -> None:
        self.overrides.clear()
        self._publish()

    def clear_switches(self) -> None:
        """Forget every switch state set at run time: the files' states apply again."""
        self.switches.clear()
        self._publish()

    def set_switch(self, check_id: str, state: str) -> None:
        """Flip a RECOVERY_CONTROL (On/Off) or CLOUDWATCH_METRIC (OK/ALARM/INSUFFICIENT_DATA)."""
        spec = self._spec(check_id)
        allowed = SWITCH_STATES.get(spec.type)
        if allowed is None:
            raise SteeringError(
                f"health check {check_id} is {spec.type}, not a RECOVERY_CONTROL or "
                "CLOUDWATCH_METRIC switch"
            )
        canonical = {value.lower(): value for value in allowed}.get(state.lower())
        if canonical is None:
            raise SteeringError(f"{state!r} is not one of {', '.join(allowed)} for {check_id}")
        self.switches[check_id] = canonical
        self._publish()

    def _spec(self, check_id: str) -> HealthCheckSpec:
        spec = self.specs.get(check_id)
        if spec is None:
            raise SteeringError(f"no health check {check_id!r}")
        return spec

    # --- status reports ----------------------------------------------------------------------

    def describe(self, check_id: str) -> dict[str, Any]:
        """A check's status as the admin API reports it (JSON-ready)."""
        spec = self._effective(self._spec(check_id))
        tracker = self.trackers.get(check_id)
        change = self.changes.get(check_id, StatusChange(None, self._reason(check_id)))
        return {
            "id": check_id,
            "type": spec.type,
            "healthy": self.statuses.get(check_id, True),
            "switch": switch_state(spec),
            "override": self.overrides.get(check_id),
            "last_transition": change.at.isoformat() if change.at else None,
            "reason": change.reason,
            "observations": [
                {
                    "status": observation.status,
                    "checked_at": observation.checked_at.isoformat(),
                }
                for observation in (tracker.observations if tracker else ())
            ],
        }


def _word(healthy: bool) -> str:
    return "healthy" if healthy else "unhealthy"
