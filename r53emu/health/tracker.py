"""The per-check state machine of a probed health check (semantics §5), pure and clock-free.

A new check is healthy until data arrive. Each probe result is an observation; the check's
measured status flips only after `failure_threshold` consecutive observations that disagree with
it, either way. The tracker keeps the last observations with their Route 53-style status strings
and the reason of the last transition, for the admin API and the logs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from r53emu.model.catalog import HealthCheckSpec

KEPT_OBSERVATIONS = 8  # as many as Route 53 has checker Regions (semantics §5)
NEW_CHECK_REASON = "new health check: healthy until the first results arrive"


class ObservationLike(Protocol):
    """What the tracker needs of a probe result (see `r53emu.health.probes.Observation`)."""

    @property
    def healthy(self) -> bool: ...

    @property
    def status(self) -> str: ...

    @property
    def checked_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Transition:
    """A flip of a check's measured status, with the observation that caused it."""

    check_id: str
    healthy: bool
    reason: str
    at: datetime


@dataclass
class CheckTracker:
    """The measured state of one probed check; owned and mutated by the scheduler only."""

    spec: HealthCheckSpec
    measured: bool = True  # raw probe verdict (before inversion): new checks start healthy
    streak: int = 0  # consecutive observations disagreeing with `measured`
    observations: deque[ObservationLike] = field(
        default_factory=lambda: deque(maxlen=KEPT_OBSERVATIONS)
    )
    reason: str = NEW_CHECK_REASON

    def record(self, observation: ObservationLike) -> Transition | None:
        """Add one probe result; return the transition when the measured status flips."""
        self.observations.appendleft(observation)
        if observation.healthy == self.measured:
            self.streak = 0
            return None
        self.streak += 1
        if self.streak < self.spec.failure_threshold:
            return None
        self.measured = observation.healthy
        self.streak = 0
        self.reason = (
            f"{self.spec.failure_threshold} consecutive "
            f"{'successes' if observation.healthy else 'failures'}: {observation.status}"
        )
        return Transition(self.spec.id, self.measured, self.reason, observation.checked_at)
