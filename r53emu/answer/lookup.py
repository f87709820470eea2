"""The authoritative lookup of semantics §0-§2 and alias resolution of §4, as a pure function.

`lookup(catalog, query, rng)` returns an `Answer` value; it never touches sockets, clocks or
global state, so the wire layer (and later a cache of precomputed answers) can sit in front of it.

Alias resolution recurses once per alias of a chain and never follows more than
`MAX_ALIAS_CHAIN` (the loader refuses longer chains; a catalog built otherwise gets no records
from the aliases past the bound, and such an alias counts as unhealthy).
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from r53emu.answer.routing import POLICIES, RoutingContext
from r53emu.health.snapshot import ALL_HEALTHY, HealthView
from r53emu.model import names
from r53emu.model.catalog import MAX_ALIAS_CHAIN, Catalog, RecordGroup, RecordSet, Zone
from r53emu.model.dnsconstants import (
    RCODE_NOERROR,
    RCODE_NXDOMAIN,
    RCODE_REFUSED,
    TYPE_A,
    TYPE_AAAA,
    TYPE_ANY,
    TYPE_CNAME,
    TYPE_DS,
    TYPE_NS,
    TYPE_SOA,
)
from r53emu.model.names import Name
from r53emu.model.query import (
    Answer,
    Decision,
    Outcome,
    QueryContext,
    ResourceRecord,
    Routed,
)


def lookup(
    catalog: Catalog,
    query: QueryContext,
    rng: random.Random,
    health: HealthView = ALL_HEALTHY,
) -> Answer:
    """Answer `query` as Route 53's name servers would (semantics §0).

    Names in no hosted zone are REFUSED (never recursion); otherwise the most specific hosted
    zone answers. `health` is the health-check snapshot routing reads (one per query).
    """
    zone = catalog.find(query.key)
    if zone is None:
        return Answer(
            outcome=Outcome.REFUSED,
            rcode=RCODE_REFUSED,
            authoritative=False,
            notes=(f"{names.to_text(query.key)} is in no hosted zone: REFUSED",),
        )
    return _ZoneLookup(zone, query, rng, health).run()


class _ZoneLookup:
    """The lookup of one query in one zone; collects the why as it goes."""

    def __init__(
        self, zone: Zone, query: QueryContext, rng: random.Random, health: HealthView
    ) -> None:
        self.zone = zone
        self.query = query
        self.rng = rng
        self.health = health
        self._group_health: dict[tuple[Name, int], bool] = {}
        self.key = query.key
        self.decisions: list[Decision] = []
        self.routed: list[Routed] = []
        self.notes: list[str] = [f"hosted zone {names.to_text(zone.name)} ({zone.zone_id})"]
        self.location_dependent = False

    def run(self) -> Answer:
        cut = self._delegation()
        if cut is not None and not (self.query.qtype == TYPE_DS and cut == self.key):
            return self._referral(cut)
        node = self.zone.nodes.get(self.key)
        if node is None:
            if self.key in self.zone.existing:
                self.notes.append("name is an empty non-terminal: NODATA")
                return self._negative(Outcome.NODATA)
            wildcard = self._wildcard()
            if wildcard is None:
                self.notes.append("no such name and no wildcard covers it: NXDOMAIN")
                return self._negative(Outcome.NXDOMAIN)
            self.notes.append(f"no such name; wildcard {names.to_text(wildcard)} answers")
            node = self.zone.nodes[wildcard]
        return self._from_node(node)

    def _delegation(self) -> Name | None:
        """The topmost delegation point at or above the query name, below the apex (§2.5)."""
        for depth in range(len(self.zone.name) + 1, len(self.key) + 1):
            name = self.key[len(self.key) - depth :]
            if name in self.zone.cuts:
                return name
        return None

    def _wildcard(self) -> Name | None:
        """`*.<closest encloser>` when the zone has it (RFC 4592, as semantics §2.4 recommends).

        The closest encloser is the nearest existing ancestor, empty non-terminals included, so
        an empty non-terminal blocks a wildcard above it.
        """
        for ancestor in names.ancestors(self.key, self.zone.name):
            if ancestor in self.zone.existing:
                source = (names.WILDCARD, *ancestor)
                return source if source in self.zone.nodes else None
        return None

    def _from_node(self, node: Mapping[int, RecordGroup]) -> Answer:
        qtype = self.query.qtype
        owner = self.query.qname
        if qtype == TYPE_ANY:
            # Every rrset at the name, each as its policy would pick (semantics §2.7).
            records = [rr for rtype in sorted(node) for rr in self._resolve(node[rtype], owner)]
            outcome = Outcome.ANSWER
        elif qtype in node:
            records = self._resolve(node[qtype], owner)
            outcome = Outcome.ANSWER
        elif TYPE_CNAME in node:
            # The CNAME alone; the resolver asks again for the target (no chasing, §2.6).
            records = self._resolve(node[TYPE_CNAME], owner)
            outcome = Outcome.CNAME
        else:
            self.notes.append("the name has no record set of this type: NODATA")
            return self._negative(Outcome.NODATA)
        if not records:
            self.notes.append("the routing policy chose no record: NODATA")
            return self._negative(Outcome.NODATA)
        return self._positive(records, outcome)

    def _resolve(self, group: RecordGroup, owner: Name, aliases: int = 0) -> list[ResourceRecord]:
        """Let the group's policy choose, then materialize the chosen record sets.

        An alias answers with its own name and type and the target's values and TTL (§4).
        `aliases` is the number of aliases followed to reach `group`.
        """

        def healthy(member: RecordSet) -> bool:
            return self._member_healthy(member, group.rtype, aliases)

        context = RoutingContext(self.query, self.rng, healthy, self.query.location)
        selection = POLICIES[group.policy](group, context)
        self.location_dependent |= selection.location_dependent
        self.decisions.append(
            Decision(
                name=group.name,
                rtype=group.rtype,
                policy=group.policy,
                candidates=tuple(member.label for member in group.members),
                chosen=tuple(member.label for member in selection.chosen),
                reason=selection.reason,
                healthy=tuple(healthy(member) for member in group.members),
            )
        )
        chosen = {id(member) for member in selection.chosen}
        positions = tuple(i for i, member in enumerate(group.members) if id(member) in chosen)
        self.routed.append(Routed(group, positions))
        records: list[ResourceRecord] = []
        for member in selection.chosen:
            records.extend(self._materialize(member, group.rtype, owner, aliases))
        return records

    def _member_healthy(self, member: RecordSet, rtype: int, aliases: int = 0) -> bool:
        """A record set's health (§3.0, §4): its health check, and with evaluate_target_health
        its alias target's, which is healthy when at least one of the target's members is.

        An alias whose target has no healthy member is unhealthy, so the policy choosing among
        the alias and its siblings backs out of that branch.
        """
        if member.health_check_id is not None and not self.health.is_healthy(
            member.health_check_id
        ):
            return False
        if member.alias is None or not member.alias.evaluate_target_health:
            return True
        if aliases >= MAX_ALIAS_CHAIN:
            return False  # past the bound (never for loaded zones): not followed
        key = (member.alias.name, rtype)
        if key not in self._group_health:
            target = self.zone.group(member.alias.name, rtype)
            self._group_health[key] = target is not None and any(
                self._member_healthy(sibling, rtype, aliases + 1) for sibling in target.members
            )
        return self._group_health[key]

    def _materialize(
        self, member: RecordSet, rtype: int, owner: Name, aliases: int = 0
    ) -> list[ResourceRecord]:
        if member.alias is not None:
            if aliases >= MAX_ALIAS_CHAIN:
                # Never for loaded zones: the loader refuses longer chains.
                self.notes.append(
                    f"{names.to_text(member.name)} ({member.label}) is more than "
                    f"{MAX_ALIAS_CHAIN} aliases down a chain: not followed"
                )
                return []
            target = self.zone.group(member.alias.name, rtype)
            assert target is not None, "alias targets are checked when zones load"
            return self._resolve(target, owner, aliases + 1)
        assert member.ttl is not None
        values = list(member.records)
        self.rng.shuffle(values)  # values of a record set come in random order (§2.2)
        return [ResourceRecord(owner, rtype, member.ttl, v.wire, v.text, v.target) for v in values]

    def _positive(self, records: list[ResourceRecord], outcome: Outcome) -> Answer:
        apex_ns_answered = any(rr.rtype == TYPE_NS for rr in records) and self.key == self.zone.name
        authority = () if apex_ns_answered else self._stored(self.zone.name, TYPE_NS)
        return Answer(
            outcome=outcome,
            rcode=RCODE_NOERROR,
            authoritative=True,
            answer=tuple(records),
            authority=authority,
            additional=tuple(self._additional(records)),
            zone=self.zone.name,
            why=tuple(self.decisions),
            routed=tuple(self.routed),
            notes=tuple(self.notes),
            location_dependent=self.location_dependent,
        )

    def _additional(self, records: list[ResourceRecord]) -> list[ResourceRecord]:
        """In-zone A/AAAA of CNAME, MX, SRV and NS targets in the answer (§2.3)."""
        answered = {(names.lower(rr.name), rr.rtype) for rr in records}
        extra: list[ResourceRecord] = []
        seen: set[Name] = set()
        for target in (rr.target for rr in records if rr.target is not None):
            if target in seen or not names.is_within(target, self.zone.name):
                continue
            seen.add(target)
            for rtype in (TYPE_A, TYPE_AAAA):
                group = self.zone.group(target, rtype)
                if group is not None and (target, rtype) not in answered:
                    extra.extend(self._resolve(group, target))
        return extra

    def _referral(self, cut: Name) -> Answer:
        """NS of the delegated child in AUTHORITY, in-zone glue in ADDITIONAL, AA=0 (§2.5)."""
        authority = self._stored(cut, TYPE_NS)
        self.notes.append(f"{names.to_text(cut)} is delegated: referral")
        glue: list[ResourceRecord] = []
        ns_group = self.zone.nodes[cut][TYPE_NS]
        for member in ns_group.members:
            for value in member.records:
                if value.target is None or not names.is_within(value.target, self.zone.name):
                    continue
                for rtype in (TYPE_A, TYPE_AAAA):
                    glue.extend(self._stored(value.target, rtype))
        return Answer(
            outcome=Outcome.REFERRAL,
            rcode=RCODE_NOERROR,
            authoritative=False,
            authority=authority,
            additional=tuple(glue),
            zone=self.zone.name,
            why=tuple(self.decisions),
            routed=tuple(self.routed),
            notes=tuple(self.notes),
        )

    def _negative(self, outcome: Outcome) -> Answer:
        """NODATA or NXDOMAIN with the SOA in AUTHORITY (§2.1).

        The SOA's TTL here is min(SOA TTL, MINIMUM) as RFC 2308 §3 asks: UNCONFIRMED for Route 53
        when MINIMUM < TTL (semantics §2.1 recommends it); 900 for default zones either way.
        """
        soa = self.zone.apex[TYPE_SOA].members[0]
        value = soa.records[0]
        minimum = int.from_bytes(value.wire[-4:], "big")
        ttl = min(soa.ttl or 0, minimum)
        return Answer(
            outcome=outcome,
            rcode=RCODE_NXDOMAIN if outcome is Outcome.NXDOMAIN else RCODE_NOERROR,
            authoritative=True,
            authority=(ResourceRecord(self.zone.name, TYPE_SOA, ttl, value.wire, value.text),),
            zone=self.zone.name,
            why=tuple(self.decisions),
            routed=tuple(self.routed),
            notes=tuple(self.notes),
            location_dependent=self.location_dependent,
        )

    def _stored(self, name: Name, rtype: int) -> tuple[ResourceRecord, ...]:
        """A simple record set as stored (apex NS, delegation NS, glue), in file order."""
        group = self.zone.group(name, rtype)
        if group is None:
            return ()
        return tuple(
            ResourceRecord(name, rtype, member.ttl, value.wire, value.text, value.target)
            for member in group.members
            if member.ttl is not None
            for value in member.records
        )
