"""Route 53's geography data: continent table, Region coordinates, country points, distance."""

from __future__ import annotations

import pytest

from r53emu.geo import geography

# The Region enum of the Route 53 API (semantics §3.3).
API_REGIONS = (
    "us-east-1 us-east-2 us-west-1 us-west-2 ca-central-1 ca-west-1 mx-central-1 sa-east-1 "
    "eu-west-1 eu-west-2 eu-west-3 eu-central-1 eu-central-2 eu-north-1 eu-south-1 eu-south-2 "
    "il-central-1 me-south-1 me-central-1 af-south-1 ap-east-1 ap-east-2 ap-south-1 ap-south-2 "
    "ap-southeast-1 ap-southeast-2 ap-southeast-3 ap-southeast-4 ap-southeast-5 ap-southeast-6 "
    "ap-southeast-7 ap-northeast-1 ap-northeast-2 ap-northeast-3 cn-north-1 cn-northwest-1 "
    "us-gov-east-1 us-gov-west-1 eusc-de-east-1"
).split()


@pytest.mark.parametrize(
    ("country", "continent"),
    [
        ("TR", "EU"),
        ("RU", "EU"),
        ("CC", "AS"),
        ("IO", "AS"),
        ("TL", "OC"),
        ("GS", "AN"),
        ("TF", "AN"),
        ("AQ", "AN"),
        ("US", "NA"),
        ("BR", "SA"),
        ("ZA", "AF"),
        ("de", "EU"),
    ],
)
def test_route53_continent_of_country(country: str, continent: str) -> None:
    """Countries map to continents as Route 53's own table does, including its exceptions."""
    assert geography.continent_of(country) == continent


def test_unknown_country_has_no_continent() -> None:
    """A code outside the table has no continent (it can only match the default record)."""
    assert geography.continent_of("ZZ") is None


def test_every_api_region_has_coordinates() -> None:
    """Every Region value the API accepts has a point, and nothing else does."""
    assert set(geography.region_points()) == set(API_REGIONS)


def test_every_mapped_country_has_a_point() -> None:
    """Each country of the continent table can be placed for latency and geoproximity."""
    missing = set(geography.continents()) - set(geography.country_points())
    assert not missing


def test_distance_is_great_circle() -> None:
    """Distances are haversine km: zero to itself, symmetric, Frankfurt-Ashburn about 6,550."""
    regions = geography.region_points()
    frankfurt, ashburn = regions["eu-central-1"], regions["us-east-1"]
    assert geography.distance_km(frankfurt, frankfurt) == 0
    assert geography.distance_km(frankfurt, ashburn) == pytest.approx(6550, rel=0.01)
    assert geography.distance_km(ashburn, frankfurt) == geography.distance_km(frankfurt, ashburn)


def test_subdivisions_are_us_states_and_ukrainian_oblasts() -> None:
    """US subdivisions are the 50 states and DC; Ukraine's are its oblast codes."""
    assert len(geography.SUBDIVISIONS["US"]) == 51
    assert "CA" in geography.SUBDIVISIONS["US"]
    assert "30" in geography.SUBDIVISIONS["UA"]
