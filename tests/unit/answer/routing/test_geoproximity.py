"""Geoproximity routing (semantics §3.6): closest record after bias, by Region, Local Zone group
or coordinates, with health fallback."""

from __future__ import annotations

import pytest

from r53emu.answer.routing import geoproximity
from r53emu.geo import geography
from r53emu.model.catalog import GeoproximityRouting, Point, RecordSet
from r53emu.model.location import ClientLocation
from tests.support.routing_records import context, group, ids, record

ORIGIN = ClientLocation(country="GA", continent="AF", point=(0.0, 0.0), source="test")
BOSTON = ClientLocation(country="US", subdivision="MA", point=(42.36, -71.06), source="test")
FRANKFURT = ClientLocation(country="DE", point=(50.11, 8.68), source="test")


def at(identifier: str, point: Point, bias: int = 0) -> RecordSet:
    return record(identifier, GeoproximityRouting(coordinates=point, bias=bias))


def in_region(identifier: str, region: str, bias: int = 0) -> RecordSet:
    return record(identifier, GeoproximityRouting(region=region, bias=bias))


def in_local_zone(identifier: str, local_zone_group: str) -> RecordSet:
    return record(identifier, GeoproximityRouting(local_zone_group=local_zone_group))


# On the equator 0.90 degrees of longitude are 100.1 km and 1.35 degrees 150.1 km.
KM_100 = (0.0, 0.90)
KM_150 = (0.0, 1.35)


@pytest.mark.parametrize(
    ("distance", "bias", "biased"),
    [
        (150.0, 50, 75.0),
        (100.0, 0, 100.0),
        (100.0, 99, 1.0),
        (100.0, -50, 200.0),
        (100.0, -99, 10_000.0),
        (100.0, 25, 75.0),
    ],
)
def test_bias_formula(distance: float, bias: int, biased: float) -> None:
    """bias > 0: d*(1 - bias/100); bias < 0: d/(1 + bias/100); bias 0 leaves d as it is."""
    assert geoproximity.biased_distance(distance, bias) == pytest.approx(biased)


def test_spec_worked_example() -> None:
    """Bias +50 at 150 km (biased 75 km) beats an unbiased record at 100 km."""
    grp = group(at("near", KM_100), at("biased", KM_150, bias=50))
    selection = geoproximity.choose(grp, context(location=ORIGIN))
    assert ids(selection) == ["biased"]
    assert selection.reason == "biased is closest: 75 km biased (150 km, bias +50)"
    assert selection.location_dependent


def test_without_bias_the_nearer_wins() -> None:
    """Unbiased, the 100 km record beats the 150 km one."""
    grp = group(at("far", KM_150), at("near", KM_100))
    assert ids(geoproximity.choose(grp, context(location=ORIGIN))) == ["near"]


def test_negative_bias_pushes_a_record_away() -> None:
    """Bias -50 doubles 100 km to 200 km, so the 150 km record wins."""
    grp = group(at("shrunk", KM_100, bias=-50), at("far", KM_150))
    assert ids(geoproximity.choose(grp, context(location=ORIGIN))) == ["far"]


def test_region_records_use_region_coordinates() -> None:
    """A Frankfurt client is closest to the eu-central-1 record."""
    grp = group(in_region("virginia", "us-east-1"), in_region("frankfurt", "eu-central-1"))
    assert ids(geoproximity.choose(grp, context(location=FRANKFURT))) == ["frankfurt"]


def test_local_zone_group_uses_its_city() -> None:
    """A Boston client is closer to the us-east-1-bos-1 Local Zone than to us-east-1 itself."""
    grp = group(in_region("region", "us-east-1"), in_local_zone("boston", "us-east-1-bos-1"))
    assert ids(geoproximity.choose(grp, context(location=BOSTON))) == ["boston"]


@pytest.mark.parametrize(
    ("local_zone_group", "region"),
    [
        ("us-west-2-xyz-1", "us-west-2"),
        ("ap-southeast-2-zzz-9", "ap-southeast-2"),
        ("eu-central-1-new-2", "eu-central-1"),
    ],
)
def test_unknown_local_zone_group_falls_back_to_parent_region(
    local_zone_group: str, region: str
) -> None:
    """A Local Zone group the data file lacks is placed at its parent Region, read from its
    prefix."""
    assert geoproximity.parent_region(local_zone_group) == region
    point = geoproximity.point_of(GeoproximityRouting(local_zone_group=local_zone_group))
    assert point == geography.region_points()[region]


def test_local_zone_group_without_known_region_ranks_last() -> None:
    """A record nothing can place is never closer than a placed one."""
    grp = group(in_local_zone("nowhere", "xx-nowhere-1-abc-1"), in_region("far", "ap-southeast-2"))
    assert geoproximity.point_of(GeoproximityRouting(local_zone_group="xx-nowhere-1-abc-1")) is None
    assert ids(geoproximity.choose(grp, context(location=FRANKFURT))) == ["far"]


@pytest.mark.parametrize(
    ("unhealthy", "answer"),
    [
        (set(), "a"),
        ({"a"}, "b"),
        ({"a", "b"}, "c"),
        ({"b"}, "a"),
        ({"a", "b", "c"}, "a"),
    ],
)
def test_health_skips_to_next_closest(unhealthy: set[str], answer: str) -> None:
    """Unhealthy records are skipped in distance order; all unhealthy -> the closest."""
    grp = group(at("c", (0.0, 3.0)), at("a", (0.0, 1.0)), at("b", (0.0, 2.0)))
    selection = geoproximity.choose(grp, context(location=ORIGIN, unhealthy=unhealthy))
    assert ids(selection) == [answer]


def test_fail_open_reason() -> None:
    """With nothing healthy the explanation says the closest answered by fail-open."""
    grp = group(at("a", KM_100), at("b", KM_150))
    selection = geoproximity.choose(grp, context(location=ORIGIN, unhealthy={"a", "b"}))
    assert selection.reason == "no record healthy: the closest, a, 100 km (fail-open)"


@pytest.mark.parametrize(
    ("local_zone_group", "city"),
    [
        ("us-east-1-bos-1", (42.36, -71.06)),
        ("us-east-1-mia-1", (25.76, -80.19)),
        ("us-west-2-lax-1", (34.05, -118.24)),
        ("us-east-1-bue-1", (-34.60, -58.38)),
    ],
)
def test_local_zone_points_hold_city_centres(local_zone_group: str, city: Point) -> None:
    """The Local Zone data file places well-known groups at their city centres."""
    assert geography.local_zone_points()[local_zone_group] == city


def test_every_local_zone_group_has_a_known_parent_and_valid_point() -> None:
    """Each group of the data file starts with a real parent Region and has a valid point."""
    points = geography.local_zone_points()
    assert len(points) >= 30
    for name, (latitude, longitude) in points.items():
        assert geoproximity.parent_region(name) is not None, name
        assert -90 <= latitude <= 90, name
        assert -180 <= longitude <= 180, name
