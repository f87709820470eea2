"""UDP and TCP listeners: framing only; every message goes to the one `QueryHandler`.

UDP reads its non-blocking socket itself (`loop.add_reader`), a batch of datagrams at a time,
and lets other work drain it between its steps (`server.fairshare`: a UDP query never waits for
a flood of TCP or admin work). TCP reads 2-byte length-prefixed messages, answers several per
connection in order, and closes an idle connection after `idle_timeout` seconds; it is a
`Protocol` (measured faster than an await-per-message stream reader, see docs/performance.md,
Anchors), its answering budgeted by the same `LoopShare`.

`ConnectionRegistry` holds a listener's open connections, least recently active first, and keeps
their number within a cap: a new connection over it closes the least recently active one
(docs/limits.md). The admin API counts its HTTP connections with one too.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import OrderedDict, deque
from collections.abc import Iterator
from time import perf_counter
from typing import Generic, Protocol, TypeVar, cast

from r53emu.server.fairshare import TCP_QUANTUM, UDP_BATCH, LoopShare
from r53emu.server.handler import QueryHandler
from r53emu.server.logthrottle import LogThrottle
from r53emu.server.udpguard import UdpGuard

logger = logging.getLogger("r53emu.listeners")

MAX_DATAGRAM = 65535  # bytes read per datagram: the largest a UDP datagram can carry
MAX_QUEUED = 64  # whole messages queued on a TCP connection before reading it pauses


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


class UdpListener:
    """UDP: the socket read directly (`loop.add_reader`), up to `UDP_BATCH` datagrams each time
    it is readable or other work calls `share.udp_first`, each answered at once; clients the
    amplification guard applies to (`server.udpguard`: by default those beyond loopback) are
    answered through it.

    Not a `DatagramProtocol`: asyncio's own datagram transport reads one datagram per turn of
    the loop (while every ready TCP connection and admin request gets its callback in that
    turn), and neither transport can be drained from inside other work. On uvloop this reader
    answered as fast as its transport did (docs/performance.md). A reply the socket's send
    buffer has no room for is dropped, as the network would drop it (`dropped` counts them).
    """

    def __init__(
        self,
        handler: QueryHandler,
        sock: socket.socket,
        share: LoopShare,
        guard: UdpGuard | None = None,
    ) -> None:
        self.handler = handler
        self.guard = guard if guard is not None and guard.scope != "off" else None
        self.sock = sock
        self.share = share
        self.dropped = 0  # replies the send buffer had no room for, since the start
        self._log = LogThrottle(logger)
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Answer from now on (on the running loop)."""
        self.sock.setblocking(False)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.sock.fileno(), self.drain)
        self.share.serve_udp(self.drain)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
            self._loop = None
        if self.share.drain_udp == self.drain:
            self.share.serve_udp(None)
        self.sock.close()

    def drain(self) -> None:
        """Answer what the socket holds, `UDP_BATCH` datagrams at most."""
        recvfrom, sendto = self.sock.recvfrom, self.sock.sendto
        handle, guard = self.handler.handle, self.guard
        read = 0  # datagrams (and errors) read
        try:
            while read < UDP_BATCH:
                try:
                    data, addr = recvfrom(MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:
                    # An ICMP error for an earlier reply (the client went away), where the
                    # system reports them on the socket; nothing to do but note it.
                    read += 1
                    self._log.log(logging.DEBUG, type(exc).__name__, "UDP error: %s", exc)
                    continue
                read += 1
                if guard is not None and guard.applies(addr[0]):
                    reply = guard.reply(self.handler, data, addr[0])
                else:
                    reply = handle(data, addr[0], "udp")
                if reply is None:
                    continue
                try:
                    sendto(reply, addr)
                except (BlockingIOError, InterruptedError):
                    self.dropped += 1
                    self._log.log(
                        logging.DEBUG, "dropped", "UDP send buffer full: a reply was dropped"
                    )
                except OSError as exc:
                    self._log.log(logging.DEBUG, type(exc).__name__, "UDP error: %s", exc)
        finally:
            self.share.drained(read)


async def bind_udp(host: str, port: int) -> socket.socket:
    """A non-blocking UDP socket bound to host:port (0: a free port): the first address `host`
    resolves to that binds, as `loop.create_datagram_endpoint(local_addr=...)` chooses; raises
    `OSError` (the last address's) when none binds."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM, proto=socket.IPPROTO_UDP)
    error: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.bind(address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.setblocking(False)
        return sock
    raise error or OSError(f"{host!r} resolves to no address")


class TcpConnection(asyncio.Protocol):
    """One TCP connection: 2-byte length-prefixed messages (RFC 7766 §8), answered in order;
    closed after `idle_timeout` seconds without a whole message.

    A protocol rather than a stream reader: no coroutine step per message, which measured
    (benchmarks/authoritative.py, static A over TCP) as the TCP path's main cost. A whole
    message is answered as soon as it arrives while the loop turn's TCP budget lasts
    (`LoopShare`); past it, it is queued and answered in a later turn, in turn with the other
    connections' queued messages. While the client does not read its replies (the transport's
    buffer is full), nothing more is answered and reading pauses; reading pauses too while
    `MAX_QUEUED` messages wait. The client reading some counts as activity, and one that reads
    nothing for `idle_timeout` seconds is cut off without its pending replies.
    `connections` holds the open connections, least recently active first (the server ends
    them on stop; over its cap, the least recently active one is closed to admit a new one);
    `closed` is done once the connection is gone.
    """

    busy = False  # a connection with queued messages is not protected from the cap either

    def __init__(
        self,
        handler: QueryHandler,
        idle_timeout: float,
        connections: ConnectionRegistry[TcpConnection],
        share: LoopShare,
    ) -> None:
        self.handler = handler
        self.idle_timeout = idle_timeout
        self.connections = connections
        self.share = share
        self.transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[None] = self._loop.create_future()
        self._client_ip = "0.0.0.0"
        self._pending = bytearray()  # the start of a message not yet whole
        self._queue: deque[bytes] = deque()  # whole messages waiting for their turn
        self._enqueued = False  # in the share's queue of connections to answer
        self._last_message = 0.0  # loop time of the last whole message (or of connecting)
        self._idle: asyncio.TimerHandle | None = None
        self._writing_paused = False
        self._reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        if peer:
            self._client_ip = peer[0]
        self.connections.admit(self)
        self._last_message = self._loop.time()
        self._idle = self._loop.call_later(self.idle_timeout, self._close_if_idle)
        self.share.udp_first()  # a storm of connections is work too

    def data_received(self, data: bytes) -> None:
        pending = self._pending
        if not pending and len(data) > 2 and int.from_bytes(data[:2]) == len(data) - 2:
            self._received(data[2:])  # the usual case: exactly one whole message
            return
        pending += data
        while len(pending) >= 2:
            end = 2 + int.from_bytes(pending[:2])
            if len(pending) < end:
                break
            message = bytes(pending[2:end])
            del pending[:end]
            self._received(message)

    def _received(self, message: bytes) -> None:
        self._last_message = self._loop.time()
        self.connections.touch(self)
        share = self.share
        if share.open and not self._queue and not self._writing_paused:
            began = perf_counter()
            reply = self.handler.handle(message, self._client_ip, "tcp")  # _answer, inlined
            transport = self.transport
            if reply is not None and transport is not None and not transport.is_closing():
                transport.write(len(reply).to_bytes(2) + reply)
            share.spent(began)
            return
        self._queue.append(message)
        if not self._enqueued and not self._writing_paused:
            self._enqueued = True
            share.enqueue(self)
        if len(self._queue) >= MAX_QUEUED:
            self._update_reading()
        share.udp_first()  # reading hundreds of connections in one turn takes time too

    def answer_queued(self, until: float) -> bool:
        """Answer queued messages in order (`LoopShare`'s call), `TCP_QUANTUM` at most and
        until `until` (a `perf_counter` time; at least one): a connection's pipelined queries
        are answered together, as they came. Whether more may be answered now (else the
        connection leaves the share's queue, until it queues again)."""
        queue, transport = self._queue, self.transport
        answered = 0
        while queue and not self._writing_paused and transport and not transport.is_closing():
            self._answer(queue.popleft())
            answered += 1
            if answered >= TCP_QUANTUM or perf_counter() >= until:
                break
        if answered:
            self._last_message = self._loop.time()
            if self._reading_paused:
                self._update_reading()
        if queue and not self._writing_paused and transport and not transport.is_closing():
            return True
        self._enqueued = False
        return False

    def _answer(self, message: bytes) -> None:
        reply = self.handler.handle(message, self._client_ip, "tcp")
        if reply is not None and self.transport is not None and not self.transport.is_closing():
            self.transport.write(len(reply).to_bytes(2) + reply)

    def _update_reading(self) -> None:
        """Read while the client reads its replies and fewer than half of `MAX_QUEUED`
        messages wait (pause at `MAX_QUEUED`)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self._reading_paused:
            if not self._writing_paused and len(self._queue) <= MAX_QUEUED // 2:
                self._reading_paused = False
                transport.resume_reading()
        elif self._writing_paused or len(self._queue) >= MAX_QUEUED:
            self._reading_paused = True
            transport.pause_reading()

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._last_message = self._loop.time()  # the client reads: not idle
        self.connections.touch(self)
        if self._queue and not self._enqueued:
            self._enqueued = True
            self.share.enqueue(self)
        self._update_reading()

    def _close_if_idle(self) -> None:
        remaining = self._last_message + self.idle_timeout - self._loop.time()
        if remaining > 0 or (self._queue and not self._writing_paused):
            self._idle = self._loop.call_later(max(remaining, 0.1), self._close_if_idle)
            return
        self._idle = None
        self.close(abort=self._writing_paused)  # a client that reads nothing gets no flush

    def evict(self) -> None:
        """Closed to make room for a new connection: at once, pending replies dropped (a
        client that stopped reading would otherwise hold its descriptor until it reads)."""
        self.close(abort=True)

    def close(self, abort: bool = False) -> None:
        """End the connection: replies already written are still sent, and queued messages
        answered first (while the client reads), unless `abort`."""
        if self.transport is None:
            return
        if abort:
            self._queue.clear()
            self.transport.abort()
            return
        while self._queue and not self._writing_paused and not self.transport.is_closing():
            self._answer(self._queue.popleft())
        self._queue.clear()
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        self._queue.clear()
        self.connections.discard(self)
        if not self.closed.done():
            self.closed.set_result(None)
