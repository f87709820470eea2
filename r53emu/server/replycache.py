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
otherwise record sets of at most `cachedreply.SHUFFLE_MAX` values are shuffled per reply and
larger ones rotated from kept orders (see `cachedreply`). Reordering moves no name: every record
of a record set has the same owner, packed alike after the first record (a pointer), so only
what follows the owner names is swapped (whole records when the first is packed alike too), and
every order is the bytes the slow path sends for that order, of the same size.

A name the zone does not hold (under a wildcard, or NXDOMAIN) is answered as every other name
alike below its closest encloser: its reply is kept once for all those whose labels below the
encloser are as long (`sharedreplies`: the key is that length and the rest of the question as
sent), and given to each with its own question, unless the label right below the encloser is one
the catalog holds there. Names never asked before then cost a reply from the cache, not a lookup.

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
per place (`location_key`: what routing reads of the location its locator gives: country,
subdivision, continent, point, latency table, and the rule or source that placed it), so that
every client placed alike (subnets never seen before included) is answered from one reply; one
that an IP-based decision made is kept per client instead (its ECS option's family, prefix and
address, else its address). Both echo ECS with the query's own source prefix as scope, as
`wire.render` does. An answer drawn at random (weighted, multivalue), however many decisions
made it (aliases into weighted trees and chains, ANY of several drawn record sets, drawn
additional records), is kept by the path its decisions took (`drawnpaths.DrawnPaths`): the
groups' `Draw`s (answer.routing, worked out once for the health the lookup saw) are walked per
query with the same generator calls as the lookup, and the reply of the path drawn is used.
While some path is not cached yet, the generator's state is saved before the walk and restored
on a miss, so that the lookup then draws the same path and none is favoured. Under a location
policy, each place keeps its own paths.

The cache belongs to one random generator and locator: a reseed or a new locator empties it. A
new catalog drops only what it may answer otherwise: the questions a replaced or removed zone
answered (each stored answer records its zone), and where a zone comes or goes those of its
ancestor zones and of no zone; a catalog whose zones are all new (a reload of the files) empties
it. A health change drops only the questions whose answers consulted a check that changed (each
stored answer records the checks its lookup asked about). Its size is bounded in bytes, not in
entries: every entry, and each reply kept per client, place or path, is counted by an estimate of
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
from ipaddress import ip_address
from typing import cast

from r53emu.answer.contexts import locate
from r53emu.answer.routing import DRAWS
from r53emu.geo.locator import Locator
from r53emu.health.snapshot import HealthView
from r53emu.model.catalog import Catalog
from r53emu.model.dnsconstants import TYPE_ANY
from r53emu.model.names import Name
from r53emu.model.query import Answer, Outcome
from r53emu.server.cachedreply import (
    CachedReply,
    assemble,
    assemble_sized,
    compile_reply,
    question_bytes,
)
from r53emu.server.drawnpaths import DrawnPaths
from r53emu.server.quickread import read_query
from r53emu.server.sharedreplies import ChildLabels, candidates, shareable, shared_key
from r53emu.server.wire import Packed, ParsedQuery, subnet_network

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
_ENTRY_BYTES = 340  # (260 measured, and 80 for its place in `_by_zone` and `_zone_of`)
_CLIENT_BYTES = 150
_CHECK_BYTES = 60  # a question's place in `_by_check` and `_checks`, per check
_SHARED_BYTES = 100  # a shared reply's place in `_shared` (the labels' set is the catalog's)
_LOCATION_BYTES = 400  # a location's key (a tuple of a few strings and a point)
_REDRAWABLE = (Outcome.ANSWER, Outcome.CNAME)
_PLACES = 4096  # clients' locations remembered (a client's key: a /24 ECS option, an address)

ClientKey = bytes | str  # the ECS option's data (scope 0), else the client's address
LocationKey = tuple[object, ...]  # what routing reads of a client's location (`location_key`)
_Kept = CachedReply | DrawnPaths  # one client's (or location's) reply, or replies by path


@dataclass(slots=True)
class _PerClient:
    """The replies to one location-dependent question, by the client's location (`by_location`:
    no IP-based decision, so clients placed alike get the same answer) else by client."""

    replies: dict[ClientKey, _Kept] | dict[LocationKey, _Kept]
    by_location: bool
    used: bool = False


_Entry = CachedReply | _PerClient | DrawnPaths


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
        self._locator: Locator | None = None
        self._places: dict[tuple[str, bytes | None], LocationKey] = {}  # clients' locations
        # Shared replies' keys (`sharedreplies`): the first labels that may not use each.
        self._shared: dict[bytes, frozenset[bytes]] = {}
        self._children: ChildLabels | None = None  # made for the catalog when first needed
        self._by_zone: dict[Name | None, set[bytes]] = {}  # the questions each zone answered
        self._zone_of: dict[bytes, Name | None] = {}  # the zone that answered each (None: none)
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
        *,
        locator: Locator | None,
    ) -> tuple[bytes, CachedReply] | None:
        """The reply to `packet` from the cache, or None: then the slow path answers it (and
        calls `store`). `transport` ("udp", "tcp") sets the size a reply may have; unknown
        (None), only replies that are the same over both are given. `cap` is the amplification
        guard's (`server.udpguard`): the reply is at most that big, and ANY is never answered
        from the cache (the guard answers it otherwise). `locator` places clients, as for the
        lookup."""
        if (
            catalog is not self._catalog
            or health is not self._health
            or rng is not self._rng
            or locator is not self._locator
        ):
            self._follow(catalog, health, rng, locator)
        quick = read_query(packet)
        if quick is None:
            return None
        question, edns, subnet = quick
        if cap is not None and question[-4:-2] == _ANY:
            question += MINIMAL_ANY  # the guard's RFC 8482 answer is kept apart
        entry = self._entries.get(question)
        shared = False
        if entry is None:
            # Perhaps a name the zone does not hold: a reply shared with the names alike below
            # its closest encloser, if one was made (`sharedreplies`).
            if not self._shared:
                return None
            for key, label in candidates(question):
                held = self._shared.get(key)
                if held is not None:
                    if label.lower() in held:
                        return None
                    entry, shared = self._entries[key], True
                    break
            else:
                return None
        # Exact type tests: cheaper than isinstance, and the classes have no subclasses.
        kind = type(entry)
        kept: _Kept | None
        if kind is CachedReply:
            kept = cast(CachedReply, entry)
            kept.used = True
        elif kind is DrawnPaths:
            kept = cast(DrawnPaths, entry)
            kept.used = True
        elif kind is _PerClient:
            per_client = cast(_PerClient, entry)
            per_client.used = True
            if per_client.by_location:
                where = self._place(locator, client_ip, subnet)
                kept = cast(dict[LocationKey, _Kept], per_client.replies).get(where)
            else:
                client = subnet if subnet is not None else client_ip
                kept = cast(dict[ClientKey, _Kept], per_client.replies).get(client)
        else:
            return None
        cached = kept.redraw(rng) if isinstance(kept, DrawnPaths) else kept
        if cached is None:
            return None
        if cached.small and cap is None:
            reply: bytes | None = assemble(packet, cached, edns, subnet, rng)
        else:
            reply = assemble_sized(packet, cached, edns, subnet, rng, transport, cap)
        if reply is None:
            return None
        if shared:  # the same bytes but the question, which is this query's
            reply = reply[:12] + question + reply[12 + len(question) :]
        return reply, cached

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
        *,
        locator: Locator | None,
    ) -> None:
        """Remember `answer` for `query`; `checks` are the health checks its lookup asked about
        (see the module docstring for what is kept). An answer that cannot be cached leaves
        nothing behind: the next query for it is answered by the slow path again.
        `minimal_any`: the answer is the amplification guard's to an ANY question, kept apart
        from Route 53's. `packed`: the whole answer packed (`wire.render_whole`), if at hand.
        `locator`: the one the lookup placed the client with."""
        if catalog is not self._catalog or health is not self._health:
            return
        if locator is not self._locator:
            return
        drawn = _is_drawn(answer)
        if drawn and answer.outcome not in _REDRAWABLE:
            return  # drawn, then nothing chosen answered: not kept
        question = question_bytes(query)
        key = question + MINIMAL_ANY if minimal_any else question
        split = None if minimal_any else shareable(query, answer, catalog, packed)
        if split is not None:
            key = shared_key(question, split[0])
        existing = self._entries.get(key)
        if type(existing) is CachedReply:
            return  # cached already
        by_location = not any(routed.group.policy == "cidr" for routed in answer.routed)
        wanted = _PerClient if answer.location_dependent else DrawnPaths if drawn else CachedReply
        if existing is not None and (
            type(existing) is not wanted
            or (isinstance(existing, _PerClient) and existing.by_location and not by_location)
        ):
            # Kept otherwise before (a location or an IP-based decision on one path and not on
            # another, or a draw on one path only): start again, kept as this answer needs.
            self._drop(key)
            existing = None
        compiled = compile_reply(query, answer, question, packed)
        if compiled is None:
            return
        entry: _Entry
        added: int | None
        if answer.location_dependent:
            per_client = existing if isinstance(existing, _PerClient) else None
            if per_client is None:
                per_client = _PerClient({}, by_location)
            where = (
                self._place(locator, client_ip, _client_option(query))
                if per_client.by_location
                else _client_key(query, client_ip)
            )
            replies = cast(dict[object, _Kept], per_client.replies)
            kept = replies.get(where)
            if not drawn:
                if kept is not None:
                    return
                replies[where] = compiled
                added = compiled.weight
            else:
                paths = kept if isinstance(kept, DrawnPaths) else DrawnPaths()
                added = paths.add(answer, compiled)
                if added is None:
                    return
                if kept is None:
                    replies[where] = paths
            entry = per_client
            if kept is None:
                added += _CLIENT_BYTES + _where_bytes(where)
        elif drawn:
            paths = existing if isinstance(existing, DrawnPaths) else DrawnPaths()
            added = paths.add(answer, compiled)
            if added is None:
                return
            entry = paths
        else:
            entry, added = compiled, compiled.weight
        if existing is None:
            added += _ENTRY_BYTES + len(key)
            self._entries[key] = entry
            self._queue.append((key, entry))
            self._zone_of[key] = answer.zone
            self._by_zone.setdefault(answer.zone, set()).add(key)
            if split is not None:
                if self._children is None:
                    self._children = ChildLabels(catalog)
                self._shared[key] = self._children.of(split[1])
                added += _SHARED_BYTES
        self.bytes += added
        self._depends_on(key, checks)
        self._size += 1
        self._evict(key)

    def _place(self, locator: Locator | None, client_ip: str, option: bytes | None) -> LocationKey:
        """`location_key`, kept for the clients that repeat (at most `_PLACES`: then forgotten)."""
        places = self._places
        where = places.get((client_ip, option))
        if where is None:
            if len(places) >= _PLACES:
                places.clear()
            where = places[client_ip, option] = location_key(locator, client_ip, option)
        return where

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
        question just stored (`keep`) loses its oldest replies (per client or per path) before
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
            elif key == keep and _replies_in(entry) > 1:
                self.bytes -= _drop_oldest_reply(entry)
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
        if self._shared.pop(key, None) is not None:
            self.bytes -= _SHARED_BYTES
        zone = self._zone_of.pop(key)
        keys = self._by_zone[zone]
        keys.discard(key)
        if not keys:
            del self._by_zone[zone]
        checks = self._checks.pop(key, ())
        self.bytes -= _CHECK_BYTES * len(checks)
        for check in checks:
            dependents = self._by_check.get(check)
            if dependents is not None:
                dependents.discard(key)
                if not dependents:
                    del self._by_check[check]

    def _follow(
        self, catalog: Catalog, health: HealthView, rng: random.Random, locator: Locator | None
    ) -> None:
        """Catch up with a reload, a reseed or a new locator (empty) or a health change (drop
        what it touched).

        A reseed empties the cache too: which draws hit the cache changes how many numbers a
        query draws, so a seeded sequence of answers is reproducible only from an empty cache.
        """
        old_catalog, old_health = self._catalog, self._health
        if (
            rng is not self._rng
            or locator is not self._locator
            or old_health is None
            or old_catalog is None
        ):
            self._clear()
        else:
            if catalog is not old_catalog:
                self._follow_zones(old_catalog, catalog)
            changed = [
                check
                for check in self._by_check
                if old_health.is_healthy(check) != health.is_healthy(check)
            ]
            for check in changed:
                for key in list(self._by_check.get(check, ())):
                    self._drop(key)
        self._catalog, self._health, self._rng = catalog, health, rng
        self._locator = locator

    def _follow_zones(self, old: Catalog, new: Catalog) -> None:
        """Drop what a new catalog may answer otherwise: the questions a replaced or removed
        zone answered, and where a zone comes or goes, those its ancestor zones answered and
        those no zone did (a name's zone may be another now). An answer reads nothing outside
        its zone (aliases and additional records stay in it), so the others stay."""
        changed = [
            apex
            for apex in old.zones.keys() | new.zones.keys()
            if old.zones.get(apex) is not new.zones.get(apex)
        ]
        if len(changed) == len(new.zones.keys() | old.zones.keys()):
            self._clear()  # every zone is new (a reload of the files): nothing to keep
            return
        by_zone = self._by_zone
        dropped: set[bytes] = set()
        for apex in changed:
            dropped.update(by_zone.get(apex, ()))
            if (apex in old.zones) != (apex in new.zones):
                dropped.update(by_zone.get(None, ()))
                for start in range(1, len(apex) + 1):
                    dropped.update(by_zone.get(apex[start:], ()))
        for key in dropped:
            self._drop(key)
        self._children = None  # made again for the new catalog when next needed

    def _clear(self) -> None:
        self._by_zone.clear()
        self._zone_of.clear()
        self._places.clear()
        self._shared.clear()
        self._children = None
        self._entries.clear()
        self._queue.clear()
        self._by_check.clear()
        self._checks.clear()
        self._size = 0
        self.bytes = 0


def _kept_bytes(kept: _Kept) -> int:
    return kept.weight() if isinstance(kept, DrawnPaths) else kept.weight


def _entry_bytes(key: bytes, entry: _Entry) -> int:
    """The bytes `store` counted for `key`'s entry (its replies included)."""
    size = _ENTRY_BYTES + len(key)
    if isinstance(entry, _PerClient):
        for where, kept in entry.replies.items():
            size += _kept_bytes(kept) + _CLIENT_BYTES + _where_bytes(where)
    else:
        size += _kept_bytes(entry)
    return size


def _replies_in(entry: _Entry) -> int:
    if isinstance(entry, _PerClient):
        return sum(_replies_in(kept) for kept in entry.replies.values())
    if isinstance(entry, DrawnPaths):
        return len(entry.replies)
    return 1


def _drop_oldest_reply(entry: _Entry) -> int:
    """Forget the oldest reply of an entry that keeps several; the bytes freed."""
    if isinstance(entry, DrawnPaths):
        return entry.drop_one()
    assert isinstance(entry, _PerClient)
    replies = cast(dict[object, _Kept], entry.replies)
    where = next(iter(replies))
    kept = replies[where]
    if isinstance(kept, DrawnPaths) and len(kept.replies) > 1:
        return kept.drop_one()
    del replies[where]
    return _kept_bytes(kept) + _CLIENT_BYTES + _where_bytes(where)


def _where_bytes(where: object) -> int:
    """A client's or a location's key, beyond the slot counted for each (`_CLIENT_BYTES`)."""
    if isinstance(where, bytes | str):
        return len(where)
    return _LOCATION_BYTES


def _is_drawn(answer: Answer) -> bool:
    return any(routed.group.policy in RANDOM_POLICIES for routed in answer.routed)


def _client_option(query: ParsedQuery) -> bytes | None:
    """The ECS option's data as the query sent it (scope 0, as the reader requires)."""
    subnet = query.edns.client_subnet if query.edns is not None else None
    if subnet is None:
        return None
    return struct.pack("!HBB", subnet.family, subnet.source_prefix, 0) + subnet.address


def _client_key(query: ParsedQuery, client_ip: str) -> ClientKey:
    option = _client_option(query)
    return client_ip if option is None else option


def location_key(locator: Locator | None, client_ip: str, option: bytes | None) -> LocationKey:
    """What routing reads of where the client is (its ECS option's subnet, else its address):
    clients with the same key get the same answer from every policy but IP-based routing. The
    source is part of it, as the explanation kept with a reply names it."""
    subnet = subnet_network(option) if option is not None else None
    client = None if subnet is not None else ip_address(client_ip.split("%")[0])
    where = locate(locator, client, subnet)
    latency = tuple(sorted(where.latency.items())) if where.latency is not None else None
    return (where.country, where.subdivision, where.continent, where.point, latency, where.source)
