"""The soak's server (benchmarks/soak.py): `r53emu serve` in a process of its own, and what
the soak reads of it at each sample.

* /proc/PID/status (VmRSS) and /proc/PID/fd (descriptors, by kind);
* /proc/net/udp: the kernel's count of datagrams dropped at the server's UDP socket;
* `GET /metrics`: `r53emu_event_loop_tasks`, `r53emu_reply_cache_entries`,
  `r53emu_reply_cache_bytes`, SERVFAILs (`r53emu_queries_total{rcode="SERVFAIL"}`),
  `r53emu_reloads_total` and `r53emu_reload_failures_total`; each scrape on a connection of its
  own, so that no kept-alive connection's task is counted;
* its log (`--log-format json`), by level.

A sample is the least of READINGS readings READING_GAP apart: a health-check probe or a scrape
in flight is one descriptor and one task more for a moment, a leak is more at every reading.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from benchmarks.authoritative import ADMIN, LISTENING, SERVER_CORE, Process, memory_kb, pinned

READINGS, READING_GAP = 5, 0.2  # per sample: the least of this many readings, this far apart
STARTUP_TIMEOUT = 120.0


@dataclass
class Reading:
    """The server at one sample: the least of READINGS readings (counters: the last)."""

    rss_mb: float
    fds: int
    tasks: float | None  # None: not in /metrics (an r53emu without the gauges)
    cache_entries: float | None
    cache_mb: float | None
    servfail: int  # SERVFAILs answered since the start
    reloads: int
    reload_failures: int
    fd_kinds: dict[str, int] = field(default_factory=dict)  # socket, pipe, anon_inode, file
    udp_drops: int = 0  # datagrams the kernel dropped at the server's UDP socket (buffer full)


def orphan_guard(command: list[str]) -> list[str]:
    """`command` killed when the thread starting it ends (the soak killed with SIGKILL, say),
    with util-linux's `setpriv --pdeathsig` where it exists. Start it from the main thread."""
    if shutil.which("setpriv") is None:
        return command
    return ["setpriv", "--pdeathsig", "KILL", *command]


def start_server(zones: Path) -> tuple[Process, int, str]:
    """`r53emu serve` watching `zones`, on core 1: its process, DNS port and admin URL."""
    command = [
        sys.executable, "-m", "r53emu", "serve", "--zones", str(zones), "--port", "0",
        "--admin-port", "0", "--watch", "--log-format", "json", "--seed", "1",
    ]  # fmt: skip
    process = Process(orphan_guard(pinned(SERVER_CORE, command)), "stderr")
    port = int(process.wait_for(LISTENING, STARTUP_TIMEOUT).group(1))
    admin = process.wait_for(ADMIN, 30).group(1)
    return process, port, admin


def logged(process: Process) -> dict[str, list[str]]:
    """The server's log lines so far, by level (the JSON log format's `level`)."""
    while not process.lines.empty():
        line = process.lines.get_nowait()
        if line is not None:
            process.seen.append(line)
    levels: dict[str, list[str]] = {}
    for line in process.seen:
        try:
            record = json.loads(line)
        except ValueError:
            levels.setdefault("UNPARSED", []).append(line)
            continue
        levels.setdefault(record.get("level", "?"), []).append(record.get("message", ""))
    return levels


async def read_once(pid: int, admin: str, port: int) -> Reading:
    connector = aiohttp.TCPConnector(force_close=True)  # no kept-alive connection's task
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.get(admin + "metrics", timeout=aiohttp.ClientTimeout(total=30)) as reply,
    ):
        text = await reply.text()
    values: dict[str, float] = {}
    servfail = 0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "r53emu_queries_total" and sample.labels["rcode"] == "SERVFAIL":
                servfail += int(sample.value)
            elif not sample.labels:
                values[sample.name] = sample.value
    cache_bytes = values.get("r53emu_reply_cache_bytes")
    kinds = descriptors(pid)
    return Reading(
        rss_mb=memory_kb(pid)["VmRSS"] / 1024,
        fds=sum(kinds.values()),
        tasks=values.get("r53emu_event_loop_tasks"),
        cache_entries=values.get("r53emu_reply_cache_entries"),
        cache_mb=None if cache_bytes is None else cache_bytes / 2**20,
        servfail=servfail,
        reloads=int(values.get("r53emu_reloads_total", 0)),
        reload_failures=int(values.get("r53emu_reload_failures_total", 0)),
        fd_kinds=kinds,
        udp_drops=udp_drops(port),
    )


def udp_drops(port: int) -> int:
    """The kernel's count of datagrams dropped at the UDP socket on 127.0.0.1:`port` (its
    receive buffer full), from /proc/net/udp's `drops` column."""
    local = f"0100007F:{port:04X}"
    drops = 0
    with open("/proc/net/udp") as table:
        for line in table:
            fields = line.split()
            if len(fields) > 12 and fields[1] == local:
                drops += int(fields[12])
    return drops


def descriptors(pid: int) -> dict[str, int]:
    """The process's open descriptors by kind: socket, pipe, anon_inode (epoll, eventfd,
    inotify), file."""
    kinds: dict[str, int] = {}
    directory = f"/proc/{pid}/fd"
    for name in os.listdir(directory):
        try:
            target = os.readlink(f"{directory}/{name}")
        except OSError:
            continue  # closed since it was listed
        kind = target.split(":", 1)[0] if ":" in target and not target.startswith("/") else "file"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


async def read_server(pid: int, admin: str, port: int, lock: asyncio.Lock) -> Reading:
    """The least of READINGS readings (a probe or a scrape in flight is one descriptor and one
    task more for a moment), taken under `lock`: no disturbance is in progress."""
    async with lock:
        readings = []
        for n in range(READINGS):
            if n:
                await asyncio.sleep(READING_GAP)
            readings.append(await read_once(pid, admin, port))
    least: dict[str, Any] = {}
    for name in ("rss_mb", "fds", "tasks", "cache_entries", "cache_mb"):
        values = [getattr(reading, name) for reading in readings]
        least[name] = None if None in values else min(values)
    last = readings[-1]
    fewest = min(readings, key=lambda reading: reading.fds)
    return Reading(
        **least,
        servfail=last.servfail,
        reloads=last.reloads,
        reload_failures=last.reload_failures,
        fd_kinds=fewest.fd_kinds,
        udp_drops=last.udp_drops,
    )
