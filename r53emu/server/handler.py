"""One handler for both transports: bytes in, bytes (or nothing) out; it never raises.

Garbage gets FORMERR or is dropped (decided by `wire.parse_query`), an internal error gets
SERVFAIL and a logged traceback, and the next query is answered as usual (docs/architecture.md).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import random
import time
from collections.abc import Callable

from r53emu.answer.contexts import make_context
from r53emu.answer.lookup import lookup
from r53emu.geo.locator import Locator
from r53emu.health.snapshot import ALL_HEALTHY, HealthView
from r53emu.model.catalog import EMPTY_CATALOG, Catalog
from r53emu.model.dnsconstants import (
    CLASS_ANY,
    CLASS_IN,
    RCODE_REFUSED,
    TYPE_ANY,
    TYPE_AXFR,
    TYPE_IXFR,
)
from r53emu.model.query import Answer, IPAddress, Outcome, QueryContext, Routed
from r53emu.server.anyfit import fit_any
from r53emu.server.logthrottle import LogThrottle, suffix
from r53emu.server.queryevents import QueryEvent, QueryObserver
from r53emu.server.querystats import QueryStats, stats_key
from r53emu.server.replycache import MAX_BYTES as CACHE_BYTES
from r53emu.server.replycache import ConsultedHealth, ReplyCache
from r53emu.server.sharedreplies import renamed
from r53emu.server.udpguard import minimal_any
from r53emu.server.wire import (
    SERVFAIL_ANSWER,
    TCP_LIMIT,
    ParsedQuery,
    Rejected,
    parse_query,
    render,
    render_whole,
    servfail,
)

logger = logging.getLogger("r53emu.handler")

Resolve = Callable[[Catalog, QueryContext, random.Random, HealthView], Answer]


class QueryHandler:
    """Answers DNS messages from the current catalog.

    `catalog` is replaced whole on reload (one reference assignment, so a query sees either
    the old or the new zones, never a mix); `health` likewise whenever a status changes.
    `resolve` is the lookup function. `stats` counts answered queries for the metrics;
    `observers` are called with a `QueryEvent` after each answered query (not for dropped or
    rejected packets). Questions answered before are answered from `replies` (the fast path).
    """

    def __init__(
        self,
        catalog: Catalog = EMPTY_CATALOG,
        rng: random.Random | None = None,
        resolve: Resolve = lookup,
        health: HealthView = ALL_HEALTHY,
        cache_replies: bool = True,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.catalog = catalog
        self.rng = rng or random.Random()
        self.resolve = resolve
        self.health = health
        self.locator: Locator | None = None
        self.observers: list[QueryObserver] = []  # told of every answered query (query log, plugin)
        # An observer that raises never costs a reply: its failures are counted here (for the
        # metrics) and each failing observer is logged once, the first time.
        self.observer_failures = 0
        self._errors = LogThrottle(logger)  # internal errors: one traceback per kind per 10 s
        self._failed_observers: list[QueryObserver | None] = []  # None: making the event failed
        # The fast path: replies made once, reused for the same question (r53emu.server.replycache).
        self.replies: ReplyCache | None = ReplyCache(cache_bytes) if cache_replies else None
        self.stats = QueryStats()  # counts for the metrics, kept cheaply in the answer path

    def handle(
        self, packet: bytes, client_ip: str, transport: str, cap: int | None = None
    ) -> bytes | None:
        """The reply to `packet` (None: send nothing). `cap` is set by the amplification guard
        for a UDP client it applies to (`server.udpguard`): the reply is at most `cap` bytes,
        and ANY is answered as RFC 8482 recommends."""
        started = time.perf_counter()
        catalog = self.catalog  # one catalog for the whole query, even if a reload swaps it
        replies = self.replies
        if replies is not None:
            hit = replies.reply_to(
                packet,
                client_ip,
                catalog,
                self.health,
                self.rng,
                transport,
                cap,
                locator=self.locator,
            )
            if hit is not None:
                reply, cached = hit
                self.stats.count(cached.stats, time.perf_counter() - started)
                if self.observers:
                    # A reply shared with another name of the parent (`sharedreplies`) is
                    # logged as this name's.
                    shared = packet[12 : 12 + len(cached.question)] != cached.question
                    self._tell(
                        packet, cached.answer, catalog, client_ip, transport, started, shared
                    )
                return reply
        return self._answer_slowly(packet, client_ip, transport, catalog, started, cap)

    def _answer_slowly(
        self,
        packet: bytes,
        client_ip: str,
        transport: str,
        catalog: Catalog,
        started: float,
        cap: int | None,
    ) -> bytes | None:
        """The strict reader, the lookup and dnslib's rendering; the reply cache learns it
        (a guarded ANY's RFC 8482 answer apart from Route 53's)."""
        parsed = parse_query(packet)
        if isinstance(parsed, Rejected):
            logger.debug("query from %s rejected: %s", client_ip, parsed.reason)
            return parsed.reply
        try:
            replies, health, locator = self.replies, self.health, self.locator
            consulted = ConsultedHealth(health)
            answer = self.answer(parsed, client_ip, transport, catalog, consulted)
            minimal = cap is not None and parsed.qtype == TYPE_ANY
            if parsed.qtype == TYPE_ANY:
                answer = minimal_any(answer) if minimal else fit_any(parsed, answer)
            limit = TCP_LIMIT if transport == "tcp" else parsed.udp_limit()
            if cap is not None:
                limit = min(limit, cap)
            if replies is None:
                reply = render(parsed, answer, limit)
            else:
                reply, packed = render_whole(parsed, answer, limit)
                checks = consulted.checks
                replies.store(
                    parsed,
                    client_ip,
                    answer,
                    catalog,
                    health,
                    checks,
                    minimal,
                    packed,
                    locator=locator,
                )
        except Exception as exc:
            # A traceback per kind of error per 10 s: a client repeating a failing question
            # must not flood the log (the SERVFAILs are still counted by the metrics).
            allowed, suppressed = self._errors.allow(type(exc).__qualname__)
            if allowed:
                logger.error(
                    "internal error answering %r type %d from %s%s",
                    parsed.qname,
                    parsed.qtype,
                    client_ip,
                    suffix(suppressed),
                    exc_info=True,
                )
            answer = SERVFAIL_ANSWER
            reply = servfail(parsed)
        self.stats.count(stats_key(answer, parsed.qtype), time.perf_counter() - started)
        if self.observers:
            self._tell(parsed, answer, catalog, client_ip, transport, started)
        return reply

    def _tell(
        self,
        query: bytes | ParsedQuery,
        answer: Answer,
        catalog: Catalog,
        client_ip: str,
        transport: str,
        started: float,
        shared: bool = False,
    ) -> None:
        """Give the observers the query's event (a cached reply's query is read again here:
        the fast path reads only what its reply needs; a `shared` one was made for another
        name). Nothing raised here reaches the caller: the reply is already made and is sent
        whatever an observer does."""
        try:
            parsed = parse_query(query) if isinstance(query, bytes) else query
            assert isinstance(parsed, ParsedQuery), "the fast path answers only readable queries"
            if shared:
                answer = renamed(answer, parsed.qname)
            event = _event(parsed, answer, catalog, client_ip, transport, started)
        except Exception:
            self._observer_failed(None)
            return
        for observe in self.observers:
            try:
                observe(event)
            except Exception:
                self._observer_failed(observe)

    def _observer_failed(self, observe: QueryObserver | None) -> None:
        """Count an observer's exception; log it (with its traceback) only the first time that
        observer fails, so that one broken observer does not log once per query."""
        self.observer_failures += 1
        if any(observe == failed for failed in self._failed_observers):
            return
        self._failed_observers.append(observe)
        what = "making the query event" if observe is None else f"query observer {observe!r}"
        logger.exception(
            "%s failed (further failures counted, not logged); answering goes on", what
        )

    def answer(
        self,
        query: ParsedQuery,
        client_ip: str,
        transport: str,
        catalog: Catalog | None = None,
        health: HealthView | None = None,
    ) -> Answer:
        """The `Answer` for a parsed query (what `render` puts on the wire)."""
        if query.qclass not in (CLASS_IN, CLASS_ANY):
            return _refused(f"class {query.qclass}: r53emu serves only class IN")
        if query.qtype in (TYPE_AXFR, TYPE_IXFR):
            # Zone transfers are not offered; REFUSED as semantics §2.10 recommends (UNCONFIRMED).
            return _refused("zone transfers are not offered")
        subnet = query.edns.client_subnet if query.edns else None
        context = make_context(
            query.qname,
            query.qtype,
            self.locator,
            client=_client_address(client_ip),
            subnet=subnet.network if subnet else None,
            transport=transport,
        )
        return self.resolve(catalog or self.catalog, context, self.rng, health or self.health)


@functools.lru_cache(maxsize=4096)
def _client_address(client_ip: str) -> IPAddress:
    """The address a query came from (clients repeat: parsed once each, a bounded number kept)."""
    return ipaddress.ip_address(client_ip.split("%")[0])


def _event(
    query: ParsedQuery,
    answer: Answer,
    catalog: Catalog,
    client_ip: str,
    transport: str,
    started: float,
) -> QueryEvent:
    subnet = query.edns.client_subnet if query.edns else None
    zone = catalog.zones.get(answer.zone) if answer.zone is not None else None
    routed = answer.routed[0] if answer.routed else None  # the name asked for's own decision
    return QueryEvent(
        timestamp=time.time() - (time.perf_counter() - started),
        qname=query.qname,
        qtype=query.qtype,
        rcode=answer.rcode,
        transport=transport,
        client_ip=client_ip,
        client_subnet=subnet.text if subnet is not None else None,
        zone=answer.zone,
        zone_id=zone.zone_id if zone is not None else None,
        policy=routed.group.policy if routed is not None else None,
        set_identifiers=_set_identifiers(routed),
        seconds=time.perf_counter() - started,
        answer=answer,
    )


def _set_identifiers(routed: Routed | None) -> tuple[str, ...]:
    """The SetIdentifiers of the record sets a policy chose (none under simple routing)."""
    if routed is None:
        return ()
    members = routed.group.members
    chosen = (members[position].set_identifier for position in routed.chosen)
    return tuple(identifier for identifier in chosen if identifier is not None)


def _refused(note: str) -> Answer:
    return Answer(outcome=Outcome.REFUSED, rcode=RCODE_REFUSED, authoritative=False, notes=(note,))
