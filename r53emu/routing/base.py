"""The routing interface every policy implements (one pure module per policy).

A policy is a function `(group, context) -> Selection`: given every record set of one name and
type, it chooses which of them answer. It may read the context's client and draw from its rng,
and nothing else: no sockets, clock, logging or global `random` (house style, practice 1).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from r53emu.model import RecordGroup, RecordSet
from r53emu.query import QueryContext


@dataclass(frozen=True, slots=True)
class RoutingContext:
    """What a policy may consult: the query (client, subnet) and the random source."""

    query: QueryContext
    rng: random.Random


@dataclass(frozen=True, slots=True)
class Selection:
    """The record sets a policy chose, in answer order, and a sentence saying why."""

    chosen: tuple[RecordSet, ...]
    reason: str
    location_dependent: bool = False


Policy = Callable[[RecordGroup, RoutingContext], Selection]
