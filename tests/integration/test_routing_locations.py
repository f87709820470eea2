"""Where the client is, end to end with `dig +subnet` (issue 4 item 3, zone-format.md "Where
clients are", semantics §2.9, §3.3, §3.5, §3.6, §3.8).

Two real servers share one zone directory and one fixture MaxMind database: `located` has no
default location, `defaulted` has `default_location=DE`. Clients are placed, in the locator's
order, by `client_locations` rules of the zone files, by the fixture `.mmdb`, by the built-in
iptocc data (public prefixes sent only as ECS data, e.g. 8.8.8.0/24 -> US), and by the default
location; with no ECS the source address 127.0.0.1 decides, which nothing locates. All traffic
goes to 127.0.0.1.

dig tests are marked `dig`: skipped when `dig` is missing, except under CI (env CI=true), where
a missing `dig` fails.
"""

from __future__ import annotations

import ipaddress
import random
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.edns
import dns.message
import dns.rcode
import pytest

from r53emu.app import ServerConfig
from r53emu.geo.locator import Locator
from r53emu.server.handler import QueryHandler
from r53emu.testing.background import BackgroundServer
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import dig_path, query, write_zones
from tests.support.mmdb_fixtures import city_record, country_record, write_mmdb

Address = tuple[str, int]

ZONE = "where.test"

# Placed by client_locations (zone file).
RULE_US_CA = "203.0.113.0/28"  # San Francisco
RULE_DE = "203.0.113.48/28"  # Frankfurt
RULE_JP_TABLE = "203.0.113.64/28"  # Japan, whose latency table prefers eu-central-1
# Placed by the fixture database.
DB_SAN_JOSE = "198.51.100.0/24"  # US-CA, San Jose
DB_NEW_YORK = "203.0.113.128/25"  # US-NY; the database's 203.0.113.0/24 also covers RULE_US_CA
DB_JAPAN_V6 = "2001:db8:abcd::/48"  # JP, country record only
# Placed by the built-in iptocc data (ECS data only; nothing is sent there).
BUILT_IN_US = "8.8.8.0/24"
BUILT_IN_US_V6 = "2001:4860::/32"
BUILT_IN_NL = "193.0.0.0/24"
BUILT_IN_JP = "133.1.1.0/24"
BUILT_IN_BR = "200.160.0.0/24"
# Placed by nothing.
UNLOCATED = "192.0.2.0/24"

ACCOUNT = f"""\
cidr_collections:
  corp:
    branch: [198.51.100.0/24]
    site: ["2001:db8:1234::/48"]
client_locations:
  - {{cidr: {RULE_US_CA}, country: US, subdivision: CA, latitude: 37.77, longitude: -122.42}}
  - {{cidr: {RULE_DE}, country: DE, latitude: 50.11, longitude: 8.68}}
  - {{cidr: {RULE_JP_TABLE}, country: JP, latency: {{ap-northeast-1: 250, eu-central-1: 5}}}}
"""

ZONE_FILE = f"""\
zone: {ZONE}
ttl: 60
record_sets:
  - {{name: simple, type: A, records: [192.0.2.1]}}

  - {{name: geo, type: A, records: [192.0.2.21], set_identifier: us-ca,
     geolocation_routing_policy: {{country: US, subdivision: CA}}}}
  - {{name: geo, type: A, records: [192.0.2.22], set_identifier: us,
     geolocation_routing_policy: {{country: US}}}}
  - {{name: geo, type: A, records: [192.0.2.24], set_identifier: europe,
     geolocation_routing_policy: {{continent: EU}}}}
  - {{name: geo, type: A, records: [192.0.2.25], set_identifier: asia,
     geolocation_routing_policy: {{continent: AS}}}}
  - {{name: geo, type: A, records: [192.0.2.20], set_identifier: default,
     geolocation_routing_policy: {{country: "*"}}}}

  - {{name: lat, type: A, records: [192.0.2.91], set_identifier: usw1,
     latency_routing_policy: {{region: us-west-1}}}}
  - {{name: lat, type: A, records: [192.0.2.92], set_identifier: use1,
     latency_routing_policy: {{region: us-east-1}}}}
  - {{name: lat, type: A, records: [192.0.2.93], set_identifier: euc1,
     latency_routing_policy: {{region: eu-central-1}}}}
  - {{name: lat, type: A, records: [192.0.2.94], set_identifier: apne1,
     latency_routing_policy: {{region: ap-northeast-1}}}}

  - {{name: near, type: A, records: [192.0.2.81], set_identifier: fra,
     geoproximity_routing_policy: {{aws_region: eu-central-1}}}}
  - {{name: near, type: A, records: [192.0.2.82], set_identifier: iad,
     geoproximity_routing_policy: {{aws_region: us-east-1}}}}
  - {{name: near, type: A, records: [192.0.2.83], set_identifier: sfo,
     geoproximity_routing_policy: {{coordinates: {{latitude: "37.77", longitude: "-122.42"}}}}}}

  - {{name: ip, type: A, records: [192.0.2.31], set_identifier: branch,
     cidr_routing_policy: {{collection_id: corp, location_name: branch}}}}
  - {{name: ip, type: A, records: [192.0.2.33], set_identifier: site,
     cidr_routing_policy: {{collection_id: corp, location_name: site}}}}
  - {{name: ip, type: A, records: [192.0.2.30], set_identifier: rest,
     cidr_routing_policy: {{collection_id: corp, location_name: "*"}}}}
"""

DATABASE = {
    "198.51.100.0/24": city_record("US", "CA", 37.34, -121.89),
    "203.0.113.0/24": city_record("US", "NY", 40.71, -74.01),
    "2001:db8:abcd::/48": country_record("JP"),
}


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zones(
        tmp_path_factory.mktemp("locations") / "zones",
        {"account.yaml": ACCOUNT, f"{ZONE}.yaml": ZONE_FILE},
    )


@pytest.fixture(scope="module")
def geoip_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GeoLite2-City-like fixture database (IPv6 tree with the IPv4 networks in it)."""
    return write_mmdb(tmp_path_factory.mktemp("geoip") / "city.mmdb", DATABASE)


def _serve(zones: Path, geoip_db: Path, default_location: str | None) -> Iterator[Address]:
    config = ServerConfig(
        zones=zones,
        address="127.0.0.1",
        port=0,
        seed=1,
        geoip_db=geoip_db,
        default_location=default_location,
    )
    with BackgroundServer(config) as background:
        yield background.address


@pytest.fixture(scope="module")
def located(zones: Path, geoip_db: Path) -> Iterator[Address]:
    """The server without a default location: what nothing places is unlocated."""
    yield from _serve(zones, geoip_db, None)


@pytest.fixture(scope="module")
def defaulted(zones: Path, geoip_db: Path) -> Iterator[Address]:
    """The server with `default_location=DE`."""
    yield from _serve(zones, geoip_db, "DE")


@dataclass(frozen=True)
class DigReply:
    """What `dig` printed: the status, the A values of the answer section, the ECS echo."""

    status: str
    answers: frozenset[str]
    client_subnet: str | None  # `8.8.8.0/24/24`: address/source/scope, as dig prints it
    output: str


def dig(address: Address, name: str, *options: str) -> DigReply:
    """`dig @127.0.0.1 -p PORT NAME.where.test A OPTIONS` (one try), read into a DigReply."""
    host, port = address
    command = [dig_path(), f"@{host}", "-p", str(port), f"{name}.{ZONE}", "A"]
    command += ["+tries=1", "+time=3", *options]
    output = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False).stdout
    status = re.search(r"status: ([A-Z]+)", output)
    assert status is not None, output
    answers = re.findall(
        rf"^{re.escape(name)}\.{re.escape(ZONE)}\.\s+\d+\s+IN\s+A\s+(\S+)$", output, re.M
    )
    subnet = re.search(r"^; CLIENT-SUBNET: (\S+)$", output, re.M)
    return DigReply(
        status.group(1), frozenset(answers), subnet.group(1) if subnet else None, output
    )


def dig_subnet(address: Address, name: str, subnet: str) -> DigReply:
    """`dig ... +subnet=SUBNET`; checks NOERROR and the ECS echo with scope = source prefix."""
    reply = dig(address, name, f"+subnet={subnet}")
    assert reply.status == "NOERROR", reply.output
    network = ipaddress.ip_network(subnet)
    assert reply.client_subnet == f"{network}/{network.prefixlen}", reply.output
    return reply


@dataclass(frozen=True)
class Case:
    """A client at `subnet`, placed by `placed_by`, gets `answer` from the policy's name."""

    subnet: str
    placed_by: str
    answer: str


def cases(*rows: Case) -> pytest.MarkDecorator:
    """Parametrize a test over `rows`, each named by how the client is placed and its subnet."""
    return pytest.mark.parametrize(
        "case", rows, ids=[f"{row.placed_by} {row.subnet}" for row in rows]
    )


@pytest.mark.dig
@cases(
    # The database places 203.0.113.0/24 in US-NY; the rule for the /28 comes first.
    Case(RULE_US_CA, "client_locations US-CA", "192.0.2.21"),
    Case(RULE_DE, "client_locations DE", "192.0.2.24"),
    Case(DB_SAN_JOSE, "mmdb US-CA", "192.0.2.21"),
    Case(DB_NEW_YORK, "mmdb US-NY", "192.0.2.22"),
    Case(DB_JAPAN_V6, "mmdb JP", "192.0.2.25"),
    Case(BUILT_IN_US, "built-in US", "192.0.2.22"),
    Case(BUILT_IN_US_V6, "built-in US", "192.0.2.22"),
    Case(BUILT_IN_NL, "built-in NL", "192.0.2.24"),
    Case(BUILT_IN_JP, "built-in JP", "192.0.2.25"),
    Case(BUILT_IN_BR, "built-in BR", "192.0.2.20"),
    Case(UNLOCATED, "nothing", "192.0.2.20"),
)
def test_geolocation_by_placement(located: Address, case: Case) -> None:
    """Geolocation answers the record of the client's subdivision, country or continent (else
    the default), wherever the client was placed from."""
    assert dig_subnet(located, "geo", case.subnet).answers == {case.answer}


@pytest.mark.dig
@cases(
    Case(RULE_US_CA, "client_locations point", "192.0.2.91"),
    Case(RULE_DE, "client_locations point", "192.0.2.93"),
    Case(RULE_JP_TABLE, "client_locations latency table", "192.0.2.93"),
    Case(DB_SAN_JOSE, "mmdb point", "192.0.2.91"),
    Case(DB_NEW_YORK, "mmdb point", "192.0.2.92"),
    Case(DB_JAPAN_V6, "mmdb country point", "192.0.2.94"),
    Case(BUILT_IN_US, "built-in country point", "192.0.2.92"),
    Case(BUILT_IN_NL, "built-in country point", "192.0.2.93"),
    Case(BUILT_IN_JP, "built-in country point", "192.0.2.94"),
    Case(UNLOCATED, "us-east-1's point", "192.0.2.92"),
)
def test_latency_by_placement(located: Address, case: Case) -> None:
    """Latency answers the Region nearest the client (or best in its latency table)."""
    assert dig_subnet(located, "lat", case.subnet).answers == {case.answer}


@pytest.mark.dig
@cases(
    Case(RULE_DE, "client_locations point", "192.0.2.81"),
    Case(RULE_US_CA, "client_locations point", "192.0.2.83"),
    Case(DB_SAN_JOSE, "mmdb point", "192.0.2.83"),
    Case(DB_NEW_YORK, "mmdb point", "192.0.2.82"),
    Case(BUILT_IN_US, "built-in country point", "192.0.2.82"),
    Case(BUILT_IN_NL, "built-in country point", "192.0.2.81"),
    Case(UNLOCATED, "us-east-1's point", "192.0.2.82"),
)
def test_geoproximity_by_placement(located: Address, case: Case) -> None:
    """Geoproximity answers the record closest to the client's point."""
    assert dig_subnet(located, "near", case.subnet).answers == {case.answer}


@pytest.mark.dig
@cases(
    Case("198.51.100.0/24", "branch block", "192.0.2.31"),
    Case("198.51.100.128/25", "inside the branch block", "192.0.2.31"),
    Case("2001:db8:1234::/48", "site block", "192.0.2.33"),
    Case("2001:db8::/32", "shorter than the /48 site block", "192.0.2.30"),
    Case(RULE_US_CA, "no block (located by a rule)", "192.0.2.30"),
    Case(BUILT_IN_US, "no block (located by built-in)", "192.0.2.30"),
)
def test_ip_based_by_subnet(located: Address, case: Case) -> None:
    """IP-based routing matches the ECS subnet against the CIDR blocks, whatever its location;
    no matching block answers the `*` record."""
    assert dig_subnet(located, "ip", case.subnet).answers == {case.answer}


@pytest.mark.dig
@pytest.mark.parametrize(
    ("name", "subnet", "answer"),
    [
        ("geo", UNLOCATED, "192.0.2.24"),  # DE -> continent EU
        ("lat", UNLOCATED, "192.0.2.93"),  # DE's point -> eu-central-1
        ("near", UNLOCATED, "192.0.2.81"),  # DE's point -> Frankfurt
        ("geo", BUILT_IN_US, "192.0.2.22"),  # built-in data comes before the default
        ("geo", RULE_US_CA, "192.0.2.21"),  # and so do rules
        ("geo", DB_NEW_YORK, "192.0.2.22"),  # and the database
    ],
)
def test_default_location_places_only_unlocated_clients(
    defaulted: Address, name: str, subnet: str, answer: str
) -> None:
    """`default_location=DE` places clients nothing else locates, and only those."""
    assert dig_subnet(defaulted, name, subnet).answers == {answer}


@pytest.mark.dig
@pytest.mark.parametrize(
    ("server", "name", "answer"),
    [
        ("located", "geo", "192.0.2.20"),  # unlocated -> the default record
        ("located", "lat", "192.0.2.92"),  # unlocated -> us-east-1's point
        ("located", "near", "192.0.2.82"),
        ("located", "ip", "192.0.2.30"),  # 127.0.0.1/32 is in no block
        ("defaulted", "geo", "192.0.2.24"),  # 127.0.0.1 is unlocated -> DE -> EU
        ("defaulted", "lat", "192.0.2.93"),
    ],
)
def test_without_ecs_the_source_address_decides(
    request: pytest.FixtureRequest, server: str, name: str, answer: str
) -> None:
    """Without ECS the source address 127.0.0.1 places the client (unlocated: default record,
    us-east-1's point, or the default location), and the reply carries no ECS option."""
    address: Address = request.getfixturevalue(server)
    reply = dig(address, name)
    assert reply.status == "NOERROR", reply.output
    assert reply.answers == {answer}
    assert reply.client_subnet is None


@pytest.mark.dig
@pytest.mark.parametrize(
    ("name", "subnet", "echo"),
    [
        ("geo", RULE_US_CA, "203.0.113.0/28/28"),
        ("geo", "8.8.8.0/20", "8.8.0.0/20/20"),  # dig sends the network of the prefix
        ("ip", "2001:db8:1234::/48", "2001:db8:1234::/48/48"),
        ("simple", RULE_US_CA, "203.0.113.0/28/0"),
        ("simple", BUILT_IN_US_V6, "2001:4860::/32/0"),
    ],
)
def test_ecs_scope_in_dig(located: Address, name: str, subnet: str, echo: str) -> None:
    """dig shows the ECS echo: scope = source prefix for routed answers, 0 for simple ones."""
    reply = dig(located, name, f"+subnet={subnet}")
    assert reply.status == "NOERROR", reply.output
    assert reply.client_subnet == echo, reply.output


@pytest.mark.dig
def test_malformed_ecs_from_dig_is_formerr(located: Address) -> None:
    """An ECS option with a non-zero scope in the query (RFC 7871 §6), sent by dig, gets FORMERR."""
    # family 1, source /24, scope 8 (must be 0), address 198.51.100
    reply = dig(located, "geo", "+ednsopt=8:00011808c63364")
    assert reply.status == "FORMERR", reply.output
    assert not reply.answers


@pytest.mark.parametrize(
    "option",
    [
        dns.edns.ECSOption("198.51.100.0", 24, 8),  # scope must be 0 in a query
        dns.edns.GenericOption(dns.edns.OptionType.ECS, b"\x00\x01\x18"),  # no address
        dns.edns.GenericOption(dns.edns.OptionType.ECS, b"\x00\x01\x10\x00\xc6\x33\x64"),  # long
    ],
    ids=["non-zero scope", "truncated", "address longer than the prefix"],
)
def test_malformed_ecs_is_formerr(located: Address, option: dns.edns.Option) -> None:
    """A malformed ECS option on a routed name gets FORMERR, not a routed answer."""
    reply = query(located, f"geo.{ZONE}", "A", use_edns=0, options=[option])
    assert reply.rcode() == dns.rcode.FORMERR


def test_built_in_placement_through_dnspython(located: Address) -> None:
    """dnspython with ECS 8.8.8.0/24 gets the same built-in placement (US record) and echo."""
    option = dns.edns.ECSOption("8.8.8.0", 24)
    reply = query(located, f"geo.{ZONE}", "A", use_edns=0, options=[option])
    assert [rr.address for rrset in reply.answer for rr in rrset] == ["192.0.2.22"]
    (echoed,) = [o for o in reply.options if isinstance(o, dns.edns.ECSOption)]
    assert (echoed.address, echoed.srclen, echoed.scopelen) == ("8.8.8.0", 24, 24)


# A dual-stack listener (address "::") reports an IPv4 client's source as ::ffff:a.b.c.d. A
# loopback-only server cannot produce such a peer (a TCP socket cannot bind an IPv4-mapped
# address), so these tests hand the real handler the source address the listener would pass.
MAPPED_SOURCE = "::ffff:198.51.100.7"


@pytest.fixture(scope="module")
def handler(zones: Path, geoip_db: Path) -> Iterator[QueryHandler]:
    """The query handler a server builds on these zones and this database (no listener)."""
    catalog = load_catalog(zones)
    answerer = QueryHandler(catalog, rng=random.Random(1))
    answerer.locator = Locator(catalog.client_locations, geoip_db)
    yield answerer
    answerer.locator.close()


def answer_from(handler: QueryHandler, name: str, source: str) -> list[str]:
    """The A values the handler answers `name` with for a query from `source` without ECS."""
    request = dns.message.make_query(f"{name}.{ZONE}", "A")
    reply_wire = handler.handle(request.to_wire(), source, "udp")
    assert reply_wire is not None
    reply = dns.message.from_wire(reply_wire)
    return [rr.address for rrset in reply.answer for rr in rrset]


@pytest.mark.parametrize(
    ("name", "answer"), [("geo", "192.0.2.21"), ("lat", "192.0.2.91"), ("ip", "192.0.2.31")]
)
def test_ipv4_source_address_places_the_client(
    handler: QueryHandler, name: str, answer: str
) -> None:
    """Without ECS the IPv4 source 198.51.100.7 decides: the database's US-CA, the branch block."""
    assert answer_from(handler, name, "198.51.100.7") == [answer]


@pytest.mark.parametrize(("name", "answer"), [("geo", "192.0.2.21"), ("lat", "192.0.2.91")])
def test_ipv4_mapped_source_is_located_as_ipv4(
    handler: QueryHandler, name: str, answer: str
) -> None:
    """An IPv4-mapped source address is located as the IPv4 address it carries."""
    assert answer_from(handler, name, MAPPED_SOURCE) == [answer]


def test_ipv4_mapped_source_matches_ipv4_cidr_blocks(handler: QueryHandler) -> None:
    """An IPv4-mapped source address matches the IPv4 CIDR block of the address it carries."""
    assert answer_from(handler, "ip", MAPPED_SOURCE) == ["192.0.2.31"]
