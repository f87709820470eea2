"""Small async DNS clients over raw bytes, for the test suite.

They send exactly the bytes given (malformed ones too) and return the raw reply, or None when
nothing arrives in time. UDP uses asyncio-dgram, whose await-per-packet style suits a client.
"""

from __future__ import annotations

import asyncio

import asyncio_dgram


async def udp_exchange(
    packet: bytes, address: tuple[str, int], timeout: float = 2.0
) -> bytes | None:
    """Send one datagram and wait for one reply."""
    stream = await asyncio_dgram.connect(address)
    try:
        await stream.send(packet)
        try:
            async with asyncio.timeout(timeout):
                reply, _ = await stream.recv()
        except TimeoutError:
            return None
        return reply
    finally:
        stream.close()


async def tcp_exchange(
    packets: list[bytes], address: tuple[str, int], timeout: float = 2.0
) -> list[bytes]:
    """Send several length-prefixed messages on one connection and read the replies in order.

    Stops early (returning what arrived) when the server closes or resets the connection or is
    silent for `timeout` seconds.
    """
    reader, writer = await asyncio.open_connection(*address)
    replies: list[bytes] = []
    try:
        writer.write(b"".join(len(p).to_bytes(2, "big") + p for p in packets))
        await writer.drain()
        for _ in packets:
            try:
                async with asyncio.timeout(timeout):
                    length = int.from_bytes(await reader.readexactly(2), "big")
                    replies.append(await reader.readexactly(length))
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                break  # silent, closed (EOF) or reset: the replies so far are the answer
    finally:
        writer.close()
    return replies
