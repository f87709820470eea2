"""Simple routing (semantics §3.1): the one record set of the group answers, every value of it.

Value order is shuffled per answer by the lookup, as for every policy; a health check on a simple
record has no effect because there is nothing to choose between.
"""

from __future__ import annotations

from r53emu.answer.routing.base import RoutingContext, Selection
from r53emu.model.catalog import RecordGroup


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    return Selection(chosen=group.members, reason="simple routing: the only record set answers")
