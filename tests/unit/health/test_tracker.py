"""The probed check's state machine: failure_threshold consecutive results flip it, either way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from r53emu.health.tracker import KEPT_OBSERVATIONS, NEW_CHECK_REASON, CheckTracker
from r53emu.model.catalog import HealthCheckSpec, Source

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Result:
    healthy: bool
    status: str
    checked_at: datetime


def tracker(threshold: int) -> CheckTracker:
    spec = HealthCheckSpec(
        id="web", type="HTTP", source=Source("z.yaml", 1), failure_threshold=threshold
    )
    return CheckTracker(spec)


def feed(check: CheckTracker, verdicts: str) -> list[bool]:
    """Record one observation per character (`+` ok, `-` failed); return `measured` after each."""
    measured = []
    for index, verdict in enumerate(verdicts):
        healthy = verdict == "+"
        status = "Success: HTTP Status Code 200, OK" if healthy else "Failure: HTTP Status Code 503"
        check.record(Result(healthy, status, START + timedelta(seconds=index)))
        measured.append(check.measured)
    return measured


def test_new_check_is_healthy_until_data_arrive() -> None:
    """Before any observation the check is healthy, with the new-check reason."""
    check = tracker(3)
    assert check.measured is True
    assert check.reason == NEW_CHECK_REASON


@pytest.mark.parametrize(
    ("threshold", "verdicts", "expected"),
    [
        (3, "--", [True, True]),
        (3, "---", [True, True, False]),
        (3, "--+--", [True, True, True, True, True]),  # a success resets the count
        (1, "-", [False]),
        (1, "-+-", [False, True, False]),
        (2, "--++", [True, False, False, True]),  # recovering needs the threshold too
        (2, "--+-+", [True, False, False, False, False]),
        (10, "-" * 10, [True] * 9 + [False]),
    ],
)
def test_threshold_flips_either_way(threshold: int, verdicts: str, expected: list[bool]) -> None:
    """The measured status flips after `failure_threshold` consecutive disagreeing results."""
    assert feed(tracker(threshold), verdicts) == expected


def test_transition_records_time_and_reason() -> None:
    """A flip returns the transition with its time; the check keeps the status that caused it."""
    check = tracker(2)
    feed(check, "-")
    transition = check.record(
        Result(False, "Failure: HTTP Status Code 503", START + timedelta(seconds=9))
    )
    assert transition is not None
    assert transition.healthy is False
    assert transition.at == START + timedelta(seconds=9)
    assert check.reason == "2 consecutive failures: Failure: HTTP Status Code 503"
    assert transition.reason == check.reason


def test_agreeing_observation_is_no_transition() -> None:
    """Results that agree with the status return no transition."""
    check = tracker(1)
    assert check.record(Result(True, "ok", START)) is None


def test_keeps_the_latest_observations_newest_first() -> None:
    """Only the last few observations are kept, newest first, for the status report."""
    check = tracker(3)
    feed(check, "+" * (KEPT_OBSERVATIONS + 3))
    kept = [observation.checked_at for observation in check.observations]
    assert len(kept) == KEPT_OBSERVATIONS
    assert kept == sorted(kept, reverse=True)
    assert kept[0] == START + timedelta(seconds=KEPT_OBSERVATIONS + 2)
