"""ChangeResourceRecordSets on one zone: the whole batch judged first, then applied or not at all.

`plan_batch` runs the changes in order on an overlay of the zone (the zone itself is not
touched), checking each the way Route 53 does:

- CREATE of a record set that exists: `Tried to create resource record set [name='...',
  type='...'] but it already exists`; DELETE of one that does not: `... but it was not found`;
  DELETE whose values differ from the current ones: `... but the values provided do not match
  the current values` (values in any order); UPSERT puts the record set whatever was there. A
  SetIdentifier is named inside the brackets: `[name='...', type='...', set-identifier='...']`.
- One record set changed twice in a batch: `The request contains an invalid set of changes for a
  resource record set 'A www.example.com.'`, except a DELETE followed by a CREATE or UPSERT (the
  classic way to replace a record set).
- The apex SOA and NS stay: `A HostedZone must contain exactly one SOA record.` and `A HostedZone
  must contain at least one NS record for the zone itself.` (Route 53's words).

Then the zone as it would be after the batch is built by the zone files' validation
(`apizonebuild`): each of its errors becomes a message naming the change that caused it, unless
the validation already speaks Route 53's words (`RRSet of type CNAME ...`, `Tried to create an
alias ...`), which are passed on as they are. Every message of every change is reported at once,
as InvalidChangeBatch. A record set with both an alias and values, or neither, is InvalidInput
in Route 53's wording, found before anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from r53emu.api.apizonebuild import MAX_RRSETS_BY_ZONE, BuildProblem, build_api_zone
from r53emu.api.errors import ApiError, invalid_change_batch
from r53emu.api.rrsetindex import RecordSetData, RecordSetIndex
from r53emu.api.rrsetnames import SortKey, canonical, described, key_of, same_values, sort_key
from r53emu.model import names
from r53emu.model.catalog import Zone
from r53emu.model.names import Name
from r53emu.zonefiles.routing_field_rules import NO_ACCOUNT, AccountRefs

_ROUTE53_WORDED = ("RRSet ", "Tried to ", "A HostedZone ")  # messages already in Route 53's words
_APEX_RULES = {
    "SOA": "A HostedZone must contain exactly one SOA record.",
    "NS": "A HostedZone must contain at least one NS record for the zone itself.",
}


@dataclass(frozen=True)
class ZoneTarget:
    """What a batch applies to: the zone's name, id and delegation set, and its record sets."""

    name: Name
    zone_id: str
    nameservers: tuple[str, ...]
    record_sets: RecordSetIndex


@dataclass(frozen=True)
class BatchPlan:
    """A batch found valid: the record sets it puts (None where it removes one) and the zone
    that results, ready to serve."""

    changed: Mapping[SortKey, RecordSetData | None]
    zone: Zone


def plan_batch(
    target: ZoneTarget,
    changes: Sequence[Mapping[str, Any]],
    *,
    account: AccountRefs = NO_ACCOUNT,
    record_limit: int = MAX_RRSETS_BY_ZONE,
) -> BatchPlan:
    """Judge `changes` (as boto3 passes `ChangeBatch.Changes`) against `target`; raise
    `ApiError` (InvalidChangeBatch with every message, or InvalidInput) when any is wrong."""
    for number, change in enumerate(changes):
        _check_shape(number, change)
    messages: list[str] = []
    overlay: dict[SortKey, RecordSetData | None] = {}
    origin: dict[SortKey, int] = {}  # which change put each record set of the overlay
    last_action: dict[SortKey, str] = {}
    for number, change in enumerate(changes):
        action = change["Action"]
        given = change["ResourceRecordSet"]
        try:
            record_set = canonical(given)
        except names.InvalidName as exc:
            messages.append(f"{_change_label(number, action, given)}: {exc}")
            continue
        key = key_of(record_set)
        previous = last_action.get(key)
        last_action[key] = action
        if previous is not None and not (previous == "DELETE" and action != "DELETE"):
            messages.append(
                "The request contains an invalid set of changes for a resource record set "
                f"'{record_set['Type']} {record_set['Name']}'"
            )
            continue
        current = overlay[key] if key in overlay else target.record_sets.get(key)
        problem = _judge(action, record_set, current)
        if problem is not None:
            messages.append(problem)
            continue
        overlay[key] = None if action == "DELETE" else record_set
        origin[key] = number
    messages.extend(_apex_problems(target, overlay))
    built = _build(target, overlay, origin, changes, account, record_limit, messages)
    if messages or built is None:
        raise invalid_change_batch(messages)
    return BatchPlan(overlay, built)


def _check_shape(number: int, change: Mapping[str, Any]) -> None:
    """Route 53's InvalidInput for a record set that is neither an alias nor TTL and values."""
    record_set = change["ResourceRecordSet"]
    if "TrafficPolicyInstanceId" in record_set:
        raise ApiError(
            "InvalidInput",
            f"Invalid request: ChangeBatch.Changes[{number}] names a traffic policy instance; "
            "r53emu does not emulate traffic policies",
        )
    kinds = ("AliasTarget" in record_set) + ("TTL" in record_set or "ResourceRecords" in record_set)
    if kinds == 1:
        return
    found = "none" if kinds == 0 else "more than one"
    identifier = record_set.get("SetIdentifier")
    raise ApiError(
        "InvalidInput",
        "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
        f"ResourceRecords], or TrafficPolicyInstanceId], but found {found} in Change with "
        f"[Action={change['Action']}, Name={record_set['Name']}, Type={record_set['Type']}, "
        f"SetIdentifier={'null' if identifier is None else identifier}]",
    )


def _judge(action: str, record_set: RecordSetData, current: RecordSetData | None) -> str | None:
    """The message for a change that cannot apply to the record set there now, else None."""
    if action == "CREATE" and current is not None:
        return f"Tried to create resource record set {described(record_set)} but it already exists"
    if action == "DELETE":
        if current is None:
            return (
                f"Tried to delete resource record set {described(record_set)} but it was not found"
            )
        if not same_values(record_set, current):
            return (
                f"Tried to delete resource record set {described(record_set)} but the values "
                "provided do not match the current values"
            )
    return None


def _apex_problems(
    target: ZoneTarget, overlay: Mapping[SortKey, RecordSetData | None]
) -> list[str]:
    problems = []
    for rtype, message in _APEX_RULES.items():
        key = sort_key(target.name, rtype, None)
        present = overlay[key] is not None if key in overlay else key in target.record_sets
        if not present:
            problems.append(message)
    return problems


def _build(
    target: ZoneTarget,
    overlay: Mapping[SortKey, RecordSetData | None],
    origin: Mapping[SortKey, int],
    changes: Sequence[Mapping[str, Any]],
    account: AccountRefs,
    record_limit: int,
    messages: list[str],
) -> Zone | None:
    """The zone after the batch, or None with its problems added to `messages`."""
    record_sets = [rs for key, rs in target.record_sets.items() if key not in overlay]
    kept = len(record_sets)
    changed_by: list[int] = []
    for key, record_set in overlay.items():
        if record_set is not None:
            record_sets.append(record_set)
            changed_by.append(origin[key])
    built = build_api_zone(
        target.name,
        target.zone_id,
        record_sets,
        nameservers=target.nameservers,
        account=account,
        record_limit=record_limit,
    )
    if isinstance(built, Zone):
        return built
    for problem in built:
        messages.append(_message(problem, record_sets, kept, changed_by, changes))
    return None


def _message(
    problem: BuildProblem,
    record_sets: Sequence[RecordSetData],
    kept: int,
    changed_by: Sequence[int],
    changes: Sequence[Mapping[str, Any]],
) -> str:
    """A build problem as a message naming its change (or the record set it is about)."""
    if problem.message.startswith(_ROUTE53_WORDED) or problem.position is None:
        return problem.message
    record_set = record_sets[problem.position]
    member = f"ResourceRecordSet.{problem.field}: " if problem.field else ""
    if problem.position < kept:
        return f"{described(record_set)} (in the zone, not changed): {member}{problem.message}"
    number = changed_by[problem.position - kept]
    label = _change_label(number, changes[number]["Action"], record_set)
    return f"{label}: {member}{problem.message}"


def _change_label(number: int, action: str, record_set: Mapping[str, Any]) -> str:
    return f"ChangeBatch.Changes[{number}] ({action} {described(record_set)})"
