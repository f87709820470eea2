"""UDP and TCP listeners: framing only; every message goes to the one `QueryHandler`.

UDP uses a plain `DatagramProtocol` (measured faster than an await-per-packet loop, see
shared/perf/anchors.md). TCP reads 2-byte length-prefixed messages, answers several per
connection in order, and closes an idle connection after `idle_timeout` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

from r53emu.handler import QueryHandler

logger = logging.getLogger("r53emu.listeners")


class UdpListener(asyncio.DatagramProtocol):
    def __init__(self, handler: QueryHandler) -> None:
        self.handler = handler
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.handler.handle(data, addr[0], "udp")
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP errors for earlier replies (client went away); nothing to do but note it.
        logger.debug("UDP error: %s", exc)


class TcpListener:
    """Serves one TCP connection at a time per call; used as `asyncio.start_server`'s callback."""

    def __init__(self, handler: QueryHandler, idle_timeout: float) -> None:
        self.handler = handler
        self.idle_timeout = idle_timeout

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client_ip = peer[0] if peer else "0.0.0.0"
        try:
            while True:
                async with asyncio.timeout(self.idle_timeout):
                    length = int.from_bytes(await reader.readexactly(2), "big")
                    message = await reader.readexactly(length)
                reply = self.handler.handle(message, client_ip, "tcp")
                if reply is None:
                    continue
                writer.write(len(reply).to_bytes(2, "big") + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            pass  # client closed, idle, or reset: the connection simply ends
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
