"""IP-based routing (semantics §3.8): the record whose CIDR block best contains the client.

The client network is the ECS subnet, else the source address as a /32 or /128. A block
matches when the client network lies inside it and is at least as long (block 2001:db8::/32
matches a /48 client; a /48 block does not match a /32 client), in the same address family.
The longest matching block wins (Inferred in §3.8); without a match the `*` record answers.

UNCONFIRMED (§3.8, §9 item 14), as recommended: no match and no `*` record -> empty selection
(NODATA); an unhealthy match falls back to the `*` record. When that is unhealthy too, the
match answers anyway (fail-open, §3.0); a lone candidate answers whatever its health.
"""

from __future__ import annotations

from r53emu.answer.routing.base import RoutingContext, Selection
from r53emu.model.catalog import CidrRouting, IPNetwork, RecordGroup, RecordSet


def attributes_of(member: RecordSet) -> CidrRouting:
    routing = member.routing
    assert isinstance(routing, CidrRouting), "cidr groups hold cidr record sets"
    return routing


def block_matches(block: IPNetwork, client: IPNetwork) -> bool:
    """Whether `client` lies in `block` with a prefix at least as long (§3.8)."""
    return (
        block.version == client.version
        and client.prefixlen >= block.prefixlen
        and client.network_address in block
    )


def best_match(group: RecordGroup, client: IPNetwork | None) -> tuple[RecordSet, IPNetwork] | None:
    """The non-default record with the longest block matching `client`, and that block."""
    if client is None:
        return None
    matches = [
        (member, block)
        for member in group.members
        if not attributes_of(member).is_default
        for block in attributes_of(member).blocks
        if block_matches(block, client)
    ]
    # max() keeps the first of equal lengths: ties go to file order.
    return max(matches, key=lambda match: match[1].prefixlen, default=None)


def choose(group: RecordGroup, context: RoutingContext) -> Selection:
    client = context.client_network
    default = next((m for m in group.members if attributes_of(m).is_default), None)
    match = best_match(group, client)
    if match is None:
        if default is None:
            return Selection(
                chosen=(),
                reason=f"no block matches {client} and there is no * record",
                location_dependent=True,
            )
        return Selection(
            chosen=(default,),
            reason=f"no block matches {client}: the * record {default.label} answers",
            location_dependent=True,
        )
    member, block = match
    found = f"{client} is in {attributes_of(member).location_name} block {block}"
    if context.healthy(member):
        reason = f"{found} (longest match): {member.label}"
        return Selection(chosen=(member,), reason=reason, location_dependent=True)
    if default is not None and context.healthy(default):
        reason = f"{found}, but {member.label} is unhealthy: the * record {default.label}"
        return Selection(chosen=(default,), reason=reason, location_dependent=True)
    reason = f"{found}; {member.label} and the * record unhealthy or absent: {member.label}"
    return Selection(chosen=(member,), reason=f"{reason} (fail-open)", location_dependent=True)
