"""Build the `QueryContext` of a question: who asks, from which subnet, and where they are.

The server (per query) and `r53emu answer` (offline) build contexts the same way: Route 53
places the client by the EDNS Client Subnet when present, else by the resolver's source address
(semantics §2.9), and the locator turns that into a location.
"""

from __future__ import annotations

import ipaddress

from r53emu.location import UNLOCATED
from r53emu.locator import Locator
from r53emu.model import IPNetwork
from r53emu.names import Name
from r53emu.query import IPAddress, QueryContext


def make_context(
    qname: Name,
    qtype: int,
    locator: Locator | None,
    client: IPAddress | None = None,
    subnet: IPNetwork | None = None,
    transport: str = "udp",
) -> QueryContext:
    """A context whose `location` is where the subnet (else the client address) is."""
    network = subnet
    if network is None and client is not None:
        network = ipaddress.ip_network(client)
    location = UNLOCATED
    if locator is not None and network is not None:
        location = locator.locate(network)
    return QueryContext(
        qname=qname,
        qtype=qtype,
        client=client,
        subnet=subnet,
        transport=transport,
        location=location,
    )
