"""The routing interface every policy implements (one pure module per policy).

A policy is a function `(group, context) -> Selection`: given every record set of one name and type,
it chooses which of them answer. It may read the context (client location, query subnet, member
health, rng) and nothing else: no sockets, clock, logging or global `random` (docs/architecture.md).
Health fail-open rules are each policy's own, since they differ (semantics §3).
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from r53emu.model.catalog import IPNetwork, RecordGroup, RecordSet
from r53emu.model.location import UNLOCATED, ClientLocation
from r53emu.model.query import QueryContext


@dataclass(frozen=True, slots=True)
class RoutingContext:
    """What a policy may consult.

    `healthy(member)` is the member's health as Route 53 evaluates it (§3.0): its health check,
    and with evaluate_target_health its alias target's health too. `location` is where the
    client is; `client_network` is the ECS subnet, else the source address as a /32 or /128
    (IP-based routing matches on it, §3.8).
    """

    query: QueryContext
    rng: random.Random
    healthy: Callable[[RecordSet], bool] = lambda member: True
    location: ClientLocation = UNLOCATED

    @property
    def client_network(self) -> IPNetwork | None:
        if self.query.subnet is not None:
            return self.query.subnet
        if self.query.client is None:
            return None
        return ipaddress.ip_network(self.query.client)


@dataclass(frozen=True, slots=True)
class Selection:
    """The record sets a policy chose, in answer order, and a sentence saying why.

    `location_dependent` is True when the client's location or address decided the choice
    (then ECS is echoed with a non-zero scope).
    """

    chosen: tuple[RecordSet, ...]
    reason: str
    location_dependent: bool = False


Policy = Callable[[RecordGroup, RoutingContext], Selection]


class Draw(Protocol):
    """A random policy's choice, worked out for one health state, made per answer by `pick`.

    `pick` makes the same calls on the generator as the policy's own `choose`, so with the
    same generator state both choose the same members (the fast path relies on it).
    """

    def outcomes(self) -> int:
        """How many different sets of members `pick` can return."""
        ...

    def pick(self, rng: random.Random) -> tuple[int, ...]:
        """Positions, in the group's members, of the record sets that answer."""
        ...

    def picks(self) -> Iterator[tuple[int, ...]]:
        """Every set of positions `pick` can return (sorted), each once."""
        ...


# Makes a policy's `Draw` for a group, given each member's health.
Planner = Callable[[RecordGroup, Callable[[RecordSet], bool]], Draw]


def best_healthy(ranked: Sequence[RecordSet], context: RoutingContext) -> tuple[int, bool]:
    """The index of the best-ranked healthy member and whether the choice failed open.

    Ranked policies (latency, geolocation, geoproximity) take the best healthy member, skipping
    unhealthy better ones; when none is healthy they answer with the best one anyway (§3.0
    fail-open): then the index is 0 and the flag True.
    """
    for index, member in enumerate(ranked):
        if context.healthy(member):
            return index, False
    return 0, True
