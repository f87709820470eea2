"""Validated record sets of one zone -> an indexed `Zone` (the rules that need the whole zone).

Checks here follow semantics §1.5-§1.6 and §4: duplicate record sets, CNAME at the apex or beside
other types, SOA/NS placement, alias targets that exist in the same zone, alias cycles and chains
longer than `MAX_ALIAS_CHAIN`, answers too large for a DNS message, and the record-set quota;
routed groups get the rules of `routing_group_rules` (§3). Every error names the record set's
file, line and field. The walks of alias chains keep their own stack: a chain of thousands of
aliases is an error, never a RecursionError.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from r53emu.model import names
from r53emu.model.apexdefaults import DEFAULT_NS_TTL, SoaFields
from r53emu.model.catalog import MAX_ALIAS_CHAIN, RecordGroup, RecordSet, Source, Zone
from r53emu.model.dnsconstants import TYPE_CNAME, TYPE_NAMES, TYPE_NS, TYPE_SOA
from r53emu.model.names import Name
from r53emu.model.rdata import parse_value
from r53emu.zonefiles.errors import Field, ZoneError
from r53emu.zonefiles.recordsets import Entry
from r53emu.zonefiles.routing_group_rules import check_routed_group, mixing_error

GroupKey = tuple[Name, int]
Edges = dict[GroupKey, list[tuple[GroupKey, Field]]]

# The largest DNS message: TCP's two-byte length prefix (RFC 1035 §4.2.2), and the most an
# answer can be; a larger one goes out as TC=1 with no records, over TCP too.
MAX_MESSAGE_BYTES = 65_535
# What a reply holds besides its answer and authority records: the header (12 bytes), the
# longest question (a 255-byte name, type and class) and an OPT record with a client subnet
# (35 bytes), rounded up.
MESSAGE_OVERHEAD_BYTES = 512
# The record sets one multivalue answer holds (semantics §3.7; answer/routing/multivalue.py).
MULTIVALUE_ANSWERS = 8
# A record's bytes besides its value: the owner (a 2-byte pointer to the question's name), type,
# class, TTL and value length.
_RECORD_HEAD_BYTES = 12


@dataclass(frozen=True)
class ZoneHeader:
    """The zone-level settings of a zone file (everything but its record sets)."""

    name: Name
    zone_id: str
    source: Source
    soa: SoaFields | None  # from `soa:`; None = Route 53's default
    soa_field: Field | None
    nameservers: tuple[str, ...] | None  # from `nameservers:`; None = awsdns defaults
    nameservers_field: Field | None
    default_nameservers: tuple[str, ...]
    record_limit: int

    @property
    def text(self) -> str:
        return names.to_text(self.name)


def build_zone(
    header: ZoneHeader,
    entries: list[Entry],
    errors: list[ZoneError],
    invalid: frozenset[GroupKey] = frozenset(),
) -> Zone | None:
    """Check the whole-zone rules and index the zone; None when any error was found.

    `invalid` names the (owner, type) of record sets that already failed their own checks: they
    are missing from `entries`, so aliases to them are not reported again as "not found".
    """
    before = len(errors)
    entries = _with_apex_records(header, entries, errors)
    groups = _group(header, entries, errors)
    for members in groups.values():
        if members[0].record_set.policy != "simple":
            check_routed_group(members, errors)
    _check_cname_conflicts(header, groups, errors)
    if _check_aliases(header, groups, errors, invalid):
        _check_answer_sizes(header, groups, errors)
    count = sum(len(members) for members in groups.values())
    if count > header.record_limit:
        errors.append(
            ZoneError(
                header.source.file,
                header.source.line,
                "record_sets",
                f"{count} record sets; a hosted zone holds at most {header.record_limit} "
                "(Route 53's quota; raise it with `record_limit:` as AWS would on request)",
            )
        )
    if len(errors) > before:
        return None
    return _index(header, groups, count)


def _with_apex_records(
    header: ZoneHeader, entries: list[Entry], errors: list[ZoneError]
) -> list[Entry]:
    """Add the default SOA and NS unless the file gives them as record sets (not both ways)."""
    result = list(entries)
    has = {TYPE_SOA: False, TYPE_NS: False}
    for record_set, at, *_ in entries:
        if record_set.rtype == TYPE_SOA and record_set.name != header.name:
            errors.append(at.error("an SOA record set is only allowed at the zone apex"))
        if record_set.rtype in has and record_set.name == header.name:
            has[record_set.rtype] = True
            explicit = (
                header.soa_field if record_set.rtype == TYPE_SOA else header.nameservers_field
            )
            if explicit is not None:
                errors.append(
                    at.error(
                        f"the apex {TYPE_NAMES[record_set.rtype]} is given twice: here and at "
                        f"line {explicit.line} ({explicit.path})"
                    )
                )
    nameservers = header.nameservers or header.default_nameservers
    where = Field(header.source.file, "zone", header.source.line)
    if not has[TYPE_NS]:
        result.append(Entry(_apex_set(header, TYPE_NS, DEFAULT_NS_TTL, nameservers), where))
    if not has[TYPE_SOA]:
        # Route 53's SOA names one of the zone's own name servers, so an apex NS record set
        # given in the file provides the MNAME when `soa:` does not.
        apex_ns = [rs for rs, *_ in entries if rs.rtype == TYPE_NS and rs.name == header.name]
        first_ns = next((rs.records[0].text for rs in apex_ns if rs.records), nameservers[0])
        soa = header.soa or SoaFields()
        if not soa.mname:
            soa = replace(soa, mname=first_ns)
        result.append(Entry(_apex_set(header, TYPE_SOA, soa.ttl, (soa.value(),)), where))
    return result


def _apex_set(header: ZoneHeader, rtype: int, ttl: int, values: tuple[str, ...]) -> RecordSet:
    records = tuple(parse_value(TYPE_NAMES[rtype], value) for value in values)
    return RecordSet(name=header.name, rtype=rtype, ttl=ttl, records=records, source=header.source)


def _group(
    header: ZoneHeader, entries: list[Entry], errors: list[ZoneError]
) -> dict[GroupKey, list[Entry]]:
    """Record sets by name and type; one joins a group only with the group's policy (§3.0)."""
    groups: dict[GroupKey, list[Entry]] = defaultdict(list)
    for entry in entries:
        record_set = entry.record_set
        members = groups[(record_set.name, record_set.rtype)]
        if members:
            problem = mixing_error(members[0].record_set, record_set)
            if problem is not None:
                errors.append(entry.at.error(problem))
                continue
        members.append(entry)
    return groups


def _check_cname_conflicts(
    header: ZoneHeader, groups: dict[GroupKey, list[Entry]], errors: list[ZoneError]
) -> None:
    """CNAME never at the apex and never beside another type, with Route 53's wording (§1.6)."""
    types_at: dict[Name, list[Entry]] = defaultdict(list)
    for (name, _), members in groups.items():
        types_at[name].extend(members)
    zone_text = header.text
    for name, members in types_at.items():
        cnames = [entry for entry in members if entry.record_set.rtype == TYPE_CNAME]
        if not cnames:
            continue
        owner = names.to_text(name)
        if name == header.name:
            for _, at, *_ in cnames:
                errors.append(
                    at.error(
                        f"RRSet of type CNAME with DNS name {owner} is not permitted at apex "
                        f"in zone {zone_text}"
                    )
                )
            continue
        # Route 53 rejects whichever record set comes second, with a message for each order.
        seen_cname = seen_other = False
        for record_set, at, *_ in sorted(members, key=lambda entry: entry.at.line):
            if record_set.rtype == TYPE_CNAME:
                if seen_other:
                    errors.append(
                        at.error(
                            f"RRSet of type CNAME with DNS name {owner} is not permitted as it "
                            "conflicts with other records with the same DNS name in zone "
                            f"{zone_text}"
                        )
                    )
                seen_cname = True
            else:
                if seen_cname:
                    errors.append(
                        at.error(
                            f"RRSet of type {TYPE_NAMES[record_set.rtype]} with DNS name "
                            f"{owner} is not permitted because a conflicting RRSet of type  "
                            f"CNAME with the same DNS name already exists in zone {zone_text}"
                        )
                    )
                seen_other = True


def _check_aliases(
    header: ZoneHeader,
    groups: dict[GroupKey, list[Entry]],
    errors: list[ZoneError],
    invalid: frozenset[GroupKey],
) -> bool:
    """Alias targets must be record sets of the same zone and type, without cycles, in chains
    of at most `MAX_ALIAS_CHAIN` aliases (§4); whether they all are."""
    before = len(errors)
    edges: Edges = defaultdict(list)
    accepted_ids = {header.zone_id.lower(), header.text.lower(), header.text.lower().rstrip(".")}
    for key, members in groups.items():
        for record_set, at, alias_field, _ in members:
            alias = record_set.alias
            if alias is None:
                continue
            alias_at = alias_field or Field(at.file, f"{at.path}.alias", at.line)
            target_text = names.to_text(alias.name)
            if alias.zone_id is not None and alias.zone_id.lower() not in accepted_ids:
                errors.append(
                    alias_at.error(
                        f"zone_id {alias.zone_id} is not this hosted zone ({header.zone_id}); "
                        "an alias can only target record sets of its own zone"
                    )
                )
                continue
            if not names.is_within(alias.name, header.name):
                errors.append(
                    alias_at.error(
                        f"target {target_text} is outside zone {header.text}; an alias can "
                        "only target record sets of its own zone"
                    )
                )
                continue
            target_key = (alias.name, key[1])
            if target_key not in groups:
                if target_key in invalid:
                    continue  # its record set's own error is reported
                errors.append(
                    alias_at.error(
                        f"Tried to create an alias that targets {target_text}, type "
                        f"{TYPE_NAMES[key[1]]} in zone {header.zone_id}, but that target "
                        "was not found"
                    )
                )
                continue
            edges[key].append((target_key, alias_at))
    if not _check_alias_cycles(edges, errors):
        return False
    _check_alias_chains(edges, errors)
    return len(errors) == before


def _describe(key: GroupKey) -> str:
    return f"{names.to_text(key[0])} {TYPE_NAMES[key[1]]}"


def _check_alias_cycles(edges: Edges, errors: list[ZoneError]) -> bool:
    """Report every loop of aliases once; whether there is none.

    A depth-first walk from each alias in file order, with its own stack (`frames`, and `path`
    with each key's place in `on_path`): the order and wording of the errors are those of the
    recursive walk it replaced, which a chain of 1,500 aliases took past Python's recursion limit.
    """
    done: set[GroupKey] = set()
    reported: set[frozenset[GroupKey]] = set()
    for start in list(edges):
        if start in done:
            continue
        path = [start]
        on_path = {start: 0}
        frames = [iter(edges.get(start, ()))]
        while frames:
            for target, at in frames[-1]:
                if target in on_path:
                    loop = [*path[on_path[target] :], target]
                    if frozenset(loop) not in reported:
                        reported.add(frozenset(loop))
                        chain = " -> ".join(_describe(step) for step in loop)
                        errors.append(at.error(f"alias chain loops: {chain}"))
                    continue
                if target not in done:
                    on_path[target] = len(path)
                    path.append(target)
                    frames.append(iter(edges.get(target, ())))
                    break
            else:
                frames.pop()
                key = path.pop()
                del on_path[key]
                done.add(key)
    return not reported


def _check_alias_chains(edges: Edges, errors: list[ZoneError]) -> None:
    """Refuse chains of more than `MAX_ALIAS_CHAIN` aliases, at the alias where each starts.

    Needs a zone without loops. `longest[key]` is the number of aliases in the longest chain
    from `key` (0 for a group that is no alias); a chain starts at an alias no other alias
    targets, and the error names it and the chain's first and last steps.
    """
    longest: dict[GroupKey, int] = {}
    following: dict[GroupKey, tuple[GroupKey, Field]] = {}  # the first step of that chain
    for start in edges:
        stack = [start]
        while stack:
            key = stack[-1]
            if key in longest:
                stack.pop()
                continue
            pending = [target for target, _ in edges.get(key, ()) if target not in longest]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            best = 0
            for target, at in edges.get(key, ()):
                if key not in following or longest[target] + 1 > best:
                    best = longest[target] + 1
                    following[key] = (target, at)
            longest[key] = best
    targeted = {target for steps in edges.values() for target, _ in steps}
    for start in edges:
        if longest[start] <= MAX_ALIAS_CHAIN or start in targeted:
            continue
        chain = [start]
        while chain[-1] in following:
            chain.append(following[chain[-1]][0])
        steps = [_describe(key) for key in chain]
        shown = " -> ".join([*steps[:3], "...", steps[-1]] if len(steps) > 5 else steps)
        errors.append(
            following[start][1].error(
                f"the alias chain starting at {_describe(start)} is {longest[start]} aliases long "
                f"({shown}); r53emu follows at most {MAX_ALIAS_CHAIN} aliases in a chain (its "
                "bound: Route 53 documents none)"
            )
        )


def _check_answer_sizes(
    header: ZoneHeader, groups: dict[GroupKey, list[Entry]], errors: list[ZoneError]
) -> None:
    """Refuse a group whose answer could not fit a DNS message (`MAX_MESSAGE_BYTES`).

    The largest answer a policy can give: one member's records (every policy but multivalue),
    or the `MULTIVALUE_ANSWERS` largest members together; an alias gives what its target gives.
    The apex NS records ride along in the authority section and count too. Needs aliases
    checked (targets exist, no loops, chains at most `MAX_ALIAS_CHAIN` long).

    Alias chains are followed with an explicit stack, never by recursion, and a group met again
    while its own size is being worked out (a loop, which the alias checks refuse before) counts
    0 bytes there: the check ends whatever the aliases.
    """
    largest: dict[GroupKey, int] = {}

    def alias_targets(key: GroupKey) -> list[GroupKey]:
        """The groups `key`'s aliases answer with (a target missing here failed its own checks,
        reported there)."""
        targets = []
        for entry in groups[key]:
            alias = entry.record_set.alias
            if alias is not None and (alias.name, key[1]) in groups:
                targets.append((alias.name, key[1]))
        return targets

    def answer_bytes(key: GroupKey) -> int:
        stack = [key]
        entered: set[GroupKey] = set()  # its targets are on the stack above it
        while stack:
            current = stack[-1]
            if current in largest:
                stack.pop()
            elif current in entered:
                stack.pop()
                largest[current] = group_bytes(current)
            else:
                entered.add(current)
                targets = alias_targets(current)
                stack += [t for t in targets if t not in largest and t not in entered]
        return largest[key]

    def group_bytes(key: GroupKey) -> int:
        members = groups[key]
        if len(members) == 1:
            return member_bytes(members[0].record_set)
        if members[0].record_set.policy == "multivalue":
            sizes = sorted((member_bytes(entry.record_set) for entry in members), reverse=True)
            return sum(sizes[:MULTIVALUE_ANSWERS])
        return max(member_bytes(entry.record_set) for entry in members)

    def member_bytes(record_set: RecordSet) -> int:
        if record_set.alias is not None:
            # Its target's size is known (a loop's, still being worked out, counts 0).
            return largest.get((record_set.alias.name, record_set.rtype), 0)
        records = record_set.records
        return _RECORD_HEAD_BYTES * len(records) + sum(len(value.wire) for value in records)

    apex = header.name
    authority = answer_bytes((apex, TYPE_NS)) if (apex, TYPE_NS) in groups else 0
    budget = MAX_MESSAGE_BYTES - MESSAGE_OVERHEAD_BYTES
    for key, members in groups.items():
        size = answer_bytes(key)
        with_authority = size + (0 if key == (apex, TYPE_NS) else authority)
        if with_authority > budget:
            errors.append(
                members[0].at.error(
                    f"the answer for {_describe(key)} could be {with_authority:,} bytes with the "
                    f"apex NS records; a DNS message holds at most {MAX_MESSAGE_BYTES:,} bytes "
                    f"({MESSAGE_OVERHEAD_BYTES} of them kept for header, question and OPT)"
                )
            )


def _index(header: ZoneHeader, groups: dict[GroupKey, list[Entry]], count: int) -> Zone:
    nodes: dict[Name, dict[int, RecordGroup]] = defaultdict(dict)
    for (name, rtype), members in groups.items():
        record_sets = tuple(entry.record_set for entry in members)
        nodes[name][rtype] = RecordGroup(name, rtype, record_sets[0].policy, record_sets)
    existing = {header.name}
    for name in nodes:
        # Each owner with its ancestors up to the first one already known (the apex at the
        # latest: every owner lies within the zone), rather than all of them for every owner.
        while name not in existing:
            existing.add(name)
            name = name[1:]
    cuts = frozenset(
        name for name, node in nodes.items() if TYPE_NS in node and name != header.name
    )
    ns_group = nodes[header.name][TYPE_NS]
    return Zone(
        name=header.name,
        zone_id=header.zone_id,
        source=header.source,
        nodes=dict(nodes),
        existing=frozenset(existing),
        cuts=cuts,
        record_set_count=count,
        nameservers=tuple(value.text for member in ns_group.members for value in member.records),
    )
