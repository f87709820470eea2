"""The locator: client network -> location, in the order of zone-format.md "Where clients are".

Public addresses (8.8.8.8 ...) appear only as values handed to the locator: nothing is sent.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from r53emu.geo import geography
from r53emu.geo.locator import GeoIPDatabaseError, Locator, parse_default_location
from r53emu.model.catalog import ClientLocationRule, IPNetwork, Source
from r53emu.model.location import UNLOCATED_POINT
from tests.support.mmdb_fixtures import city_record, country_record, write_mmdb

SF = (37.77, -122.42)


def net(text: str) -> IPNetwork:
    return ipaddress.ip_network(text)


def rule(cidr: str, **fields: Any) -> ClientLocationRule:
    return ClientLocationRule(network=net(cidr), source=Source("zones/locations.yaml", 1), **fields)


@pytest.fixture
def city_db(tmp_path: Path) -> Path:
    """An IPv6 GeoLite2-City-like database with IPv4 and IPv6 networks."""
    return write_mmdb(
        tmp_path / "city.mmdb",
        {
            "198.51.100.0/24": city_record("US", "CA", *SF),
            "8.8.8.0/24": city_record("DE", latitude=50.11, longitude=8.68),
            "203.0.113.0/25": country_record("TR", continent="AS"),
            "192.0.2.0/24": city_record("DE", "HE", 50.1, 8.6),
            "2001:db8:100::/48": city_record("JP", latitude=35.68, longitude=139.69),
        },
    )


@pytest.fixture
def locate_with(city_db: Path) -> Iterator[Any]:
    """Builds locators on the city fixture database and closes them afterwards."""
    made: list[Locator] = []

    def build(rules: tuple[ClientLocationRule, ...] = (), default: str | None = None) -> Locator:
        locator = Locator(rules, geoip_db=city_db, default_location=default)
        made.append(locator)
        return locator

    yield build
    for locator in made:
        locator.close()


# --- Step 1: client_locations ------------------------------------------------------------


def test_rule_locates_and_derives_continent_from_route53_table() -> None:
    """A matching rule gives its country, Route 53's continent for it, its point and latency."""
    latency = {"eu-central-1": 5.0, "us-east-1": 90.0}
    locator = Locator(
        [rule("10.1.0.0/16", country="TR", coordinates=(41.0, 29.0), latency=latency)]
    )
    location = locator.locate(net("10.1.2.3/32"))
    assert (location.country, location.subdivision, location.continent) == ("TR", None, "EU")
    assert location.point == (41.0, 29.0)
    assert location.latency == latency
    assert location.source == "client_locations 10.1.0.0/16"


def test_rule_explicit_continent_is_kept() -> None:
    """A rule that sets `continent` keeps it, even where Route 53's table would say otherwise."""
    locator = Locator([rule("10.0.0.0/8", country="TR", continent="AS")])
    assert locator.locate(net("10.9.9.9/32")).continent == "AS"


def test_rule_continent_only_is_located_at_unlocated_point() -> None:
    """A continent-only rule locates the client on that continent, at the unlocated point."""
    location = Locator([rule("10.0.0.0/8", continent="SA")]).locate(net("10.0.0.1/32"))
    assert (location.country, location.continent) == (None, "SA")
    assert location.point == UNLOCATED_POINT


def test_rule_without_coordinates_uses_country_point() -> None:
    """A rule without coordinates places the client at its country's representative point."""
    location = Locator([rule("10.2.0.0/16", country="US", subdivision="CA")]).locate(
        net("10.2.0.1/32")
    )
    assert (location.country, location.subdivision, location.continent) == ("US", "CA", "NA")
    assert location.point == geography.country_points()["US"]


RULES = (
    rule("0.0.0.0/0", country="BR"),
    rule("10.0.0.0/8", country="FR"),
    rule("10.1.0.0/16", country="DE"),
    rule("10.1.2.0/24", country="JP"),
    rule("2001:db8::/32", country="AU"),
)


@pytest.mark.parametrize(
    ("query", "country"),
    [
        ("10.1.2.3/32", "JP"),
        ("10.1.2.0/24", "JP"),
        ("10.1.0.0/20", "DE"),  # the /24 rule is narrower than the query: it cannot contain it
        ("10.1.3.0/24", "DE"),
        ("10.200.0.1/32", "FR"),
        ("10.0.0.0/7", "BR"),
        ("172.16.0.1/32", "BR"),
        ("2001:db8::1/128", "AU"),
        ("2001:db8::/56", "AU"),
    ],
)
def test_longest_containing_rule_wins(query: str, country: str) -> None:
    """The longest rule prefix that contains the whole query network decides, per family."""
    location = Locator(RULES).locate(net(query))
    assert location.country == country


def test_ipv4_rules_never_match_ipv6_queries() -> None:
    """An IPv4 rule, even 0.0.0.0/0, does not locate an IPv6 client."""
    location = Locator([rule("0.0.0.0/0", country="BR")]).locate(net("fd00::1/128"))
    assert location.source == "unlocated"


def test_many_rules_match_exactly() -> None:
    """With thousands of rules the indexed match still finds exactly the containing one."""
    rules = [rule(f"10.{i // 256}.{i % 256}.0/24", country="DE") for i in range(5000)]
    rules.append(rule("10.7.7.128/25", country="JP"))
    locator = Locator(rules)
    assert locator.locate(net("10.7.7.200/32")).source == "client_locations 10.7.7.128/25"
    assert locator.locate(net("10.7.7.1/32")).source == "client_locations 10.7.7.0/24"
    assert locator.locate(net("10.19.135.1/32")).source == "client_locations 10.19.135.0/24"
    assert locator.locate(net("10.19.136.1/32")).source == "unlocated"  # the 5000th /24 is .135


def test_rule_beats_database(locate_with: Any) -> None:
    """A client_locations rule wins over the database for the same address."""
    locator = locate_with((rule("198.51.100.0/25", country="JP"),))
    assert locator.locate(net("198.51.100.7/32")).country == "JP"
    assert locator.locate(net("198.51.100.200/32")).source == "geoip-db"


# --- Step 2: the MaxMind-format database -------------------------------------------------


def test_database_city_record(locate_with: Any) -> None:
    """A GeoLite2-City record gives country, subdivision, Route 53 continent and its point."""
    location = locate_with().locate(net("198.51.100.7/32"))
    assert (location.country, location.subdivision, location.continent) == ("US", "CA", "NA")
    assert location.point == SF
    assert location.source == "geoip-db"


def test_database_beats_built_in(locate_with: Any) -> None:
    """The database decides over the built-in data (8.8.8.8 is US there, DE in the fixture)."""
    location = locate_with().locate(net("8.8.8.8/32"))
    assert (location.country, location.source, location.point) == ("DE", "geoip-db", (50.11, 8.68))


def test_database_continent_is_ignored_for_route53_table(locate_with: Any) -> None:
    """MaxMind says TR is in Asia; the client is in Europe as Route 53's table says."""
    location = locate_with().locate(net("203.0.113.1/32"))
    assert (location.country, location.continent) == ("TR", "EU")


def test_database_without_location_uses_country_point(locate_with: Any) -> None:
    """A country-only record places the client at its country's representative point."""
    location = locate_with().locate(net("203.0.113.1/32"))
    assert location.point == geography.country_points()["TR"]


def test_database_subdivision_unknown_to_route53_is_dropped(locate_with: Any) -> None:
    """A subdivision Route 53 cannot route on (DE-HE) is not part of the location."""
    location = locate_with().locate(net("192.0.2.1/32"))
    assert (location.country, location.subdivision) == ("DE", None)


def test_database_ipv6_record(locate_with: Any) -> None:
    """An IPv6 network of the database locates IPv6 clients."""
    location = locate_with().locate(net("2001:db8:100:5::1/128"))
    assert (location.country, location.continent, location.point) == ("JP", "AS", (35.68, 139.69))


def test_ipv4_only_database_leaves_ipv6_to_built_in(tmp_path: Path) -> None:
    """An IPv4-only database is skipped for IPv6 clients, which the built-in data then locates."""
    db = write_mmdb(tmp_path / "v4.mmdb", {"8.8.8.0/24": country_record("DE")}, ip_version=4)
    with Locator((), geoip_db=db) as locator:
        assert locator.locate(net("8.8.8.8/32")).country == "DE"
        location = locator.locate(net("2001:4860:4860::8888/128"))
    assert (location.country, location.source) == ("US", "built-in")


def test_database_records_without_country_fall_through(tmp_path: Path) -> None:
    """A record without a country (continent only) does not place the client: the next step does."""
    db = write_mmdb(tmp_path / "cont.mmdb", {"8.8.8.0/24": {"continent": {"code": "EU"}}})
    with Locator((), geoip_db=db) as locator:
        location = locator.locate(net("8.8.8.8/32"))
    assert (location.country, location.source) == ("US", "built-in")


def test_database_registered_country_and_dbip_layout(tmp_path: Path) -> None:
    """`registered_country` stands in for a missing `country`; DB-IP name-only subdivisions
    give no subdivision."""
    db = write_mmdb(
        tmp_path / "dbip.mmdb",
        {
            "198.51.100.0/24": {"registered_country": {"iso_code": "fr"}},
            "203.0.113.0/24": {
                "country": {"iso_code": "US"},
                "subdivisions": [{"names": {"en": "California"}}],
                "location": {"latitude": 34.05, "longitude": -118.24},
            },
        },
        database_type="DBIP-City-Lite",
    )
    with Locator((), geoip_db=db) as locator:
        registered = locator.locate(net("198.51.100.1/32"))
        dbip = locator.locate(net("203.0.113.1/32"))
    assert (registered.country, registered.continent) == ("FR", "EU")
    assert (dbip.country, dbip.subdivision, dbip.point) == ("US", None, (34.05, -118.24))


def test_database_miss_falls_to_built_in(locate_with: Any) -> None:
    """An address the database has no record for goes to the built-in data."""
    location = locate_with().locate(net("1.1.1.1/32"))
    assert (location.country, location.source) == ("AU", "built-in")


# --- Step 3: built-in data ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "country", "continent"),
    [
        ("8.8.8.8/32", "US", "NA"),
        ("8.8.8.0/24", "US", "NA"),
        ("2001:4860:4860::8888/128", "US", "NA"),
        ("2001:4860:4860::/56", "US", "NA"),
        ("85.105.0.1/32", "TR", "EU"),
        ("193.0.6.139/32", "NL", "EU"),
    ],
)
def test_built_in_data(query: str, country: str, continent: str) -> None:
    """Built-in data gives the country, Route 53's continent and its point."""
    location = Locator(()).locate(net(query))
    assert (location.country, location.continent, location.source) == (
        country,
        continent,
        "built-in",
    )
    assert location.point == geography.country_points()[country]


def test_ecs_subnet_is_located_by_its_network_address() -> None:
    """An ECS subnet is looked up by its network address (8.8.8.0 for 8.8.8.0/24)."""
    locator = Locator([rule("8.8.8.0/32", country="JP")])
    assert locator.locate(net("8.8.8.0/24")).source == "built-in"  # the /32 rule is narrower
    assert locator.locate(net("8.8.8.0/32")).country == "JP"


def test_built_in_beats_default() -> None:
    """An address the built-in data knows is not given the default location."""
    assert Locator((), default_location="DE").locate(net("8.8.8.8/32")).country == "US"


def test_ipv4_mapped_addresses_are_located_as_ipv4() -> None:
    """::ffff:a.b.c.d is located as a.b.c.d."""
    locator = Locator([rule("10.1.0.0/16", country="DE")])
    mapped_rule = locator.locate(net("::ffff:10.1.0.0/112"))
    mapped_built_in = locator.locate(net("::ffff:8.8.8.8/128"))
    assert mapped_rule.country == "DE"
    assert mapped_built_in.country == "US"


# --- Step 4 and 5: default location, unlocated -------------------------------------------


@pytest.mark.parametrize(
    ("setting", "country", "subdivision", "continent"),
    [("DE", "DE", None, "EU"), ("US-CA", "US", "CA", "NA"), ("tr", "TR", None, "EU")],
)
def test_default_location_for_unknown_addresses(
    setting: str, country: str, subdivision: str | None, continent: str
) -> None:
    """Addresses nothing else locates (private, loopback) get the default location."""
    locator = Locator((), default_location=setting)
    for query in ("10.0.0.1/32", "192.168.0.0/16", "::1/128"):
        location = locator.locate(net(query))
        assert (location.country, location.subdivision, location.continent) == (
            country,
            subdivision,
            continent,
        )
        assert location.point == geography.country_points()[country]
        assert location.source == "default-location"


@pytest.mark.parametrize("query", ["127.0.0.1/32", "fd00::/48"])
def test_unlocated_without_default(query: str) -> None:
    """With no default, an address nothing locates is unlocated at us-east-1's point."""
    location = Locator(()).locate(net(query))
    assert (location.country, location.continent, location.point) == (None, None, UNLOCATED_POINT)
    assert location.source == "unlocated"


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("", "expected a country code"),
        ("D", "expected a country code"),
        ("DEU", "expected a country code"),
        ("US_CA", "expected a country code"),
        ("US-", "expected a country code"),
        ("ZZ", "ZZ is not a Route 53 country code"),
        ("BV", "BV is not a Route 53 country code"),
        ("US-XX", "XX is not a Route 53 subdivision of US"),
        ("DE-BY", "BY is not a Route 53 subdivision of DE"),
    ],
)
def test_bad_default_location_is_rejected(setting: str, problem: str) -> None:
    """A malformed or unknown default location is a ValueError naming the value and problem."""
    with pytest.raises(ValueError, match=problem) as raised:
        Locator((), default_location=setting)
    assert repr(setting) in str(raised.value)


def test_parse_default_location() -> None:
    """The setting parses to (country, subdivision), upper-cased."""
    assert parse_default_location("ua-30") == ("UA", "30")
    assert parse_default_location("JP") == ("JP", None)


# --- Database errors ---------------------------------------------------------------------


def test_file_that_is_not_a_database_is_rejected(tmp_path: Path) -> None:
    """A file that is not a MaxMind database fails at construction, naming the file."""
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"not a database" * 20)
    with pytest.raises(GeoIPDatabaseError, match=r"bad\.mmdb") as raised:
        Locator((), geoip_db=bad)
    assert raised.value.path == bad


def test_missing_database_is_rejected(tmp_path: Path) -> None:
    """A database path that does not exist fails at construction, naming the file."""
    with pytest.raises(GeoIPDatabaseError, match=r"missing\.mmdb"):
        Locator((), geoip_db=tmp_path / "missing.mmdb")


def test_corrupt_record_is_an_error_naming_the_file(tmp_path: Path) -> None:
    """A record the reader cannot decode raises an error naming the file and the address."""
    db = write_mmdb(
        tmp_path / "corrupt.mmdb",
        {"198.51.100.0/24": city_record("US", latitude=1.5, longitude=2.5)},
        ip_version=4,
    )
    data = bytearray(db.read_bytes())
    data_start = data.index(bytes(16)) + 16
    metadata_start = data.index(b"\xab\xcd\xefMaxMind.com")
    record = data.rindex(b"\xe2", data_start, metadata_start)  # the record: a map of 2 keys
    data[record : record + 2] = b"\x00\x10"  # extended type 7 + 16: no such type
    db.write_bytes(bytes(data))
    with (
        Locator((), geoip_db=db) as locator,
        pytest.raises(GeoIPDatabaseError, match=r"corrupt\.mmdb.*198\.51\.100\.1"),
    ):
        locator.locate(net("198.51.100.1/32"))


# --- Caching ----------------------------------------------------------------------------


def test_repeated_queries_are_answered_from_the_cache(locate_with: Any) -> None:
    """The same network, even as a new object, gets the same (cached) location object."""
    locator = locate_with()
    first = locator.locate(net("198.51.100.0/24"))
    again = locator.locate(ipaddress.IPv4Network("198.51.100.0/24"))
    assert again == first
    assert again is first
