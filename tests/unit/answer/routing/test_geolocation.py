"""Geolocation routing (semantics §3.5): most specific location, health fallback, default."""

from __future__ import annotations

import pytest

from r53emu.answer.routing import geolocation
from r53emu.model.catalog import GeolocationRouting, RecordSet
from r53emu.model.location import UNLOCATED, ClientLocation
from tests.support.routing_records import context, group, ids, record


def place(
    country: str | None = None, subdivision: str | None = None, continent: str | None = None
) -> ClientLocation:
    return ClientLocation(country=country, subdivision=subdivision, continent=continent)


def geo(identifier: str, **where: str) -> RecordSet:
    return record(identifier, GeolocationRouting(**where))


US_CA = geo("us-ca", country="US", subdivision="CA")
US = geo("us", country="US")
NA = geo("na", continent="NA")
EU = geo("eu", continent="EU")
DEFAULT = geo("default", country="*")
UA_30 = geo("ua-30", country="UA", subdivision="30")

FULL = group(US_CA, US, NA, EU, DEFAULT, UA_30)


@pytest.mark.parametrize(
    ("location", "answer"),
    [
        (place("US", "CA", "NA"), "us-ca"),
        (place("US", "WA", "NA"), "us"),
        (place("US", None, "NA"), "us"),
        (place("MX", None, "NA"), "na"),
        (place("DE", None, "EU"), "eu"),
        (place("UA", "30", "EU"), "ua-30"),
        (place("UA", "05", "EU"), "eu"),
        (place("JP", None, "AS"), "default"),
        (place(None, None, "EU"), "eu"),  # known only to the continent
        (UNLOCATED, "default"),
    ],
)
def test_most_specific_location_wins(location: ClientLocation, answer: str) -> None:
    """Subdivision > country > continent > default, each matching only its own area."""
    selection = geolocation.choose(FULL, context(location=location))
    assert ids(selection) == [answer]
    assert selection.location_dependent


def test_continent_comes_from_route53_table_when_location_lacks_it() -> None:
    """A client placed by country alone gets Route 53's continent: TR is in EU."""
    assert ids(geolocation.choose(FULL, context(location=place("TR")))) == ["eu"]


def test_subdivision_code_of_another_country_does_not_match() -> None:
    """A subdivision record matches only inside its own country (UA-30 is not US-30)."""
    assert ids(geolocation.choose(FULL, context(location=place("US", "30", "NA")))) == ["us"]


@pytest.mark.parametrize(
    ("members", "answer"),
    [
        ((US_CA, US, NA, DEFAULT), "us"),
        ((US_CA, NA, DEFAULT), "na"),  # UNCONFIRMED: NA before the default (Inferred)
        ((US_CA, DEFAULT), "default"),
        ((US_CA, EU), None),
    ],
)
def test_us_client_known_at_country_level(
    members: tuple[RecordSet, ...], answer: str | None
) -> None:
    """A US client without a state: the US record, else NA, else default, else no answer."""
    selection = geolocation.choose(group(*members), context(location=place("US", None, "NA")))
    assert ids(selection) == ([] if answer is None else [answer])


@pytest.mark.parametrize(
    ("unhealthy", "answer"),
    [
        (set(), "us-ca"),
        ({"us-ca"}, "us"),
        ({"us-ca", "us"}, "na"),
        ({"us-ca", "us", "na"}, "default"),
        ({"us-ca", "us", "na", "default"}, "us-ca"),
        ({"us", "na"}, "us-ca"),
        ({"us-ca", "na"}, "us"),
        ({"eu", "us-ca"}, "us"),
    ],
)
def test_health_falls_back_to_wider_location(unhealthy: set[str], answer: str) -> None:
    """An unhealthy record yields to the next wider match (state -> US -> NA -> default); all
    matching records unhealthy -> the most specific answers anyway."""
    location = place("US", "CA", "NA")
    selection = geolocation.choose(FULL, context(location=location, unhealthy=unhealthy))
    assert ids(selection) == [answer]


def test_unhealthy_match_without_default_fails_open() -> None:
    """The only matching record answers even when unhealthy (no wider record to fall back to)."""
    grp = group(US_CA, EU)
    location = place("US", "CA", "NA")
    assert ids(geolocation.choose(grp, context(location=location, unhealthy={"us-ca"}))) == [
        "us-ca"
    ]


@pytest.mark.parametrize("location", [UNLOCATED, place("JP", None, "AS")])
def test_no_match_and_no_default_is_empty(location: ClientLocation) -> None:
    """Without a matching record or a default the selection is empty (the lookup's NODATA)."""
    selection = geolocation.choose(group(US_CA, US, EU), context(location=location))
    assert selection.chosen == ()
    assert "there is no default" in selection.reason
    assert selection.location_dependent


def test_default_only_group_answers_everyone() -> None:
    """A group holding just the default record answers every client, located or not."""
    for location in (UNLOCATED, place("DE", None, "EU"), place("US", "CA", "NA")):
        assert ids(geolocation.choose(group(DEFAULT), context(location=location))) == ["default"]


def test_reasons_name_level_and_fallback() -> None:
    """The explanation says which level matched and which narrower records were unhealthy."""
    location = ClientLocation(country="US", subdivision="CA", continent="NA", source="test")
    fine = geolocation.choose(FULL, context(location=location))
    assert fine.reason == "us-ca matches the client's subdivision (US-CA (test))"
    fallback = geolocation.choose(FULL, context(location=location, unhealthy={"us-ca", "us"}))
    assert (
        fallback.reason
        == "narrower us-ca, us unhealthy; na matches the client's continent (US-CA (test))"
    )
