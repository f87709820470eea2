"""The Python ceiling: a uvloop UDP responder that answers every query with precomputed bytes.

    .venv/bin/python benchmarks/ceiling.py [--port 0]

It does the least a DNS server can do per packet: copy the query's ID, echo its question, and append
one fixed A record (192.0.2.1, a pointer to the question's name). No parsing beyond finding the end
of the question, no lookup, no packing. benchmarks/authoritative.py drives it with the same dnsperf
settings as r53emu, so every r53emu throughput can be read as a share of what Python on uvloop can
answer at all on this machine (docs/performance.md, Anchors: about 270k q/s). It prints `listening
on 127.0.0.1:PORT` once bound, and stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import cast

import uvloop

# QR AA, RD copied as clear (dnsperf does not check it); QDCOUNT 1, ANCOUNT 1, NSCOUNT 0, ARCOUNT 0.
HEADER_TAIL = b"\x84\x00\x00\x01\x00\x01\x00\x00\x00\x00"
# The answer: name = pointer to offset 12, type A, class IN, TTL 60, 4 bytes of 192.0.2.1.
ANSWER = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01"


class Responder(asyncio.DatagramProtocol):
    """Answer each datagram at once; drop what is too short to hold a question."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's UDPTransport is not a subclass of asyncio.DatagramTransport: no isinstance.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        # The question name ends at its first zero byte (a root label); dnsperf's names are
        # plain text, so no label holds a zero byte. Type and class follow: 4 bytes.
        end = data.find(0, 12)
        if end < 0 or len(data) < end + 5:
            return
        self.transport.sendto(data[:2] + HEADER_TAIL + data[12 : end + 5] + ANSWER, addr)


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Responder, local_addr=("127.0.0.1", port))
    host, bound = transport.get_extra_info("sockname")[:2]
    print(f"listening on {host}:{bound}", flush=True)
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="UDP port (0 picks a free one)")
    args = parser.parse_args()
    uvloop.run(serve(args.port))


if __name__ == "__main__":
    main()
