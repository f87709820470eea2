"""Failover routing (semantics §3.4): the primary/secondary truth table."""

from __future__ import annotations

import pytest

from r53emu.answer.routing import failover
from r53emu.model.catalog import FailoverRouting, RecordSet
from tests.support.routing_records import context, group, ids, record

PRIMARY = record("main", FailoverRouting(primary=True))
SECONDARY = record("backup", FailoverRouting(primary=False))


@pytest.mark.parametrize(
    ("unhealthy", "answer"),
    [
        (set(), "main"),
        ({"backup"}, "main"),
        ({"main"}, "backup"),
        ({"main", "backup"}, "main"),
    ],
)
@pytest.mark.parametrize("order", ["primary first", "secondary first"])
def test_failover_truth_table(unhealthy: set[str], answer: str, order: str) -> None:
    """Primary while healthy, else a healthy secondary; both unhealthy -> primary; file order
    does not matter."""
    members = (PRIMARY, SECONDARY) if order == "primary first" else (SECONDARY, PRIMARY)
    selection = failover.choose(group(*members), context(unhealthy=unhealthy))
    assert ids(selection) == [answer]
    assert not selection.location_dependent


@pytest.mark.parametrize("member", [PRIMARY, SECONDARY])
@pytest.mark.parametrize("unhealthy", [set(), {"main", "backup"}])
def test_lone_record_is_served(member: RecordSet, unhealthy: set[str]) -> None:
    """A group with only a primary or only a secondary serves it, healthy or not (UNCONFIRMED)."""
    selection = failover.choose(group(member), context(unhealthy=unhealthy))
    assert selection.chosen == (member,)


@pytest.mark.parametrize(
    ("unhealthy", "reason"),
    [
        (set(), "primary main healthy"),
        ({"main"}, "primary main unhealthy, secondary backup healthy"),
        ({"main", "backup"}, "primary main and secondary backup unhealthy: primary"),
    ],
)
def test_reason_names_health(unhealthy: set[str], reason: str) -> None:
    """The explanation says which role answered and the health that decided it."""
    selection = failover.choose(group(PRIMARY, SECONDARY), context(unhealthy=unhealthy))
    assert selection.reason == reason
