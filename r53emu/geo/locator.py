"""Where a client is: client network -> `ClientLocation` (zone-format.md "Where clients are").

Route 53 locates a client by its EDNS Client Subnet, else by the resolver's source address
(semantics §2.9). The emulator maps that network to a location by, in order:

1. `client_locations` rules of the catalog: the longest rule prefix that contains the query
   network wins (same address family; the query's prefix must be at least the rule's);
2. a MaxMind-format database (`--geoip-db`: GeoLite2-Country/City, DB-IP lite, any file with
   `country.iso_code`, optional `subdivisions[0].iso_code` and `location.latitude/longitude`);
3. the built-in offline IP -> country data of the `iptocc` package;
4. the `--default-location` setting (`DE`, `US-CA`: a country and an optional subdivision);
5. else the client is unlocated (`r53emu.model.location.UNLOCATED`: no country, us-east-1's point).

The continent always comes from Route 53's own table (`geography.continent_of`), never from the
database, so its quirks (TR and RU in EU, ...) hold whatever placed the client; a rule may set
`continent` explicitly, and that is kept. Coordinates: the rule's, else the database's, else the
country's representative point, else the unlocated point.

`ClientLocation.source` says which step decided (`client_locations 10.1.0.0/16`, `geoip-db`,
`built-in`, `default-location`, `unlocated`). The locator does not decide the ECS scope of a
reply: the wire layer echoes the query's source prefix as scope when the answer depended on the
location (`r53emu.server.wire`; semantics §2.9 calls the real scope UNCONFIRMED).

API, for the handler, app and CLI:

    locator = Locator(catalog.client_locations, geoip_db=Path(...) or None,
                      default_location="US-CA" or None)  # ValueError / GeoIPDatabaseError
    location = locator.locate(client_network)            # ECS subnet, else source /32 or /128
    locator.close()                                      # releases the database file

`parse_default_location(text)` validates a `--default-location` value on its own (usable as an
argparse `type=`). Results are cached per query network (bounded LRU) since the same ECS
prefixes repeat; a locator is immutable apart from that cache, so a zone reload builds a new one
(r53emu.ops.reloading).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import iptocc
import maxminddb

from r53emu.geo import geography
from r53emu.model.catalog import ClientLocationRule, IPNetwork, Point
from r53emu.model.location import UNLOCATED, UNLOCATED_POINT, ClientLocation

CACHE_SIZE = 65_536  # distinct query networks remembered; ECS prefixes repeat a lot

# IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack socket reports for an IPv4
# peer) are located as the IPv4 address they carry: no rule, database or built-in table
# lists them under IPv6.
_MAPPED_PREFIX = 96

_DEFAULT_LOCATION = re.compile(r"([A-Za-z]{2})(?:-([A-Za-z0-9]{1,3}))?")


class GeoIPDatabaseError(ValueError):
    """The `--geoip-db` file cannot be opened or read; the message names the file."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"MaxMind database {path}: {reason}")
        self.path = path


def parse_default_location(text: str) -> tuple[str, str | None]:
    """`DE` -> ("DE", None), `us-ca` -> ("US", "CA"); ValueError naming the problem otherwise.

    The country must be one Route 53 locates clients in (its continent table, minus the
    countries it has no IP data for, semantics §3.5); a subdivision must be one Route 53 has
    for that country (US states and DC, Ukrainian oblasts).
    """
    match = _DEFAULT_LOCATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"default location {text!r}: expected a country code with an optional "
            "subdivision, such as DE or US-CA"
        )
    country = match.group(1).upper()
    subdivision = match.group(2).upper() if match.group(2) else None
    if geography.continent_of(country) is None or country in geography.UNSUPPORTED_COUNTRIES:
        raise ValueError(f"default location {text!r}: {country} is not a Route 53 country code")
    if subdivision is not None and subdivision not in geography.SUBDIVISIONS.get(
        country, frozenset()
    ):
        raise ValueError(
            f"default location {text!r}: {subdivision} is not a Route 53 subdivision of {country}"
        )
    return country, subdivision


class _RuleTable:
    """`client_locations` rules indexed for longest-prefix match without a linear scan.

    Per address family, one dict per prefix length (key: the network's top `prefixlen` bits),
    tried longest first: at most 33 / 129 dict probes whatever the number of rules.
    """

    def __init__(self, rules: Sequence[ClientLocationRule]) -> None:
        by_length: dict[int, dict[int, dict[int, ClientLocationRule]]] = {4: {}, 6: {}}
        for rule in rules:
            net = rule.network
            table = by_length[net.version].setdefault(net.prefixlen, {})
            # Duplicate networks are a load error (zone loader); should one slip through, the
            # first definition wins, as in file order.
            table.setdefault(_top_bits(net.network_address, net.prefixlen), rule)
        self._tables = {
            version: sorted(tables.items(), reverse=True) for version, tables in by_length.items()
        }

    def match(self, network: IPNetwork) -> ClientLocationRule | None:
        address = network.network_address
        bits, width = int(address), address.max_prefixlen
        for prefixlen, table in self._tables[network.version]:
            if prefixlen > network.prefixlen:
                continue  # a rule narrower than the query does not contain it
            rule = table.get(bits >> (width - prefixlen))
            if rule is not None:
                return rule
        return None


def _top_bits(address: ipaddress.IPv4Address | ipaddress.IPv6Address, prefixlen: int) -> int:
    return int(address) >> (address.max_prefixlen - prefixlen)


class _GeoIPDatabase:
    """A MaxMind-format database opened once; lookups give country, subdivision and point."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._reader = maxminddb.open_database(str(path))
            self._ip_version = self._reader.metadata().ip_version
        except (OSError, ValueError, RuntimeError) as error:
            # RuntimeError covers maxminddb.InvalidDatabaseError (corrupt or not a database).
            raise GeoIPDatabaseError(path, f"cannot open: {error}") from error

    def lookup(self, network: IPNetwork) -> ClientLocation | None:
        """The location the database gives the network's address, or None when it has no
        record with a country for it."""
        if network.version == 6 and self._ip_version == 4:
            return None  # an IPv4-only database knows nothing of IPv6 clients
        try:
            record = self._reader.get(network.network_address)
        except (ValueError, RuntimeError) as error:
            raise GeoIPDatabaseError(
                self.path, f"cannot read the record of {network.network_address}: {error}"
            ) from error
        if not isinstance(record, dict):
            return None
        country = _country_of(record)
        if country is None:
            # A record without a country (continent-only networks) cannot place the client:
            # the continent must come from Route 53's table, so the next step decides.
            return None
        return ClientLocation(
            country=country,
            subdivision=_subdivision_of(record, country),
            continent=geography.continent_of(country),
            point=_point_of(record) or _country_point(country),
            source="geoip-db",
        )

    def close(self) -> None:
        self._reader.close()


def _iso_code(value: Any) -> str | None:
    code = value.get("iso_code") if isinstance(value, dict) else None
    return code.upper() if isinstance(code, str) and code else None


def _country_of(record: dict[str, Any]) -> str | None:
    # `registered_country` when `country` is absent: GeoLite2 leaves `country` out for some
    # networks (satellite, anycast) but still names the registrant's country.
    return _iso_code(record.get("country")) or _iso_code(record.get("registered_country"))


def _subdivision_of(record: dict[str, Any], country: str) -> str | None:
    subdivisions = record.get("subdivisions")
    if not isinstance(subdivisions, list) or not subdivisions:
        return None
    code = _iso_code(subdivisions[0])
    # Only subdivisions Route 53 routes on (US states, UA oblasts): any other could never
    # match a geolocation record. DB-IP lite gives subdivision names without codes: None.
    return code if code in geography.SUBDIVISIONS.get(country, frozenset()) else None


def _point_of(record: dict[str, Any]) -> Point | None:
    location = record.get("location")
    if not isinstance(location, dict):
        return None
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return (float(latitude), float(longitude))


def _country_point(country: str | None) -> Point:
    if country is None:
        return UNLOCATED_POINT
    return geography.country_points().get(country, UNLOCATED_POINT)


def _unmapped(network: IPNetwork) -> IPNetwork:
    """The IPv4 network an IPv4-mapped IPv6 network stands for, else the network itself."""
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= _MAPPED_PREFIX:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return ipaddress.IPv4Network((mapped, network.prefixlen - _MAPPED_PREFIX))
    return network


class Locator:
    """Maps a client network to its `ClientLocation` in the order of zone-format.md.

    Raises ValueError for a bad `default_location` and GeoIPDatabaseError (a ValueError too)
    for a database file that cannot be opened or is not a MaxMind database.
    """

    def __init__(
        self,
        client_locations: Sequence[ClientLocationRule],
        geoip_db: Path | None = None,
        default_location: str | None = None,
    ) -> None:
        default = None
        if default_location is not None:
            default = parse_default_location(default_location)
        self._rules = _RuleTable(client_locations)
        # Each rule's location, made once: every client under a rule is placed alike.
        self._by_rule = {id(rule): _from_rule(rule) for rule in client_locations}
        self._database = _GeoIPDatabase(geoip_db) if geoip_db is not None else None
        self._default = default
        # Per instance, so a new locator (a zone reload) starts with an empty cache.
        self._cached: Callable[[IPNetwork], ClientLocation] = lru_cache(maxsize=CACHE_SIZE)(
            self._locate
        )

    def close(self) -> None:
        if self._database is not None:
            self._database.close()

    def __enter__(self) -> Locator:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def locate(self, network: IPNetwork) -> ClientLocation:
        """Where the client of `network` is: the ECS subnet (its source prefix), else the
        resolver's address as a /32 or /128. Lookups use the network's address."""
        return self._cached(network)

    def _locate(self, network: IPNetwork) -> ClientLocation:
        network = _unmapped(network)
        rule = self._rules.match(network)
        if rule is not None:
            return self._by_rule[id(rule)]
        if self._database is not None:
            found = self._database.lookup(network)
            if found is not None:
                return found
        country = iptocc.country_code(str(network.network_address))
        if country:
            country = country.upper()
            return ClientLocation(
                country=country,
                continent=geography.continent_of(country),
                point=_country_point(country),
                source="built-in",
            )
        if self._default is not None:
            country, subdivision = self._default
            return ClientLocation(
                country=country,
                subdivision=subdivision,
                continent=geography.continent_of(country),
                point=_country_point(country),
                source="default-location",
            )
        return UNLOCATED


def _from_rule(rule: ClientLocationRule) -> ClientLocation:
    continent = rule.continent
    if continent is None and rule.country is not None:
        continent = geography.continent_of(rule.country)
    return ClientLocation(
        country=rule.country,
        subdivision=rule.subdivision,
        continent=continent,
        point=rule.coordinates or _country_point(rule.country),
        latency=rule.latency,
        source=f"client_locations {rule.network}",
    )


__all__ = [
    "CACHE_SIZE",
    "GeoIPDatabaseError",
    "Locator",
    "parse_default_location",
]
