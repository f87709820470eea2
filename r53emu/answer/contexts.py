"""Build the `QueryContext` of a question: who asks, from which subnet, and where they are.

The server (per query) and `r53emu answer` (offline) build contexts the same way: Route 53
places the client by the EDNS Client Subnet when present, else by the resolver's source address
(semantics §2.9), and the locator turns that into a location.
"""

from __future__ import annotations

import functools
import ipaddress

from r53emu.geo.locator import Locator
from r53emu.model.catalog import IPNetwork
from r53emu.model.location import UNLOCATED, ClientLocation
from r53emu.model.names import Name
from r53emu.model.query import IPAddress, QueryContext


def make_context(
    qname: Name,
    qtype: int,
    locator: Locator | None,
    client: IPAddress | None = None,
    subnet: IPNetwork | None = None,
    transport: str = "udp",
) -> QueryContext:
    """A context whose `location` is where the subnet (else the client address) is.

    IPv4 clients seen through an IPv6 socket (`::ffff:198.51.100.7`) are IPv4 clients: every
    policy sees them as such, so IPv4 CIDR blocks and locations match them.
    """
    client = _unmapped_address(client)
    subnet = _unmapped_network(subnet)
    return QueryContext(
        qname=qname,
        qtype=qtype,
        client=client,
        subnet=subnet,
        transport=transport,
        location=_located(locator, client, subnet),
    )


def locate(
    locator: Locator | None, client: IPAddress | None, subnet: IPNetwork | None
) -> ClientLocation:
    """Where routing places a client: the location `make_context` gives its queries (the
    reply cache shares answers between clients placed alike)."""
    return _located(locator, _unmapped_address(client), _unmapped_network(subnet))


def _located(
    locator: Locator | None, client: IPAddress | None, subnet: IPNetwork | None
) -> ClientLocation:
    network = subnet
    if network is None and client is not None:
        network = _host_network(client)
    if locator is None or network is None:
        return UNLOCATED
    return locator.locate(network)


@functools.lru_cache(maxsize=4096)
def _host_network(client: IPAddress) -> IPNetwork:
    """The client's address as a /32 or /128 network (parsed once per client, a bounded
    number kept)."""
    return ipaddress.ip_network(client)


def _unmapped_address(address: IPAddress | None) -> IPAddress | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _unmapped_network(network: IPNetwork | None) -> IPNetwork | None:
    if (
        isinstance(network, ipaddress.IPv6Network)
        and network.prefixlen >= 96
        and network.network_address.ipv4_mapped is not None
    ):
        return ipaddress.IPv4Network((network.network_address.ipv4_mapped, network.prefixlen - 96))
    return network
