"""`LoopShare` and the TCP connection's queue: what each kind of work may take of a loop turn.

Run on asyncio's loop and on uvloop (where it installs): turns are the loops' own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

import pytest

from r53emu.server.eventloop import loop_factory
from r53emu.server.fairshare import TCP_QUANTUM, LoopShare
from r53emu.server.handler import QueryHandler
from r53emu.server.listeners import MAX_QUEUED, ConnectionRegistry, TcpConnection

T = TypeVar("T")
LOOPS = {"asyncio": asyncio.new_event_loop} | (
    {"uvloop": factory} if (factory := loop_factory()) is not None else {}
)


@pytest.fixture(params=sorted(LOOPS))
def run(request: pytest.FixtureRequest) -> Callable[[Coroutine[Any, Any, T]], T]:
    factory = LOOPS[request.param]

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(coroutine)

    return run


async def turns(count: int = 1) -> None:
    """Let the loop run `count` more turns (each sleep(0) is one)."""
    for _ in range(count):
        await asyncio.sleep(0)


class Worker:
    """A queued connection with `left` messages; each answer is logged in `answered`."""

    def __init__(self, name: str, left: int, answered: list[str]) -> None:
        self.name, self.left, self.answered = name, left, answered

    def answer_queued(self, until: float) -> bool:
        for _ in range(TCP_QUANTUM):
            self.answered.append(self.name)
            self.left -= 1
            if not self.left or time.perf_counter() >= until:
                break
        return self.left > 0


def test_drains_that_find_nothing_come_less_often() -> None:
    share = LoopShare(udp_every=0.001, udp_every_idle=0.004)
    share.serve_udp(lambda: None)
    waits = []
    for read in (0, 0, 0, 0, 5, 0):
        before = time.perf_counter()
        share.drained(read)
        waits.append(round(share.udp_due - before, 3))
    assert waits == [0.002, 0.004, 0.004, 0.004, 0.001, 0.002]


def test_the_tcp_budget_is_per_turn(run: Callable[[Coroutine[Any, Any, None]], None]) -> None:
    async def check() -> None:
        share = LoopShare(tcp_budget=0.001)
        assert share.open
        share.spent(time.perf_counter() - 0.002)
        assert not share.open
        await turns(2)
        assert share.open

    run(check())


def test_queued_connections_are_answered_in_turn(
    run: Callable[[Coroutine[Any, Any, None]], None],
) -> None:
    """One message per connection in turn; with no budget, one message per loop turn."""

    async def check() -> None:
        share = LoopShare(tcp_budget=0.0)
        answered: list[str] = []
        for name, left in (("a", 3), ("b", 1), ("c", 2)):
            share.enqueue(Worker(name, left, answered))
        assert share.queued_connections == 3
        await turns(1)
        assert answered == ["a"]
        await turns(10)
        assert answered == ["a", "b", "c", "a", "c", "a"]
        assert share.queued_connections == 0

    run(check())


def test_a_turn_answers_until_its_budget_is_spent(
    run: Callable[[Coroutine[Any, Any, None]], None],
) -> None:
    """With budget to spare, one connection's queued messages are answered TCP_QUANTUM at a
    time (pipelined queries together), the connections in turn."""

    async def check() -> None:
        share = LoopShare(tcp_budget=10.0)
        answered: list[str] = []
        share.enqueue(Worker("a", 50, answered))
        share.enqueue(Worker("b", 50, answered))
        await turns(1)
        assert len(answered) == 100  # all of it fits one turn's budget
        quantum = TCP_QUANTUM
        assert answered[: 2 * quantum] == ["a"] * quantum + ["b"] * quantum

    run(check())


def test_udp_is_drained_between_queued_answers_once_due(
    run: Callable[[Coroutine[Any, Any, None]], None],
) -> None:
    async def check() -> None:
        share = LoopShare(tcp_budget=10.0, udp_every=0.0, udp_every_idle=0.0)
        log: list[str] = []

        def drain() -> None:
            log.append("udp")
            share.drained(1)

        share.serve_udp(drain)
        share.enqueue(Worker("tcp", 3, log))
        await turns(1)
        assert log == ["tcp", "udp", "tcp", "udp", "tcp", "udp"]
        never = LoopShare(tcp_budget=10.0, udp_every=3600.0)
        never.serve_udp(lambda: log.append("too soon"))
        never.spent(time.perf_counter())
        never.udp_first()
        assert "too soon" not in log
        never.serve_udp(None)  # no UDP listener: never due
        never.udp_every = 0.0
        never.spent(time.perf_counter())

    run(check())


def test_admin_requests_start_one_per_turn_in_order(
    run: Callable[[Coroutine[Any, Any, None]], None],
) -> None:
    async def check() -> None:
        share = LoopShare(admin_per_turn=1)
        started: list[int] = []

        async def request(n: int) -> None:
            await share.admit()
            started.append(n)

        tasks = [asyncio.create_task(request(n)) for n in range(5)]
        await turns(1)
        assert started == [0]
        assert share.admin_waiting == 4
        tasks[2].cancel()  # a client gone while waiting: its place is skipped
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)
        assert started == [0, 1, 3, 4]
        assert share.admin_waiting == 0

    run(check())


def test_closing_starts_every_waiting_request(
    run: Callable[[Coroutine[Any, Any, None]], None],
) -> None:
    async def check() -> None:
        share = LoopShare(admin_per_turn=1)
        tasks = [asyncio.create_task(share.admit()) for _ in range(3)]
        await turns(1)
        share.close()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)

    run(check())


# --- the TCP connection's queue --------------------------------------------------------------


class FakeTransport:
    """What `TcpConnection` uses of a transport; writes kept, reading and closing noted."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.reading = True
        self.closing = False
        self.aborted = False

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 5353) if name == "peername" else None

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        assert self.reading
        self.reading = False

    def resume_reading(self) -> None:
        assert not self.reading
        self.reading = True

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = self.aborted = True


class EchoHandler:
    """Replies with the message itself: the order of the replies is the order answered."""

    def handle(self, message: bytes, client_ip: str, transport: str) -> bytes:
        return message


def framed(*messages: bytes) -> bytes:
    return b"".join(len(m).to_bytes(2) + m for m in messages)


def connection(share: LoopShare) -> tuple[TcpConnection, FakeTransport]:
    handler = cast(QueryHandler, EchoHandler())
    registry: ConnectionRegistry[TcpConnection] = ConnectionRegistry("test", "--flag")
    tcp = TcpConnection(handler, 10.0, registry, share)
    transport = FakeTransport()
    tcp.connection_made(cast(asyncio.Transport, transport))
    return tcp, transport


def test_messages_past_the_budget_are_queued_and_answered_in_order(
    run: Callable[[Coroutine[Any, Any, None]], None],
) -> None:
    async def check() -> None:
        share = LoopShare(tcp_budget=1e-9)  # the first message of a turn, then queued
        tcp, transport = connection(share)
        messages = [b"m%03d" % n for n in range(10)]
        tcp.data_received(framed(*messages[:5]))
        tcp.data_received(framed(*messages[5:]))
        assert transport.written == [framed(messages[0])]
        await turns(20)
        assert transport.written == [framed(m) for m in messages]
        tcp.close()

    run(check())


def test_a_long_queue_pauses_reading_and_a_client_not_reading_pauses_answering(
    run: Callable[[Coroutine[Any, Any, None]], None],
) -> None:
    async def check() -> None:
        share = LoopShare(tcp_budget=1e-9)
        tcp, transport = connection(share)
        messages = [b"%04d" % n for n in range(MAX_QUEUED + 1)]
        tcp.data_received(framed(*messages))  # one answered, MAX_QUEUED queued
        assert not transport.reading
        tcp.pause_writing()  # the client stops reading its replies: nothing more is answered
        await turns(5)
        assert len(transport.written) == 1
        tcp.resume_writing()
        await turns(MAX_QUEUED // 2 + 2)
        assert transport.reading  # half the queue answered: reading again
        await turns(MAX_QUEUED)
        assert transport.written == [framed(m) for m in messages]
        tcp.close()

    run(check())


def test_closing_answers_what_is_queued_first_and_aborting_does_not(
    run: Callable[[Coroutine[Any, Any, None]], None],
) -> None:
    async def check() -> None:
        for abort, expected in ((False, 3), (True, 1)):
            share = LoopShare(tcp_budget=1e-9)
            tcp, transport = connection(share)
            tcp.data_received(framed(b"a", b"b", b"c"))
            tcp.close(abort=abort)
            assert len(transport.written) == expected
            assert transport.closing
            assert transport.aborted == abort
            await turns(3)
            assert len(transport.written) == expected
            tcp.connection_lost(None)

    run(check())
