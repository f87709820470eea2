"""The soak's query load (benchmarks/soak.py): dnsperf when installed, else a Python generator.

Both run in processes of their own (on core 0 when `taskset` exists, as in authoritative.py),
at a fixed rate (or, to measure the peak, as fast as replies come back), with at most 100
queries unanswered in all, as the anchors' `dnsperf -q 100` of docs/performance.md. That is
fewer than the server's socket buffer holds (net.core.rmem_default's 212,992 bytes take 256
queries, less up to a quarter while the kernel releases it lazily): a stall slows the load down
instead of overflowing the buffer, so a lost query is a real one (no reply within TIMEOUT). Both
report *segments*: for each sample of the soak, what was sent, answered, lost, the rcodes.

* dnsperf: two processes at half the rate each, on the same query file, one without EDNS Client
  Subnet and one with it (`-E`: dnsperf sends one option with every query), each `-c 8 -T 1
  -q 50`, `-t 5` (its default, as in authoritative.py); a segment is one run of both (`-l`),
  the next started once they have ended.
* Python: this module run as a script, one process for the whole soak, reading a query file
  whose lines may carry a subnet (`name TYPE [subnet]`), sending over 8 connected UDP sockets
  from an epoll loop paced by the clock, and printing one JSON line per segment (`--interval`).
  It reaches about 10,000-25,000 queries a second on one core: the peak it measures is its own
  as much as the server's.

    .venv/bin/python benchmarks/soakload.py --port 5300 --queries q.txt --rate 2000 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import select
import socket
import struct
import sys
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.authoritative import LOADGEN_CORE, ecs_option, parse_dnsperf, pinned
from benchmarks.soakserver import orphan_guard

TIMEOUT = 5.0  # seconds: a reply later than this is a lost query (dnsperf's default -t)
WINDOW = 100  # unanswered queries at most, in all
SOCKETS = 8  # the Python generator's client sockets (each an ID space of its own)
DNSPERF_SETTINGS = ("-c", "8", "-T", "1", "-q", str(WINDOW // 2), "-t", str(int(TIMEOUT)))
RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}


@dataclass
class Segment:
    """What one segment of load saw (all its processes together)."""

    seconds: float = 0.0  # asked for: queries go out for this long (then late replies come)
    sent: int = 0
    completed: int = 0
    lost: int = 0
    rcodes: dict[str, int] = field(default_factory=dict)
    max_latency: float = 0.0  # seconds, of the replies counted

    @property
    def qps(self) -> float:
        """Answered queries a second."""
        return self.completed / self.seconds if self.seconds else 0.0

    def add(self, figures: dict[str, Any]) -> None:
        self.sent += figures["sent"]
        self.completed += figures["completed"]
        self.lost += figures["lost"]
        self.max_latency = max(self.max_latency, figures["max_latency"])
        for code, count in figures["rcodes"].items():
            self.rcodes[code] = self.rcodes.get(code, 0) + count


# --- the generators, as the soak drives them -----------------------------------------------------


class DnsperfLoad:
    """Two dnsperf processes: one without ECS, one with `subnet` on every query."""

    name = "dnsperf"

    def __init__(self, dnsperf: str, port: int, queries: Path, subnet: str) -> None:
        self.dnsperf, self.port, self.queries, self.subnet = dnsperf, port, queries, subnet

    def commands(self, rate: float, seconds: float) -> list[list[str]]:
        base = [
            self.dnsperf, "-s", "127.0.0.1", "-p", str(self.port), "-d", str(self.queries),
            "-l", f"{seconds:g}", *DNSPERF_SETTINGS,
        ]  # fmt: skip
        if rate > 0:
            base += ["-Q", str(max(1, round(rate / 2)))]
        return [base, [*base, "-E", ecs_option(self.subnet)]]

    async def segments(
        self, rate: float, seconds: float, count: int
    ) -> AsyncGenerator[Segment, None]:
        """`count` segments of `seconds` at `rate` queries a second in all (0: the peak)."""
        for _ in range(count):
            outputs = await asyncio.gather(
                *(_output(pinned(LOADGEN_CORE, line)) for line in self.commands(rate, seconds))
            )
            segment = Segment(seconds=seconds)
            for returncode, text in outputs:
                try:
                    result = parse_dnsperf(text.splitlines())
                except ValueError:
                    tail = "\n".join(text.splitlines()[-10:])
                    raise RuntimeError(f"dnsperf failed (exit {returncode}):\n{tail}") from None
                segment.add(
                    {
                        "sent": result.sent,
                        "completed": result.completed,
                        "lost": result.lost,
                        "rcodes": result.rcodes,
                        "max_latency": result.max_latency,
                    }
                )
            yield segment

    async def run(self, rate: float, seconds: float) -> Segment:
        """One segment."""
        return await first(self.segments(rate, seconds, 1))


class PythonLoad:
    """This module as a script, one process for all the segments."""

    name = "python"

    def __init__(self, port: int, queries: Path, timeout: float = TIMEOUT) -> None:
        self.port, self.queries, self.timeout = port, queries, timeout

    def command(self, rate: float, seconds: float, count: int) -> list[str]:
        return [
            sys.executable, str(Path(__file__).resolve()), "--port", str(self.port),
            "--queries", str(self.queries), "--rate", f"{rate:.0f}",
            "--seconds", f"{seconds * count:g}", "--interval", f"{seconds:g}",
            "--timeout", f"{self.timeout:g}",
        ]  # fmt: skip

    async def segments(
        self, rate: float, seconds: float, count: int
    ) -> AsyncGenerator[Segment, None]:
        """`count` segments of `seconds` at `rate` queries a second (0: the peak)."""
        process = await asyncio.create_subprocess_exec(
            # Killed with the soak (it may run for an hour): the soak starts it on its loop's
            # thread, the main one.
            *orphan_guard(pinned(LOADGEN_CORE, self.command(rate, seconds, count))),
            stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        ended = False
        try:
            async for line in process.stdout:
                segment = Segment(seconds=seconds)
                segment.add(json.loads(line))
                yield segment
            ended = True
        finally:
            # Not when it ended by itself: kill() would reap it (Popen.send_signal polls first)
            # before asyncio's child watcher does, which then reports exit status 255.
            if not ended and process.returncode is None:
                process.kill()
            returncode = await process.wait()
        if returncode != 0:
            raise RuntimeError(f"the Python load generator failed (exit {returncode})")

    async def run(self, rate: float, seconds: float) -> Segment:
        """One segment."""
        return await first(self.segments(rate, seconds, 1))


async def first(segments: AsyncGenerator[Segment, None]) -> Segment:
    """The one segment of a run of one, the run seen to its end."""
    (segment,) = [segment async for segment in segments]
    return segment


async def _output(command: list[str]) -> tuple[int | None, str]:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await process.communicate()
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return process.returncode, out.decode(errors="replace")


# --- the Python generator ------------------------------------------------------------------------


def wire_query(name: str, qtype: str, subnet: str | None) -> bytes:
    """A query with ID 0 and RD clear, with EDNS (payload 4096) and, given one, an ECS option."""
    labels = b"".join(
        bytes((len(label),)) + label.encode() for label in name.rstrip(".").split(".")
    )
    question = labels + b"\x00" + struct.pack("!HH", QTYPES[qtype.upper()], 1)
    option = b""
    if subnet is not None:
        code, payload = ecs_option(subnet).split(":")
        data = bytes.fromhex(payload)
        option = struct.pack("!HH", int(code), len(data)) + data
    opt = b"\x00" + struct.pack("!HHIH", 41, 4096, 0, len(option)) + option
    return struct.pack("!HHHHHH", 0, 0, 1, 0, 0, 1) + question + opt


def read_queries(path: Path) -> list[bytes]:
    """The query file: `name TYPE [subnet]` a line."""
    queries = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields:
            queries.append(wire_query(fields[0], fields[1], fields[2] if len(fields) > 2 else None))
    return queries


class Counts:
    """One interval's figures."""

    def __init__(self) -> None:
        self.sent = self.completed = self.lost = self.late = self.skipped = 0
        self.max_latency = 0.0
        self.rcodes: dict[int, int] = {}

    def as_dict(self) -> dict[str, Any]:
        names = {RCODE_NAMES.get(code, str(code)): n for code, n in self.rcodes.items()}
        return {
            "sent": self.sent,
            "completed": self.completed,
            "lost": self.lost,
            "late": self.late,  # replies come after their query was counted lost
            "skipped": self.skipped,  # sends the rate asked for but the window did not allow
            "max_latency": self.max_latency,
            "rcodes": names,
        }


def generate(
    port: int,
    queries: Sequence[bytes],
    rate: float,
    seconds: float,
    interval: float | None = None,
    window: int = WINDOW,
    timeout: float = TIMEOUT,
) -> None:
    """Send `queries` in turn to 127.0.0.1:`port` for `seconds` at `rate` a second (0: as fast
    as replies free the window), never more than `window` unanswered, printing the figures of
    each `interval` (and of the end) as a JSON line; then wait for the replies still due (at
    most `timeout`). A query whose reply is more than `timeout` late is lost (in the interval
    where that is found). Fallen behind the rate (the window full), it catches up by at most a
    window: slots missed beyond that are not sent (`skipped`)."""
    socks = []
    for _ in range(SOCKETS):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.connect(("127.0.0.1", port))
        sock.setblocking(False)
        socks.append(sock)
    poller = select.epoll()
    by_fd = {sock.fileno(): n for n, sock in enumerate(socks)}
    for sock in socks:
        poller.register(sock.fileno(), select.EPOLLIN)
    pending: list[dict[int, float]] = [{} for _ in socks]  # per socket: ID -> sent at
    next_id = [0] * SOCKETS
    counts = Counts()
    in_flight = slots = position = 0
    start = time.monotonic()
    end = start + seconds
    report_at = start + (interval or seconds)
    sweep_at = start + timeout / 4
    while True:
        now = time.monotonic()
        if now < end:
            backlog = window
            if rate > 0:
                backlog = int((now - start) * rate) - slots
                if backlog > window:
                    counts.skipped += backlog - window
                    slots += backlog - window
                    backlog = window
            for _ in range(max(0, min(backlog, window - in_flight))):
                n = slots % SOCKETS
                ident = next_id[n]
                next_id[n] = (ident + 1) & 0xFFFF
                query = queries[position]
                position = (position + 1) % len(queries)
                slots += 1
                counts.sent += 1
                try:
                    socks[n].send(ident.to_bytes(2, "big") + query[2:])
                except BlockingIOError:
                    counts.lost += 1
                    continue
                pending[n][ident] = now
                in_flight += 1
        elif not in_flight or now > end + timeout:
            break
        if now >= report_at and now < end:
            print(json.dumps(counts.as_dict()), flush=True)
            counts = Counts()
            report_at += interval or seconds
        for fd, _event in poller.poll(0.0005 if rate > 0 else 0.01):
            n = by_fd[fd]
            waiting = pending[n]
            while True:
                try:
                    reply = socks[n].recv(4096)
                except BlockingIOError:
                    break
                if len(reply) < 12:
                    continue
                asked = waiting.pop(int.from_bytes(reply[:2], "big"), None)
                if asked is None:
                    counts.late += 1
                    continue
                counts.max_latency = max(counts.max_latency, time.monotonic() - asked)
                in_flight -= 1
                counts.completed += 1
                rcode = reply[3] & 0x0F
                counts.rcodes[rcode] = counts.rcodes.get(rcode, 0) + 1
        if now >= sweep_at:
            sweep_at = now + timeout / 4
            for waiting in pending:
                expired = [ident for ident, at in waiting.items() if now - at > timeout]
                for ident in expired:
                    del waiting[ident]
                counts.lost += len(expired)
                in_flight -= len(expired)
    counts.lost += in_flight
    print(json.dumps(counts.as_dict()), flush=True)
    for sock in socks:
        sock.close()
    poller.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--queries", type=Path, required=True, help="`name TYPE [subnet]` lines")
    parser.add_argument("--rate", type=float, default=0, help="queries a second (0: the peak)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--interval", type=float, help="seconds between lines (default: one)")
    parser.add_argument("--window", type=int, default=WINDOW, help="unanswered queries at most")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds: then lost")
    args = parser.parse_args(argv)
    queries = read_queries(args.queries)
    generate(args.port, queries, args.rate, args.seconds, args.interval, args.window, args.timeout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
