"""UDP and TCP listeners: framing only; every message goes to the one `QueryHandler`.

UDP uses a plain `DatagramProtocol` (measured faster than an await-per-packet loop, see
docs/performance.md, Anchors). TCP reads 2-byte length-prefixed messages, answers several per
connection in order, and closes an idle connection after `idle_timeout` seconds; it is a
`Protocol` too, for the same reason.

`ConnectionRegistry` holds a listener's open connections, least recently active first, and keeps
their number within a cap: a new connection over it closes the least recently active one
(docs/limits.md). The admin API counts its HTTP connections with one too.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar, cast

from r53emu.server.handler import QueryHandler
from r53emu.server.logthrottle import LogThrottle
from r53emu.server.udpguard import UdpGuard

logger = logging.getLogger("r53emu.listeners")


class Evictable(Protocol):
    """A connection a `ConnectionRegistry` can close to make room."""

    @property
    def busy(self) -> bool: ...  # in the middle of a request: closed only if all others are

    def evict(self) -> None: ...  # close at once, without waiting to flush


C = TypeVar("C", bound=Evictable)


class ConnectionRegistry(Generic[C]):
    """Open connections of one listener, least recently active first, at most `limit` of them
    (None: no cap). `admit` a new connection (closing the least recently active one that is
    not busy, else the least recently active one, when the cap is reached), `touch` it on
    activity, `discard` it once closed. Evictions are logged at most once per 10 s (`what`
    names the listener and `flag` the setting in that line)."""

    def __init__(self, what: str, flag: str, limit: int | None = None) -> None:
        self.what = what
        self.flag = flag
        self.limit = limit
        self.evicted = 0  # connections closed to make room, since the start
        self._open: OrderedDict[C, None] = OrderedDict()
        self._log = LogThrottle(logger)

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[C]:
        return iter(list(self._open))

    def __contains__(self, connection: object) -> bool:
        return connection in self._open

    def admit(self, connection: C) -> None:
        while self.limit is not None and len(self._open) >= max(self.limit, 1):
            victim = next((c for c in self._open if not c.busy), None)
            if victim is None:
                victim = next(iter(self._open))
            del self._open[victim]
            self.evicted += 1
            self._log.log(
                logging.WARNING,
                "evicted",
                "%s: %d connections open (%s): closed the least recently active one",
                self.what,
                self.limit,
                self.flag,
            )
            victim.evict()
        self._open[connection] = None

    def touch(self, connection: C) -> None:
        if connection in self._open:
            self._open.move_to_end(connection)

    def discard(self, connection: C) -> None:
        self._open.pop(connection, None)


class UdpListener(asyncio.DatagramProtocol):
    """UDP: each datagram answered at once; clients the amplification guard applies to
    (`server.udpguard`: by default those beyond loopback) are answered through it."""

    def __init__(self, handler: QueryHandler, guard: UdpGuard | None = None) -> None:
        self.handler = handler
        self.guard = guard if guard is not None and guard.scope != "off" else None
        self.transport: asyncio.DatagramTransport | None = None
        self._log = LogThrottle(logger)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        guard = self.guard
        if guard is not None and guard.applies(addr[0]):
            reply = guard.reply(self.handler, data, addr[0])
        else:
            reply = self.handler.handle(data, addr[0], "udp")
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP errors for earlier replies (client went away); nothing to do but note it.
        self._log.log(logging.DEBUG, type(exc).__name__, "UDP error: %s", exc)


class TcpConnection(asyncio.Protocol):
    """One TCP connection: 2-byte length-prefixed messages (RFC 7766 §8), each answered as soon
    as it is whole, in order; closed after `idle_timeout` seconds without a whole message.

    A protocol rather than a stream reader: no coroutine step per message, which measured
    (benchmarks/authoritative.py, static A over TCP) as the TCP path's main cost. While the
    client does not read its replies (the transport's buffer is full), reading pauses; the
    client reading some counts as activity, and one that reads nothing for `idle_timeout`
    seconds is cut off without its pending replies.
    `connections` holds the open connections, least recently active first (the server ends
    them on stop; over its cap, the least recently active one is closed to admit a new one);
    `closed` is done once the connection is gone.
    """

    busy = False  # answering is synchronous: no connection is ever in the middle of one

    def __init__(
        self,
        handler: QueryHandler,
        idle_timeout: float,
        connections: ConnectionRegistry[TcpConnection],
    ) -> None:
        self.handler = handler
        self.idle_timeout = idle_timeout
        self.connections = connections
        self.transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[None] = self._loop.create_future()
        self._client_ip = "0.0.0.0"
        self._pending = bytearray()  # the start of a message not yet whole
        self._last_message = 0.0  # loop time of the last whole message (or of connecting)
        self._idle: asyncio.TimerHandle | None = None
        self._writing_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        if peer:
            self._client_ip = peer[0]
        self.connections.admit(self)
        self._last_message = self._loop.time()
        self._idle = self._loop.call_later(self.idle_timeout, self._close_if_idle)

    def data_received(self, data: bytes) -> None:
        pending = self._pending
        if not pending and len(data) > 2 and int.from_bytes(data[:2]) == len(data) - 2:
            self._answer(data[2:])  # the usual case: exactly one whole message
            return
        pending += data
        while len(pending) >= 2:
            end = 2 + int.from_bytes(pending[:2])
            if len(pending) < end:
                break
            message = bytes(pending[2:end])
            del pending[:end]
            self._answer(message)

    def _answer(self, message: bytes) -> None:
        self._last_message = self._loop.time()
        self.connections.touch(self)
        reply = self.handler.handle(message, self._client_ip, "tcp")
        if reply is not None and self.transport is not None and not self.transport.is_closing():
            self.transport.write(len(reply).to_bytes(2) + reply)

    def pause_writing(self) -> None:
        self._writing_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._last_message = self._loop.time()  # the client reads: not idle
        self.connections.touch(self)
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def _close_if_idle(self) -> None:
        remaining = self._last_message + self.idle_timeout - self._loop.time()
        if remaining > 0:
            self._idle = self._loop.call_later(remaining, self._close_if_idle)
            return
        self._idle = None
        self.close(abort=self._writing_paused)  # a client that reads nothing gets no flush

    def evict(self) -> None:
        """Closed to make room for a new connection: at once, pending replies dropped (a
        client that stopped reading would otherwise hold its descriptor until it reads)."""
        self.close(abort=True)

    def close(self, abort: bool = False) -> None:
        """End the connection: replies already written are still sent, unless `abort`."""
        if self.transport is None:
            return
        if abort:
            self.transport.abort()
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self.connections.discard(self)
        if not self.closed.done():
            self.closed.set_result(None)
