"""The replies to one drawn question, by the path its lookup took: the reply cache's redraw.

An answer drawn at random (weighted, multivalue) may take several decisions: an alias into a
weighted group whose members alias further (a chain, a tree), the several record sets of an
ANY, the additional section's A and AAAA. The lookup takes them depth first, and which group
decides next depends only on what the previous decisions chose, so the decisions form a path
through the zone's groups. `DrawnPaths` keeps, for one question (and one client location, where
the location chose), a `_Step` per group the lookup consulted (its policy's `Draw` for the
health the lookup saw, or its fixed choice: simple, failover and, per location, the location
policies), and one reply per path seen, keyed by the record sets each run of decisions ended on.

`redraw` walks the steps as the lookup would: a pick of one alias member goes on to the step of
its target; a pick of other record sets ends a run (a `_Segment`: the answer's record set, or one
of ANY's, or an additional one), after which the next run starts where the lookup's next
decision did. Where the walk reaches something not seen yet, or a path whose reply is not kept,
it is a miss: the generator's state, saved before the walk, is put back, so that the lookup then
draws what the walk drew and no path is favoured. Between two runs the lookup shuffles the
values of the record sets the first run ended on; the walk makes the same calls (a shuffle of
as many items), so that its later picks are the lookup's. Once every path the steps allow has
its reply (`complete`), no miss is possible: nothing is saved, a step with one possible pick
draws nothing, and a question with one possible reply is answered without drawing at all.

Health and location are fixed for the life of the value: the reply cache drops a question when
a check it consulted changes (`ConsultedHealth`), and keeps one `DrawnPaths` per location.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from r53emu.answer.routing import DRAWS, Draw
from r53emu.model.names import Name
from r53emu.model.query import Answer, Decision, Routed
from r53emu.server.cachedreply import CachedReply

Leaf = tuple[int, tuple[int, ...]]  # a step's number and the positions it chose (sorted)
PathKey = tuple[Leaf, ...]  # the leaves of an answer's runs, in the lookup's order
_MISSING: object = object()
# Estimated bytes of memory a step and a run keep beyond their replies (their objects, the
# draw's tuples for a small group): measured with tracemalloc alongside the reply cache's.
STEP_BYTES = 900
SEGMENT_BYTES = 400
LEAF_BYTES = 200  # a path's key, per leaf


@dataclass(slots=True)
class _Step:
    """One group's decision: drawn (`draw`) or fixed (`fixed`); the steps of the alias
    members' targets (by the member's position) as the lookup reached them."""

    index: int
    draw: Draw | None
    fixed: tuple[int, ...]
    alias_positions: frozenset[int]
    values: tuple[int, ...]  # each member's number of values (what the lookup shuffles)
    single: tuple[int, ...] | None  # the draw's only possible pick, if it has one
    targets: dict[int, tuple[Name, int]]  # each alias member's target: its name and type
    aliases: dict[int, _Step] = field(default_factory=dict)  # the targets' steps, once known

    def choose(self, rng: random.Random, exact: bool) -> tuple[int, ...]:
        draw = self.draw
        if draw is None:
            return self.fixed
        if not exact and self.single is not None:
            return self.single
        return draw.pick(rng)


@dataclass(slots=True)
class _Segment:
    """A run of decisions starting at `start`; what follows each leaf it ended on (None: the
    answer ends there; absent: not seen yet)."""

    start: _Step
    after: dict[Leaf, _Segment | None] = field(default_factory=dict)


class DrawnPaths:
    """The replies to one drawn question by path (see the module docstring)."""

    __slots__ = ("_by_target", "_first", "_steps", "complete", "replies", "used")

    def __init__(self) -> None:
        self._first: _Segment | None = None
        self._steps: dict[int, _Step] = {}  # by the group's id (one catalog: the cache's)
        self._by_target: dict[tuple[Name, int], _Step] = {}  # by the group's name and type
        self.replies: dict[PathKey, CachedReply] = {}
        self.complete = False
        self.used = False

    def add(self, answer: Answer, reply: CachedReply) -> int | None:
        """Keep `reply` for the path `answer` took; the bytes of memory added (None: the path
        cannot be redrawn, or its reply is kept already: nothing kept)."""
        before = self._structure_bytes()
        key = self._trace(answer.routed, answer.why)
        if key is None or key in self.replies:
            return None
        self.replies[key] = reply
        self.complete = self._paths() == len(self.replies)
        return self._structure_bytes() - before + reply.weight + LEAF_BYTES * len(key)

    def drop_one(self) -> int:
        """Forget the oldest reply (to make room); the bytes of memory freed."""
        key = next(iter(self.replies))
        reply = self.replies.pop(key)
        self.complete = False
        return reply.weight + LEAF_BYTES * len(key)

    def weight(self) -> int:
        """The bytes `add` counted, for every reply kept and the steps."""
        replies = sum(reply.weight + LEAF_BYTES * len(key) for key, reply in self.replies.items())
        return self._structure_bytes() + replies

    def redraw(self, rng: random.Random) -> CachedReply | None:
        """The reply for a new draw, or None (then the generator is as it was)."""
        replies = self.replies
        if self.complete:
            if len(replies) == 1:
                return next(iter(replies.values()))
            key = self._walk(rng, exact=False)
            return None if key is None else replies.get(key)
        state = rng.getstate()
        key = self._walk(rng, exact=True)
        cached = None if key is None else replies.get(key)
        if cached is None:
            rng.setstate(state)
        return cached

    def _walk(self, rng: random.Random, exact: bool) -> PathKey | None:
        """The path the lookup would take with the generator as it is (None: it leaves what
        has been seen). `exact`: make the lookup's very calls on the generator."""
        segment = self._first
        keys: list[Leaf] = []
        while segment is not None:
            step = segment.start
            pick = step.choose(rng, exact)
            while len(pick) == 1 and pick[0] in step.alias_positions:
                target = step.aliases.get(pick[0])
                if target is None:
                    return None
                step = target
                pick = step.choose(rng, exact)
            leaf = (step.index, pick if len(pick) < 2 else tuple(sorted(pick)))
            keys.append(leaf)
            following = segment.after.get(leaf, _MISSING)
            if following is _MISSING:
                return None
            if following is not None and exact:
                for position in pick:  # the lookup shuffles each chosen record set's values
                    if step.values[position] > 1:
                        rng.shuffle([0] * step.values[position])
            segment = following  # type: ignore[assignment]
        return tuple(keys)

    def _trace(self, routed: tuple[Routed, ...], why: tuple[Decision, ...]) -> PathKey | None:
        """Record the steps and runs of one lookup's decisions; its path (None: a shape the
        walk cannot follow, e.g. a pick of several members among which an alias)."""
        if not routed or len(routed) != len(why):
            return None
        keys: list[Leaf] = []
        previous: tuple[_Segment, Leaf] | None = None
        index = 0
        while index < len(routed):
            start = step = self._step(routed[index], why[index])
            pick = routed[index].chosen
            while len(pick) == 1 and pick[0] in step.alias_positions:
                index += 1
                if index == len(routed):
                    return None  # an alias not followed (past the chain bound)
                target = self._step(routed[index], why[index])
                if step.aliases.setdefault(pick[0], target) is not target:
                    return None
                step, pick = target, routed[index].chosen
            if step.alias_positions.intersection(pick):
                return None
            leaf = (step.index, pick)
            index += 1
            segment = self._segment(previous, start)
            if segment is None:
                return None
            keys.append(leaf)
            previous = (segment, leaf)
        assert previous is not None
        segment, leaf = previous
        if segment.after.setdefault(leaf, None) is not None:
            return None  # this leaf was seen followed by more: not the same shape
        return tuple(keys)

    def _segment(self, previous: tuple[_Segment, Leaf] | None, start: _Step) -> _Segment | None:
        """The run that starts at `start` after `previous` (made if new; None: a different
        run was seen there)."""
        if previous is None:
            if self._first is None:
                self._first = _Segment(start)
            found = self._first
        else:
            segment, leaf = previous
            existing = segment.after.get(leaf, _MISSING)
            if existing is None:
                return None  # seen as the end of the answer
            if existing is _MISSING:
                existing = segment.after[leaf] = _Segment(start)
            found = existing  # type: ignore[assignment]
        return found if found.start is start else None

    def _step(self, routed: Routed, decision: Decision) -> _Step:
        """The group's step, made when first met and linked to the steps of the aliases that
        target it (and of those it targets): two aliases to one group share its step."""
        group = routed.group
        step = self._steps.get(id(group))
        if step is not None:
            return step
        step = self._steps[id(group)] = _new_step(len(self._steps), routed, decision)
        self._by_target[group.name, group.rtype] = step
        for other in self._steps.values():
            for position, target in other.targets.items():
                known = self._by_target.get(target)
                if known is not None:
                    other.aliases.setdefault(position, known)
        return step

    def _paths(self) -> int | None:
        """How many paths the steps allow (None: some are not known yet)."""
        return None if self._first is None else _segment_paths(self._first)

    def _structure_bytes(self) -> int:
        return STEP_BYTES * len(self._steps) + SEGMENT_BYTES * _segments(self._first)


def _new_step(index: int, routed: Routed, decision: Decision) -> _Step:
    group = routed.group
    members = group.members
    aliases = frozenset(i for i, member in enumerate(members) if member.alias is not None)
    values = tuple(len(member.records) for member in members)
    targets = {
        i: (member.alias.name, group.rtype)
        for i, member in enumerate(members)
        if member.alias is not None
    }
    planner = DRAWS.get(group.policy)
    if planner is None:  # not drawn: fixed for this health (and location)
        return _Step(index, None, routed.chosen, aliases, values, None, targets)
    health = dict(zip(map(id, members), decision.healthy, strict=True))
    draw = planner(group, lambda member: health[id(member)])
    picks = draw.picks() if draw.outcomes() == 1 else None
    single = next(iter(picks)) if picks is not None else None
    return _Step(index, draw, (), aliases, values, single, targets)


def _segment_paths(segment: _Segment) -> int | None:
    leaves = _leaves(segment.start)
    if leaves is None or len(segment.after) != leaves:
        return None
    total = 0
    for following in segment.after.values():
        paths = 1 if following is None else _segment_paths(following)
        if paths is None:
            return None
        total += paths
    return total


def _leaves(start: _Step) -> int | None:
    """How many different leaves a run from `start` can end on (None: an alias target not
    seen yet). Two aliases to one target reach the same leaves: each step counts once."""
    reached, todo, total = {start.index}, [start], 0
    while todo:
        step = todo.pop()
        if step.draw is not None and not step.alias_positions:
            total += step.draw.outcomes()  # each pick a different leaf
            continue
        picks = [step.fixed] if step.draw is None else step.draw.picks()
        for pick in picks:
            if len(pick) != 1 or pick[0] not in step.alias_positions:
                total += 1
                continue
            target = step.aliases.get(pick[0])
            if target is None:
                return None
            if target.index not in reached:
                reached.add(target.index)
                todo.append(target)
    return total


def _segments(segment: _Segment | None) -> int:
    if segment is None:
        return 0
    return 1 + sum(_segments(following) for following in segment.after.values())
