"""Record sets, groups and routing contexts for the policy truth tables, built directly.

Health is a set of unhealthy set identifiers; randomness is a seeded `random.Random`, so every
statistical test draws the same sequence on every run.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable

from r53emu.answer.routing import RoutingContext, Selection
from r53emu.model.catalog import (
    POLICY_NAMES,
    IPNetwork,
    Rdata,
    RecordGroup,
    RecordSet,
    RoutingAttributes,
    Source,
)
from r53emu.model.location import UNLOCATED, ClientLocation
from r53emu.model.names import parse
from r53emu.model.query import QueryContext

NAME = parse("www.example.test")
A = 1


def record(
    set_identifier: str, routing: RoutingAttributes, address: str = "192.0.2.1"
) -> RecordSet:
    """One A record set with `routing` attributes, named in explanations by its identifier."""
    value = Rdata(wire=ipaddress.IPv4Address(address).packed, text=address)
    return RecordSet(
        name=NAME,
        rtype=A,
        ttl=60,
        records=(value,),
        source=Source("test.yaml", 1),
        policy=POLICY_NAMES[type(routing)],
        set_identifier=set_identifier,
        routing=routing,
    )


def group(*members: RecordSet) -> RecordGroup:
    return RecordGroup(name=NAME, rtype=A, policy=members[0].policy, members=members)


def context(
    *,
    unhealthy: Iterable[str] = (),
    location: ClientLocation = UNLOCATED,
    client: str | None = None,
    subnet: str | None = None,
    seed: int = 0,
    rng: random.Random | None = None,
) -> RoutingContext:
    """A routing context whose `healthy` is False exactly for the `unhealthy` identifiers."""
    down = frozenset(unhealthy)
    query = QueryContext(
        qname=NAME,
        qtype=A,
        client=None if client is None else ipaddress.ip_address(client),
        subnet=None if subnet is None else network(subnet),
        location=location,
    )
    return RoutingContext(
        query=query,
        rng=random.Random(seed) if rng is None else rng,
        healthy=lambda member: member.set_identifier not in down,
        location=location,
    )


def network(text: str) -> IPNetwork:
    return ipaddress.ip_network(text)


def ids(selection: Selection) -> list[str]:
    """The set identifiers a selection chose, in answer order."""
    return [member.label for member in selection.chosen]
