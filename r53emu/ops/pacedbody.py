"""A large response body written a piece per turn of the loop (the admin API's zone bodies).

Writing a body is synchronous work on the loop that answers DNS, kernel copy included: a step of
a request writing the 288 kB of `GET /zones/bench.test.` took up to 1.9 ms on asyncio's loop,
and 32 clients streaming it kept such steps coming back to back. `PacedBody` writes `CHUNK`
bytes at a time and waits for its turn (`LoopShare.admit`, the turns admin requests start in)
before each further piece, so that other work and UDP come between pieces.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload

CHUNK = 65536  # bytes written per turn


class PacedBody(Payload):
    """`value` as a response body, written `chunk` bytes per turn (`next_turn` awaited between
    pieces); the response gets its Content-Length from `size`, and HEAD gets no body."""

    _value: bytes

    def __init__(
        self,
        value: bytes,
        next_turn: Callable[[], Awaitable[None]],
        content_type: str,
        chunk: int = CHUNK,
    ) -> None:
        super().__init__(value, content_type=content_type)
        self._size = len(value)
        self._next_turn = next_turn
        self._chunk = max(1, chunk)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._value.decode(encoding, errors)

    async def write(self, writer: AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        body = memoryview(self._value)[:content_length]
        for start in range(0, len(body), self._chunk):
            if start:
                await self._next_turn()
            await writer.write(body[start : start + self._chunk])
