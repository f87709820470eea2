"""Benchmark: CPU use of the health-check scheduler, and DNS answering while it runs.

    .venv/bin/python benchmarks/health_scheduler.py [--checks 1000] [--interval 10] [--seconds 30]

Four phases in one run, side by side: a server without health checks and the same server with
N HTTP checks (every `--interval` seconds, as Route 53's fast interval) against a local aiohttp
target, each first with no DNS queries (the scheduler's own cost, measured where nothing else
moves the figure) and then under a steady DNS load (the answering it must not disturb). The
target and the DNS load generator run in their own processes (pinned to core 0 when `taskset`
exists; the server to core 1), so the CPU measured is r53emu's alone. It reports the server
process's CPU (% of one core, all threads, from Linux's schedstat) in each phase, the
differences of the means (the scheduler's cost; target: under 5 % of one core), probes kept and
failed, and DNS latency (p50/p99) and loss under load. `--rounds` repeats the four phases to
average out drift. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from r53emu.app import R53Emu, ServerConfig
from r53emu.server.eventloop import loop_factory

T = TypeVar("T")

TARGET = textwrap.dedent(
    """
    import asyncio, sys
    from aiohttp import web
    async def ok(request):
        return web.Response(text="OK")
    async def main():
        app = web.Application()
        app.router.add_get("/{tail:.*}", ok)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Event().wait()
    asyncio.run(main())
    """
)

# Sends queries at a steady rate for `seconds`, prints JSON with latencies (ms) and losses.
LOAD = textwrap.dedent(
    """
    import json, socket, struct, sys, time
    port, rate, seconds = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    name = b"".join(bytes([len(p)]) + p for p in b"www.bench.test".split(b".")) + b"\\0"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", port))
    sock.settimeout(0.5)
    latencies, lost = [], 0
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        ident = i & 0xFFFF
        sent = time.perf_counter()
        sock.send(struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + name + b"\\0\\1\\0\\1")
        try:
            while struct.unpack("!H", sock.recv(4096)[:2])[0] != ident:
                pass
            latencies.append((time.perf_counter() - sent) * 1000)
        except socket.timeout:
            lost += 1
    print(json.dumps({"latencies": latencies, "lost": lost}))
    """
)


def cpu_seconds() -> float:
    """CPU time of this process, all threads: the scheduler's exact run time where Linux's
    schedstat exists (tick-sampled user/system times are coarse on a VM), else os.times()."""
    try:
        return (
            sum(
                int(Path(task, "schedstat").read_text().split()[0])
                for task in Path("/proc/self/task").iterdir()
            )
            / 1e9
        )
    except OSError:
        times = os.times()
        return times.user + times.system


def pinned(argv: list[str], core: int) -> list[str]:
    return ["taskset", "-c", str(core), *argv] if shutil.which("taskset") else argv


def zone_file(directory: Path, checks: int, interval: float, target_port: int) -> None:
    lines = ["health_checks:"]
    for index in range(checks):
        lines.append(
            f"  c{index}: {{type: HTTP, ip_address: 127.0.0.1, port: {target_port}, "
            f"resource_path: /c{index}, request_interval: {interval}, failure_threshold: 3}}"
        )
    if checks == 0:
        lines = []
    lines += [
        "zone: bench.test",
        "ttl: 60",
        "record_sets:",
        "  - {name: www, type: A, records: [192.0.2.1]}",
    ]
    (directory / "bench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


async def measure(zones: Path, seconds: float, rate: float) -> dict[str, float]:
    """One phase: a server on `zones`, measured for `seconds` under `rate` q/s (0: no load)."""
    server = R53Emu(ServerConfig(zones=zones, address="127.0.0.1", port=0))
    await server.start()
    try:
        await asyncio.sleep(min(seconds / 3, 10))  # let the jittered first round of probes start
        argv = [sys.executable, "-c", LOAD, str(server.address[1]), str(rate), str(seconds)]
        times_start, cpu_start, wall_start = os.times(), cpu_seconds(), time.perf_counter()
        if rate > 0:
            load = await asyncio.create_subprocess_exec(
                *pinned(argv, 0), stdout=asyncio.subprocess.PIPE
            )
            out, _ = await load.communicate()
            result = json.loads(out)
        else:
            await asyncio.sleep(seconds)
            result = {"latencies": [], "lost": 0}
        times_end, cpu_end = os.times(), cpu_seconds()
        wall = time.perf_counter() - wall_start
        scheduler = server.health_checks
        observed = failed = 0
        if scheduler is not None:
            for tracker in scheduler.trackers.values():
                observed += len(tracker.observations)
                failed += sum(1 for o in tracker.observations if not o.healthy)
        latencies = sorted(result["latencies"]) or [math.nan]
        return {
            "cpu_percent": 100 * (cpu_end - cpu_start) / wall,
            "user_percent": 100 * (times_end.user - times_start.user) / wall,
            "system_percent": 100 * (times_end.system - times_start.system) / wall,
            "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)],
            "lost": result["lost"],
            "observations_kept": observed,
            "failed_observations": failed,
        }
    finally:
        await server.stop()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on the event loop the server itself uses (uvloop where it is installed)."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(coroutine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=1000.0, help="DNS queries per second")
    parser.add_argument("--rounds", type=int, default=2, help="times each phase runs, alternated")
    args = parser.parse_args()
    if shutil.which("taskset"):
        os.sched_setaffinity(0, {1})
    target = subprocess.Popen(
        pinned([sys.executable, "-c", TARGET], 0), stdout=subprocess.PIPE, text=True
    )
    phases = [
        ("no queries", "no checks", 0.0),
        ("no queries", "checks", 0.0),
        (f"{args.rate:g} q/s", "no checks", args.rate),
        (f"{args.rate:g} q/s", "checks", args.rate),
    ]
    rows: list[tuple[str, str, dict[str, float]]] = []
    try:
        assert target.stdout is not None
        target_port = int(target.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            zones = {"no checks": Path(tmp, "baseline"), "checks": Path(tmp, "checks")}
            for label, directory in zones.items():
                directory.mkdir()
                count = args.checks if label == "checks" else 0
                zone_file(directory, count, args.interval, target_port)
            for _ in range(args.rounds):
                for load, checks, rate in phases:
                    rows.append((load, checks, run(measure(zones[checks], args.seconds, rate))))
    finally:
        target.terminate()
        target.wait()
    report(args, rows)


def report(args: argparse.Namespace, rows: list[tuple[str, str, dict[str, float]]]) -> None:
    print(
        f"health-check scheduler: {args.checks} HTTP checks every {args.interval:g} s, "
        f"{args.seconds:g} s per phase, {args.rounds} rounds"
    )
    print(
        f"{'load':<12}{'server':<11}{'CPU % core':>11}{'(user':>7}{'system)':>9}"
        f"{'DNS p50 ms':>12}{'DNS p99 ms':>12}{'lost':>6}{'failed probes':>16}"
    )
    for load, checks, row in rows:
        print(
            f"{load:<12}{checks:<11}{row['cpu_percent']:>11.1f}{row['user_percent']:>7.1f}"
            f"{row['system_percent']:>9.1f}{row['p50_ms']:>12.3f}"
            f"{row['p99_ms']:>12.3f}{row['lost']:>6.0f}"
            f"{row['failed_observations']:>8.0f} of {row['observations_kept']:<5.0f}"
        )

    def mean(load: str, checks: str, field: str = "cpu_percent") -> float:
        return statistics.mean(r[field] for lo, ch, r in rows if (lo, ch) == (load, checks))

    idle_cost = mean("no queries", "checks") - mean("no queries", "no checks")
    loaded = f"{args.rate:g} q/s"
    loaded_cost = mean(loaded, "checks") - mean(loaded, "no checks")
    print(
        f"scheduler CPU: {idle_cost:.1f} % of one core with no queries (target < 5 %); "
        f"{loaded_cost:.1f} % under {loaded}"
    )
    print(
        f"DNS under {loaded}: p99 {mean(loaded, 'checks', 'p99_ms'):.3f} ms with checks, "
        f"{mean(loaded, 'no checks', 'p99_ms'):.3f} ms without (means of the rounds)"
    )


if __name__ == "__main__":
    main()
