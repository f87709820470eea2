"""Rendered replies, reused for the next identical question: the fast path.

Looking up and rendering with dnslib cost most of a query's time (measured: tens to hundreds of
microseconds, against a few for a reply made of kept bytes). The first reply to a question is made
by the slow path (strict reader, lookup, dnslib) and its records kept as bytes, packed as the slow
path packs them (`wire.pack_sections`: one dnslib message, the same compression); later queries
whose question is the same bytes (name as sent, type, class) are read by hand
(`r53emu.server.quickread`) and answered from them: the query's ID, then flags and counts for its
RD, CD and EDNS (precomputed), the question and the records, and an OPT made for this query (payload
4096, DO copied, ECS echoed). Values of a record set come in random order (§2.2): where they have at
most `cachedreply.MAX_ORDERS` orders, every order's bytes are kept and one is picked per reply;
otherwise the records are shuffled per reply. Reordering moves no name: every record of a record set
has the same owner, packed alike after the first record (a pointer), so only what follows the owner
names is swapped (whole records when the first is packed alike too), and every order is the bytes
the slow path sends for that order, of the same size.

What is cached: every answer whose rcode fits the header (a drawn one as below). One that fits
in 512 bytes with any OPT is never cut by a client's limit. Each keeps the sizes that decide what a
query gets, by the limit it can take (512 without EDNS, its EDNS payload up to 4096, 65535 over
TCP, as `wire.render` uses them): the whole reply, the reply without its additional section
(not for a referral), or the truncated one (TC, question and OPT only), cut from the same
bytes. Over UDP and TCP these differ, so the caller says which (`reply_to`'s `transport`); when
it does not, only a reply that fits the query's UDP limit whole is given from the cache. The
amplification guard's cap (`server.udpguard`) is one more limit, cut the same way, however small
the reply; a guarded ANY is never answered from the cache (its RFC 8482 reply is not kept). An
answer that used the client's location (geolocation, latency, geoproximity, IP-based) is kept
per client (its ECS option's family, prefix and address, else its address) and echoes ECS with
the source prefix as scope, as `wire.render` does. An answer drawn at random (weighted,
multivalue: one decision, no alias among the record sets) is kept per outcome: the group's
`Draw` (answer.routing, worked out once for the health of its members) picks per query, making
the same generator calls as the policy, and the reply of the record sets it drew is used. While
some outcome is not cached yet, the generator's state is saved before picking and restored on a
miss, so that the lookup then draws the same outcome and none is favoured. Other random answers
(aliases into weighted trees) are not cached.

The cache belongs to one catalog and one random generator: a reload or a reseed empties it. A
health change drops only the questions whose answers consulted a check that changed (each
stored answer records the checks its lookup asked about). Its size is bounded in bytes, not in
entries: every entry, and each reply kept per client or per draw, is counted by an estimate of
the memory it keeps (`_ENTRY_BYTES`, the `weight` of each reply), and when the total passes
`max_bytes` (`MAX_BYTES` by default) questions are dropped one by one, least recently used
first as a "second chance" queue approximates it (the oldest goes, unless it was answered since
the queue last passed it: then it goes to the back, once; a hit only sets a flag), so clients
asking endless distinct questions (names under a wildcard) cost a bounded amount of memory
while the questions asked again stay cached. An answer that cannot be cached (drawn in a way
the cache cannot redraw, an rcode above 15) leaves nothing behind.
"""

from __future__ import annotations

import random
import struct
from collections import deque
from dataclasses import dataclass
from typing import cast

from r53emu.answer.routing import DRAWS, Draw
from r53emu.health.snapshot import HealthView
from r53emu.model.catalog import Catalog, RecordGroup, RecordSet
from r53emu.model.dnsconstants import TYPE_ANY
from r53emu.model.query import Answer, Outcome, Routed
from r53emu.server.cachedreply import (
    CachedReply,
    assemble,
    assemble_sized,
    compile_reply,
    question_bytes,
)
from r53emu.server.quickread import read_query
from r53emu.server.wire import Packed, ParsedQuery

MAX_BYTES = 64 * 2**20  # the default bound on the memory the cache keeps (estimated)
RANDOM_POLICIES = frozenset(DRAWS)  # their answers are drawn per query
_ANY = TYPE_ANY.to_bytes(2, "big")
# Appended to an ANY question's bytes to key the amplification guard's RFC 8482 answer to it (no
# question's bytes can end so: the name decides where a question ends, four bytes after it).
MINIMAL_ANY = b"\x01"
# Estimated bytes of memory, measured with tracemalloc (tests/unit/server/test_replycache.py
# checks the estimate stays above what is really kept): a question's slot in the cache (the
# dict's entry, the key's bytes object, its place in the eviction queue), a kept reply's fixed
# objects, a bytes object's header, each record of the Answer kept for the query log, a
# client's (or a draw's) slot.
_ENTRY_BYTES = 260
_CLIENT_BYTES = 150
_CHECK_BYTES = 60  # a question's place in `_by_check` and `_checks`, per check

ClientKey = bytes | str  # the ECS option's data (scope 0), else the client's address
DrawKey = tuple[int, ...]  # the positions, in the group, of the record sets drawn, sorted


@dataclass(slots=True)
class _PerClient:
    """The replies to one location-dependent question, by client."""

    replies: dict[ClientKey, CachedReply]
    used: bool = False


@dataclass(slots=True)
class _Drawn:
    """The replies to one question answered by a random draw, by the record sets drawn."""

    draw: Draw
    outcomes: int  # how many different draws are possible
    replies: dict[DrawKey, CachedReply]
    used: bool = False

    def redraw(self, rng: random.Random) -> CachedReply | None:
        """The reply for a new draw, or None (then the generator is as it was: see the
        module docstring)."""
        replies = self.replies
        if len(replies) == self.outcomes:  # every outcome is cached: no miss possible
            if self.outcomes == 1:
                return next(iter(replies.values()))
            return replies[tuple(sorted(self.draw.pick(rng)))]
        state = rng.getstate()
        cached = replies.get(tuple(sorted(self.draw.pick(rng))))
        if cached is None:
            rng.setstate(state)
        return cached


_Entry = CachedReply | _PerClient | _Drawn


class ConsultedHealth:
    """A health view that remembers which checks were asked about (during one lookup)."""

    def __init__(self, view: HealthView) -> None:
        self.view = view
        self.checks: set[str] = set()

    def is_healthy(self, check_id: str) -> bool:
        self.checks.add(check_id)
        return self.view.is_healthy(check_id)


class ReplyCache:
    """Replies by question bytes (and by client or outcome where the location or a draw
    chose) for one catalog and random generator; see the module docstring."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._catalog: Catalog | None = None
        self._health: HealthView | None = None
        self._rng: random.Random | None = None
        self._entries: dict[bytes, _Entry] = {}
        # The entries in the order they were stored (or last given a second chance); a pair
        # whose entry is no longer the question's (dropped on a health change) is skipped.
        self._queue: deque[tuple[bytes, _Entry]] = deque()
        self._by_check: dict[str, set[bytes]] = {}  # the questions whose answers asked about it
        self._checks: dict[bytes, tuple[str, ...]] = {}  # the checks each question asked about
        self._size = 0
        self.bytes = 0  # estimated memory kept (see the module docstring)

    def __len__(self) -> int:
        """How many replies are cached."""
        return self._size

    def reply_to(
        self,
        packet: bytes,
        client_ip: str,
        catalog: Catalog,
        health: HealthView,
        rng: random.Random,
        transport: str | None = None,
        cap: int | None = None,
    ) -> tuple[bytes, CachedReply] | None:
        """The reply to `packet` from the cache, or None: then the slow path answers it (and
        calls `store`). `transport` ("udp", "tcp") sets the size a reply may have; unknown
        (None), only replies that are the same over both are given. `cap` is the amplification
        guard's (`server.udpguard`): the reply is at most that big, and ANY is never answered
        from the cache (the guard answers it otherwise)."""
        if catalog is not self._catalog or health is not self._health or rng is not self._rng:
            self._follow(catalog, health, rng)
        quick = read_query(packet)
        if quick is None:
            return None
        question, edns, subnet = quick
        if cap is not None and question[-4:-2] == _ANY:
            question += MINIMAL_ANY  # the guard's RFC 8482 answer is kept apart
        entry = self._entries.get(question)
        # Exact type tests: cheaper than isinstance, and the classes have no subclasses.
        kind = type(entry)
        cached: CachedReply | None
        if kind is CachedReply:
            cached = cast(CachedReply, entry)
            cached.used = True
        elif kind is _PerClient:
            per_client = cast(_PerClient, entry)
            per_client.used = True
            cached = per_client.replies.get(subnet if subnet is not None else client_ip)
        elif kind is _Drawn:
            drawn = cast(_Drawn, entry)
            drawn.used = True
            cached = drawn.redraw(rng)
        else:
            return None
        if cached is None:
            return None
        if cached.small and cap is None:
            return assemble(packet, cached, edns, subnet, rng), cached
        reply = assemble_sized(packet, cached, edns, subnet, rng, transport, cap)
        return None if reply is None else (reply, cached)

    def store(
        self,
        query: ParsedQuery,
        client_ip: str,
        answer: Answer,
        catalog: Catalog,
        health: HealthView,
        checks: set[str],
        minimal_any: bool = False,
        packed: Packed | None = None,
    ) -> None:
        """Remember `answer` for `query`; `checks` are the health checks its lookup asked about
        (see the module docstring for what is kept). An answer that cannot be cached leaves
        nothing behind: the next query for it is answered by the slow path again.
        `minimal_any`: the answer is the amplification guard's to an ANY question, kept apart
        from Route 53's. `packed`: the whole answer packed (`wire.render_whole`), if at hand."""
        if catalog is not self._catalog or health is not self._health:
            return
        is_drawn = _is_drawn(answer)
        drawn = _redrawable(answer) if is_drawn else None
        if is_drawn and drawn is None:
            return  # drawn in a way the cache cannot redraw
        question = question_bytes(query)
        key = question + MINIMAL_ANY if minimal_any else question
        existing = self._entries.get(key)
        if existing is not None and not isinstance(existing, _PerClient | _Drawn):
            return  # cached already
        compiled = compile_reply(query, answer, question, packed)
        if compiled is None:
            return
        entry: _Entry
        if drawn is not None:
            by_draw = existing if isinstance(existing, _Drawn) else _new_drawn(drawn.group, health)
            if drawn.chosen in by_draw.replies:
                return
            by_draw.replies[drawn.chosen] = compiled
            entry, added = by_draw, compiled.weight + _CLIENT_BYTES
        elif answer.location_dependent:
            per_client = existing if isinstance(existing, _PerClient) else _PerClient({})
            client = _client_key(query, client_ip)
            if client in per_client.replies:
                return
            per_client.replies[client] = compiled
            entry, added = per_client, compiled.weight + _CLIENT_BYTES + len(client)
        else:
            entry, added = compiled, compiled.weight
        if existing is None:
            added += _ENTRY_BYTES + len(key)
            self._entries[key] = entry
            self._queue.append((key, entry))
        self.bytes += added
        self._depends_on(key, checks)
        self._size += 1
        self._evict(key)

    def _depends_on(self, key: bytes, checks: set[str]) -> None:
        if not checks:
            return
        known = self._checks.get(key, ())
        new = [check for check in checks if check not in known]
        if not new:
            return
        self._checks[key] = (*known, *new)
        self.bytes += _CHECK_BYTES * len(new)
        for check in new:
            self._by_check.setdefault(check, set()).add(key)

    def _evict(self, keep: bytes) -> None:
        """Drop questions until the cache is within `max_bytes`: the oldest first, but one
        answered since the queue last passed it goes to the back instead, once (the "second
        chance" approximation of least recently used, which costs a hit one flag). The
        question just stored (`keep`) loses its oldest replies (per client or per draw) before
        it goes itself."""
        queue, entries = self._queue, self._entries
        while self.bytes > self.max_bytes and queue:
            key, entry = queue[0]
            if entries.get(key) is not entry:
                queue.popleft()  # dropped already
            elif key == keep and len(entries) > 1:
                queue.rotate(-1)  # just stored: others go first
            elif entry.used:
                entry.used = False
                queue.rotate(-1)
            elif key == keep and isinstance(entry, _PerClient | _Drawn) and len(entry.replies) > 1:
                replies = cast(dict[object, CachedReply], entry.replies)
                client = next(iter(replies))
                reply = replies.pop(client)
                extra = len(cast(ClientKey, client)) if isinstance(entry, _PerClient) else 0
                self.bytes -= reply.weight + _CLIENT_BYTES + extra
                self._size -= 1
            else:
                queue.popleft()
                self._drop(key)

    def _drop(self, key: bytes) -> None:
        """Forget one question (and every reply kept for it); its queue pair goes stale."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._size -= _replies_in(entry)
        self.bytes -= _entry_bytes(key, entry)
        checks = self._checks.pop(key, ())
        self.bytes -= _CHECK_BYTES * len(checks)
        for check in checks:
            dependents = self._by_check.get(check)
            if dependents is not None:
                dependents.discard(key)
                if not dependents:
                    del self._by_check[check]

    def _follow(self, catalog: Catalog, health: HealthView, rng: random.Random) -> None:
        """Catch up with a reload, a reseed (empty) or a health change (drop what it touched).

        A reseed empties the cache too: which draws hit the cache changes how many numbers a
        query draws, so a seeded sequence of answers is reproducible only from an empty cache.
        """
        old_health = self._health
        if catalog is not self._catalog or rng is not self._rng or old_health is None:
            self._clear()
        else:
            changed = [
                check
                for check in self._by_check
                if old_health.is_healthy(check) != health.is_healthy(check)
            ]
            for check in changed:
                for key in list(self._by_check.get(check, ())):
                    self._drop(key)
        self._catalog, self._health, self._rng = catalog, health, rng

    def _clear(self) -> None:
        self._entries.clear()
        self._queue.clear()
        self._by_check.clear()
        self._checks.clear()
        self._size = 0
        self.bytes = 0


def _entry_bytes(key: bytes, entry: _Entry) -> int:
    """The bytes `store` counted for `key`'s entry (its replies included)."""
    size = _ENTRY_BYTES + len(key)
    if isinstance(entry, _PerClient):
        for client, reply in entry.replies.items():
            size += reply.weight + _CLIENT_BYTES + len(client)
    elif isinstance(entry, _Drawn):
        size += sum(reply.weight + _CLIENT_BYTES for reply in entry.replies.values())
    else:
        size += entry.weight
    return size


def _replies_in(entry: _Entry) -> int:
    if isinstance(entry, _PerClient | _Drawn):
        return len(entry.replies)
    return 1


def _is_drawn(answer: Answer) -> bool:
    return any(routed.group.policy in RANDOM_POLICIES for routed in answer.routed)


def _redrawable(answer: Answer) -> Routed | None:
    """The draw that alone made `answer`, if it can be redrawn from the cache: one decision,
    a positive answer, no alias among the members (their health is their checks')."""
    if len(answer.routed) != 1 or answer.outcome is not Outcome.ANSWER:
        return None
    routed = answer.routed[0]
    if any(member.alias is not None for member in routed.group.members):
        return None
    return routed


def _new_drawn(group: RecordGroup, health: HealthView) -> _Drawn:
    def healthy(member: RecordSet) -> bool:
        check = member.health_check_id
        return check is None or health.is_healthy(check)

    draw = DRAWS[group.policy](group, healthy)
    return _Drawn(draw, draw.outcomes(), {})


def _client_key(query: ParsedQuery, client_ip: str) -> ClientKey:
    """The ECS option's data as the query sent it (scope 0, as the reader requires)."""
    subnet = query.edns.client_subnet if query.edns is not None else None
    if subnet is not None:
        return struct.pack("!HBB", subnet.family, subnet.source_prefix, 0) + subnet.address
    return client_ip
