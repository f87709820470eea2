"""`SharedRender` (the admin API's /metrics) and `PacedBody` (its large zone bodies)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from aiohttp.abc import AbstractStreamWriter

from r53emu.ops.pacedbody import PacedBody
from r53emu.ops.sharedrender import SharedRender


def test_requests_that_come_during_a_render_share_the_next_one() -> None:
    async def check() -> None:
        made: list[int] = []
        release = asyncio.Event()

        async def render() -> bytes:
            made.append(len(made))
            await release.wait()
            return b"render %d" % (len(made) - 1)

        shared = SharedRender(render, max_pause=0.0)
        first = asyncio.create_task(shared.get())
        await asyncio.sleep(0.01)  # the first render has started
        later = [asyncio.create_task(shared.get()) for _ in range(5)]
        await asyncio.sleep(0.01)
        assert made == [0]  # one render at a time
        release.set()
        assert await first == b"render 0"
        # Those that came while render 0 was made get render 1, all five the same one.
        assert await asyncio.gather(*later) == [b"render 1"] * 5
        assert shared.renders == 2

    asyncio.run(check())


def test_a_failed_render_fails_its_requests_and_the_next_render_is_made_anew() -> None:
    async def check() -> None:
        calls = 0

        async def render() -> bytes:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("no metrics")
            return b"ok"

        shared = SharedRender(render)
        with pytest.raises(RuntimeError, match="no metrics"):
            await shared.get()
        assert await shared.get() == b"ok"

    asyncio.run(check())


def test_closing_cancels_the_requests_still_waiting() -> None:
    async def check() -> None:
        async def render() -> bytes:
            await asyncio.sleep(60)
            return b""

        shared = SharedRender(render)
        waiting = asyncio.create_task(shared.get())
        await asyncio.sleep(0.01)
        shared.close()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(check())


class Writer:
    def __init__(self) -> None:
        self.pieces: list[bytes] = []

    async def write(self, chunk: Any) -> None:
        self.pieces.append(bytes(chunk))


def test_a_paced_body_is_written_a_chunk_per_turn() -> None:
    async def check() -> None:
        turns = 0

        async def next_turn() -> None:
            nonlocal turns
            turns += 1

        body = bytes(range(256)) * 10  # 2,560 bytes
        paced = PacedBody(body, next_turn, "application/json", chunk=1000)
        assert paced.size == len(body)
        assert paced.content_type == "application/json"
        writer = Writer()
        await paced.write(cast(AbstractStreamWriter, writer))
        assert [len(piece) for piece in writer.pieces] == [1000, 1000, 560]
        assert b"".join(writer.pieces) == body
        assert turns == 2  # one wait before each piece after the first
        limited = Writer()
        await paced.write_with_length(cast(AbstractStreamWriter, limited), 1500)
        assert b"".join(limited.pieces) == body[:1500]
        assert paced.decode("latin-1") == body.decode("latin-1")

    asyncio.run(check())
