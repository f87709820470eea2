"""Sharing the event loop between UDP, TCP and the admin API, so that no flood of one holds up
the others' answers.

Everything runs on one loop, and one turn of it runs every callback that is ready. Left to
that, a UDP query waited for all of them: with 256 TCP connections asking, one in eight for a
64 kB ANY answer, one turn answered every connection's message, and UDP's p99 at 20,000 q/s went
from 1 ms to 168 ms; 32 clients streaming admin requests took it to 36 ms (benchmarks/hostile.py;
docs/performance.md, "Sharing the loop"). `LoopShare` bounds each kind of work:

- **UDP first.** The UDP listener reads up to `UDP_BATCH` datagrams each time its socket is
  readable, and the other work drains the socket again (`udp_first`, `spent`) once it is due:
  `UDP_EVERY` seconds after the last drain while UDP is busy, up to `UDP_EVERY_IDLE` while the
  drains find nothing. A UDP query waits for one TCP answer or one admin step, not a turn.
- **TCP in slices.** A whole message is answered as it arrives while the turn's inline
  budget (`TCP_BUDGET` seconds) lasts; past it, it is queued on its connection, and the
  connections with queued messages are answered in the next turn, `TCP_QUANTUM` messages each
  in turn (round robin), for `TCP_BUDGET` seconds. A connection's messages are answered in
  order: once one is queued, the next ones are too.
- **Admin steps in turn.** `ADMIN_PER_TURN` admin requests start per turn (`admit`); the
  others wait, in the order they came, for the next turns. A large body is written a piece per
  admission (`ops.pacedbody`). Only the starts are gated: a request waiting for its body, a
  reload or a worker thread holds no place.

A turn ends when the loop next runs its ready callbacks: `LoopShare` schedules one (`call_soon`)
whenever it has spent budget, queued messages or admin requests waiting, and that callback
starts the next turn's budgets.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from time import perf_counter
from typing import Protocol

TCP_BUDGET = 0.0005  # seconds of TCP answering per loop turn
TCP_QUANTUM = 16  # queued messages of one connection answered in a row, before the next's turn
UDP_EVERY = 0.0001  # seconds of other work after which the UDP socket is drained again ...
UDP_EVERY_IDLE = 0.0008  # ... doubling after each drain that found nothing, up to this
UDP_BATCH = 128  # datagrams read per drain at most (the socket's buffer holds about 256 queries)
ADMIN_PER_TURN = 4  # admin requests (or steps of a large body) started per loop turn


class Queued(Protocol):
    """A connection with messages queued for `LoopShare` to answer."""

    # Answer queued messages in order, `TCP_QUANTUM` at most and until `until` (a
    # `perf_counter` time; at least one); whether more may be answered now.
    def answer_queued(self, until: float) -> bool: ...


class LoopShare:
    """The turn budget of one server's loop (see the module's docstring).

    `drain_udp` is the UDP listener's drain (`serve_udp`; None until it listens), which
    reports each drain (`drained`); `udp_due` is the `perf_counter` time the next one is due."""

    def __init__(
        self,
        tcp_budget: float = TCP_BUDGET,
        udp_every: float = UDP_EVERY,
        admin_per_turn: int = ADMIN_PER_TURN,
        udp_every_idle: float = UDP_EVERY_IDLE,
    ) -> None:
        self.tcp_budget = tcp_budget
        self.udp_every = udp_every
        self.udp_every_idle = max(udp_every, udp_every_idle)
        self.admin_per_turn = max(1, admin_per_turn)
        self.drain_udp: Callable[[], None] | None = None
        self.udp_due = math.inf  # never while no UDP listener drains (`serve_udp`)
        self.deferred = 0  # TCP messages queued for a later turn, since the start
        self.open = True  # this turn's TCP budget is not used up: a message may be answered now
        self._udp_wait = udp_every
        self._spent = 0.0  # seconds of TCP answering in this turn
        self._ready: deque[Queued] = deque()
        self._admitted = 0  # admin requests started in this turn
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._turn: asyncio.Handle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- UDP ---------------------------------------------------------------------------------

    def serve_udp(self, drain: Callable[[], None] | None) -> None:
        """`drain` (the UDP listener's) is called whenever UDP is due; None: no UDP listener."""
        self.drain_udp = drain
        self._udp_wait = self.udp_every
        self.udp_due = perf_counter() + self.udp_every if drain is not None else math.inf

    def drained(self, datagrams: int) -> None:
        """The UDP listener's report of a drain (`datagrams` read): the next is due after
        `udp_every` of other work while UDP is busy, after up to `udp_every_idle` while the
        drains find nothing (each costs a system call)."""
        if datagrams:
            self._udp_wait = self.udp_every
        else:
            self._udp_wait = min(2 * self._udp_wait, self.udp_every_idle)
        self.udp_due = perf_counter() + self._udp_wait

    def udp_first(self) -> None:
        """Drain the UDP socket if it is due; what any work that may take long calls between
        its steps."""
        if perf_counter() >= self.udp_due and self.drain_udp is not None:
            self.drain_udp()

    # --- TCP ---------------------------------------------------------------------------------

    def spent(self, began: float) -> None:
        """Count TCP answering since `began` (a `perf_counter` time) against the budget: once
        it is used up, `open` is False until the next turn. UDP is drained if due. (Every TCP
        message answered at once comes here: kept to a few comparisons.)"""
        now = perf_counter()
        self._spent += now - began
        if self._turn is None:
            self._schedule()  # the next turn starts the budget again
        if self._spent >= self.tcp_budget:
            self.open = False
        if now >= self.udp_due and self.drain_udp is not None:
            self.drain_udp()

    def enqueue(self, connection: Queued) -> None:
        """`connection` has messages to answer: it is answered in a later turn, in turn with
        the others. A connection is enqueued once until its `answer_queued` returns False."""
        self._ready.append(connection)
        self.deferred += 1
        if self._turn is None:
            self._schedule()

    @property
    def queued_connections(self) -> int:
        return len(self._ready)

    # --- admin -------------------------------------------------------------------------------

    async def admit(self) -> None:
        """Return once an admin request may start: at once if this turn has started fewer than
        `admin_per_turn` and none is waiting, else in a later turn, in order."""
        self.udp_first()
        if self._admitted < self.admin_per_turn and not self._waiting:
            self._admitted += 1
            if self._turn is None:
                self._schedule()
            return
        waiter = self._running_loop().create_future()
        self._waiting.append(waiter)
        if self._turn is None:
            self._schedule()
        await waiter  # a cancelled waiter is done: the turn that pops it skips it
        self.udp_first()  # those started in one turn run one after the other: UDP between

    @property
    def admin_waiting(self) -> int:
        return sum(not waiter.done() for waiter in self._waiting)

    # --- turns -------------------------------------------------------------------------------

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def _schedule(self) -> None:
        self._turn = self._running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        self._turn = None
        self._spent = 0.0
        self.open = True
        self._admitted = 0
        waiting = self._waiting
        while waiting and self._admitted < self.admin_per_turn:
            waiter = waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._admitted += 1
        ready = self._ready
        now = perf_counter()
        deadline = now + self.tcp_budget  # moved on by the time UDP takes meanwhile
        try:
            while ready:
                connection = ready.popleft()
                if connection.answer_queued(min(deadline, self.udp_due)):
                    ready.append(connection)
                now = perf_counter()
                if now >= self.udp_due and self.drain_udp is not None:
                    self.drain_udp()
                    drained = perf_counter()
                    deadline += drained - now
                    now = drained
                if now >= deadline:
                    break
        finally:
            # The messages that arrive before the next turn get a budget of their own, so
            # that a saturated server still answers them as they come, pipelined queries
            # together, rather than queue every one (which cost static A over TCP 10 %).
            if ready or waiting or self._admitted:
                self._schedule()

    def close(self) -> None:
        """The server stops: no more turns; admin requests still waiting start at once."""
        if self._turn is not None:
            self._turn.cancel()
            self._turn = None
        self._ready.clear()
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
        self.serve_udp(None)
        self._loop = None  # a later start may run on another loop
