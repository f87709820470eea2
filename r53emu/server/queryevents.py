"""What the query log and the metrics learn of each answered query.

The handler builds one `QueryEvent` per answered query when someone observes (`QueryHandler.
observers`), after the reply bytes are made: the fields of Route 53's query logging (time,
hosted zone, name, type, rcode, protocol, resolver IP, EDNS client subnet) plus the routing
policy and set identifier chosen, and how long answering took.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from r53emu.model.names import Name
from r53emu.model.query import Answer


@dataclass(frozen=True, slots=True)
class QueryEvent:
    """One answered query."""

    timestamp: float  # seconds since the epoch, when the query arrived
    qname: Name  # as the client sent it
    qtype: int
    rcode: int
    transport: str  # "udp" or "tcp"
    client_ip: str
    client_subnet: str | None  # the EDNS Client Subnet, e.g. "198.51.100.0/24"
    zone: Name | None  # the hosted zone that answered (None: REFUSED, in no zone)
    zone_id: str | None
    policy: str | None  # the routing policy of the name asked for (None: no record set chose)
    set_identifiers: tuple[str, ...]  # the SetIdentifiers that policy chose (none if simple)
    seconds: float  # from receiving the query to having the reply bytes
    answer: Answer  # what the lookup returned (or the reply cache kept): sections and why


QueryObserver = Callable[[QueryEvent], None]
