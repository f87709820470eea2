"""Latency routing (semantics §3.3): lowest latency Region, health fallback, the China rule."""

from __future__ import annotations

import pytest

from r53emu.answer.routing import latency
from r53emu.geo.geography import region_points
from r53emu.model.catalog import LatencyRouting, RecordGroup
from r53emu.model.location import UNLOCATED, ClientLocation
from tests.support.routing_records import context, group, ids, record

FRANKFURT = ClientLocation(country="DE", continent="EU", point=(50.11, 8.68), source="test")
TOKYO = ClientLocation(country="JP", continent="AS", point=(35.68, 139.69), source="test")
SHENZHEN = ClientLocation(country="CN", continent="AS", point=(22.54, 114.06), source="test")
HONG_KONG = ClientLocation(country="HK", continent="AS", point=(22.54, 114.06), source="test")


def regions(*codes: str) -> RecordGroup:
    """A latency group with one record per Region, each identified by its Region code."""
    return group(*(record(code, LatencyRouting(code)) for code in codes))


WORLD = regions("us-east-1", "eu-central-1", "ap-northeast-1")


@pytest.mark.parametrize(
    ("location", "answer"),
    [
        (FRANKFURT, "eu-central-1"),
        (TOKYO, "ap-northeast-1"),
        (UNLOCATED, "us-east-1"),  # unlocated clients sit at us-east-1's coordinates
    ],
)
def test_closest_region_answers(location: ClientLocation, answer: str) -> None:
    """Without a latency table, the Region nearest the client's point answers."""
    selection = latency.choose(WORLD, context(location=location))
    assert ids(selection) == [answer]
    assert selection.location_dependent


def test_latency_table_overrides_distance() -> None:
    """An explicit latency table decides over distance: Frankfurt with us-east-1 at 5 ms."""
    table = {"us-east-1": 5.0, "eu-central-1": 80.0, "ap-northeast-1": 250.0}
    location = ClientLocation(country="DE", point=(50.11, 8.68), latency=table, source="test")
    selection = latency.choose(WORLD, context(location=location))
    assert ids(selection) == ["us-east-1"]
    assert selection.reason == "us-east-1 has the lowest latency: 5 ms per the latency table"


def test_region_missing_from_table_uses_distance() -> None:
    """A Region the table lacks is measured by distance (here ~0 km beats the table's 90 ms)."""
    location = ClientLocation(
        country="JP", point=region_points()["ap-northeast-1"], latency={"us-west-2": 90.0}
    )
    selection = latency.choose(regions("us-west-2", "ap-northeast-1"), context(location=location))
    assert ids(selection) == ["ap-northeast-1"]


def test_distance_is_estimated_in_milliseconds_beside_a_table() -> None:
    """Distance turns into ~km/100 ms, so 1,000 km (~10 ms) beats a table's 30 ms."""
    frankfurt = region_points()["eu-central-1"]
    zurich_side = (frankfurt[0] - 8.0, frankfurt[1])  # ~890 km south of Frankfurt
    location = ClientLocation(country="IT", point=zurich_side, latency={"us-east-1": 30.0})
    selection = latency.choose(regions("us-east-1", "eu-central-1"), context(location=location))
    assert ids(selection) == ["eu-central-1"]
    assert selection.reason == "eu-central-1 has the lowest latency: about 9 ms, 890 km away"


@pytest.mark.parametrize(
    ("unhealthy", "answer"),
    [
        (set(), "eu-central-1"),
        ({"eu-central-1"}, "eu-west-2"),
        ({"eu-central-1", "eu-west-2"}, "us-east-1"),
        ({"eu-west-2"}, "eu-central-1"),
        ({"eu-central-1", "eu-west-2", "us-east-1"}, "eu-central-1"),
    ],
)
def test_health_falls_back_to_next_best(unhealthy: set[str], answer: str) -> None:
    """An unhealthy best Region yields to the next best healthy one; all unhealthy -> best."""
    grp = regions("us-east-1", "eu-west-2", "eu-central-1")
    selection = latency.choose(grp, context(location=FRANKFURT, unhealthy=unhealthy))
    assert ids(selection) == [answer]


@pytest.mark.parametrize(
    ("location", "unhealthy", "answer"),
    [
        (SHENZHEN, set(), "cn-north-1"),
        (HONG_KONG, set(), "ap-east-1"),
        (SHENZHEN, {"cn-north-1"}, "ap-east-1"),
    ],
)
def test_cn_north_1_answers_clients_in_china(
    location: ClientLocation, unhealthy: set[str], answer: str
) -> None:
    """A cn-north-1 record answers clients in China even where another Region is nearer;
    unhealthy, it yields like any best record."""
    grp = regions("ap-east-1", "cn-north-1")
    selection = latency.choose(grp, context(location=location, unhealthy=unhealthy))
    assert ids(selection) == [answer]


def test_reasons_name_skipped_and_fail_open() -> None:
    """The explanation names unhealthy better Regions, and says when it failed open."""
    grp = regions("us-east-1", "eu-central-1")
    skipped = latency.choose(grp, context(location=FRANKFURT, unhealthy={"eu-central-1"}))
    assert skipped.reason.startswith("lower-latency eu-central-1 unhealthy; us-east-1 has the")
    assert skipped.reason.endswith("km away")
    failed = latency.choose(
        grp, context(location=FRANKFURT, unhealthy={"eu-central-1", "us-east-1"})
    )
    assert failed.reason.startswith("no record healthy: lowest latency eu-central-1")
    assert failed.reason.endswith("(fail-open)")
