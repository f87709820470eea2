"""The soak's world (benchmarks/soak.py): its zones, the health-check targets it flips, and the
disturbances it makes while the load runs.

Zones, in one directory the server watches:

* `bench.test` (benchmarks/zonegen.py: every routing policy, a few thousand record sets) and its
  `account.yaml`: never changed.
* `soak-account.yaml`: two probed health checks, every second with a failure threshold of 1, on
  the soak's own targets on 127.0.0.1: `soak-http` (an aiohttp server answering `GET /health`
  200 or 503) and `soak-tcp` (a listener that is opened and closed; while closed a bound socket
  keeps the port, so nothing else takes it and connecting is refused).
* `flip.test`: failover names guarded by them (`web`, `db`) and a weighted one (`pool`).
* `edit.test`: `v TXT "generation N"`, rewritten by each edit (in place and by rename, in turn).
* `gone.test`: deleted and written back later (never in the query load: while gone it is REFUSED).

Each disturbance waits until the server answers what it changed (through DNS, as a client
sees it), or fails after `EFFECT_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import dns.asyncquery
import dns.exception
import dns.message
import dns.rcode
from aiohttp import web

from benchmarks import zonegen

EFFECT_TIMEOUT = 15.0  # seconds a change may take to be answered (watcher, health checks)
POLL = 0.05  # seconds between the DNS queries that look for a change
REFILL_TIMEOUT = 30.0  # seconds the reply cache may take to hold as many replies as before
REFILLED = 0.98  # ... as many: this share of them (replies per draw come back by chance)
KINDS = ("edit", "delete", "flip", "restore", "reload", "flip")  # one cycle of disturbances

SOAK_ACCOUNT = """\
# Written by benchmarks/soakzones.py: probed checks on the soak's own loopback targets.
health_checks:
  soak-http: {{type: HTTP, ip_address: 127.0.0.1, port: {http_port}, resource_path: /health,
              request_interval: 1, failure_threshold: 1}}
  soak-tcp: {{type: TCP, ip_address: 127.0.0.1, port: {tcp_port}, request_interval: 1,
             failure_threshold: 1}}
"""
FLIP_ZONE = """\
zone: flip.test
record_sets:
  - {name: web, type: A, ttl: 60, records: [192.0.2.1], set_identifier: primary,
     failover_routing_policy: {type: PRIMARY}, health_check_id: soak-http}
  - {name: web, type: A, ttl: 60, records: [192.0.2.2], set_identifier: secondary,
     failover_routing_policy: {type: SECONDARY}}
  - {name: db, type: A, ttl: 60, records: [192.0.2.3], set_identifier: primary,
     failover_routing_policy: {type: PRIMARY}, health_check_id: soak-tcp}
  - {name: db, type: A, ttl: 60, records: [192.0.2.4], set_identifier: secondary,
     failover_routing_policy: {type: SECONDARY}}
  - {name: pool, type: A, ttl: 60, records: [192.0.2.5], set_identifier: a,
     weighted_routing_policy: {weight: 1}, health_check_id: soak-http}
  - {name: pool, type: A, ttl: 60, records: [192.0.2.6], set_identifier: b,
     weighted_routing_policy: {weight: 1}, health_check_id: soak-tcp}
"""
EDIT_ZONE = """\
zone: edit.test
record_sets:
  - {{name: v, type: TXT, ttl: 60, records: ['"generation {generation}"']}}
  - {{name: www, type: A, ttl: 60, records: [192.0.2.{last}]}}
"""
GONE_ZONE = """\
zone: gone.test
record_sets:
  - {name: www, type: A, ttl: 60, records: [192.0.2.77]}
"""
UP_ANSWERS = {"web.flip.test.": "192.0.2.1", "db.flip.test.": "192.0.2.3"}
DOWN_ANSWERS = {"web.flip.test.": "192.0.2.2", "db.flip.test.": "192.0.2.4"}
GONE_NAME, GONE_ADDRESS = "www.gone.test.", "192.0.2.77"
EDIT_NAME = "v.edit.test."


def write_zones(directory: Path, record_sets: int, http_port: int, tcp_port: int) -> list[str]:
    """Write the zones; the soak's query lines (`name TYPE`): every family of the benchmark
    zone (the simple one with its AAAA, MX, TXT and CNAME), names it lacks, flip.test, edit.test."""
    plan = zonegen.write_zones(directory, record_sets)
    (directory / "soak-account.yaml").write_text(
        SOAK_ACCOUNT.format(http_port=http_port, tcp_port=tcp_port)
    )
    (directory / "flip.test.yaml").write_text(FLIP_ZONE)
    (directory / "edit.test.yaml").write_text(EDIT_ZONE.format(generation=0, last=1))
    (directory / "gone.test.yaml").write_text(GONE_ZONE)
    lines = []
    for family, _prefix, _writer in zonegen.FAMILIES:
        lines += [f"{name} A" for name in plan.owner_names(family)]
    for i in range(plan.cycles):
        zone = plan.zone
        lines += [f"s{i}.{zone}. AAAA", f"mx{i}.{zone}. MX", f"txt{i}.{zone}. TXT"]
        lines.append(f"c{i}.{zone}. A")
    lines += [f"{name} A" for name in plan.owner_names("fill")]
    lines += [f"{name} A" for name in plan.owner_names("nxdomain")]
    lines += ["web.flip.test. A", "db.flip.test. A", "pool.flip.test. A", f"{EDIT_NAME} TXT"]
    return lines


class Targets:
    """The health checks' targets: HTTP `GET /health` 200 or 503, a TCP listener open or closed."""

    def __init__(self) -> None:
        self.up = True
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self.http_port = 0
        # Bound, never listening: holds the TCP port while the listener is closed.
        self._holder = _bound_socket(0)
        self.tcp_port: int = self._holder.getsockname()[1]
        self._tcp: asyncio.Server | None = None
        self.probes = {"http": 0, "tcp": 0}

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/health", self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = _bound_socket(0)
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()
        self.http_port = sock.getsockname()[1]
        await self._open_tcp()

    async def _health(self, _request: web.Request) -> web.Response:
        self.probes["http"] += 1
        return web.Response(text="OK" if self.up else "down", status=200 if self.up else 503)

    async def _open_tcp(self) -> None:
        sock = _bound_socket(self.tcp_port)
        sock.listen(16)

        def connected(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.probes["tcp"] += 1
            writer.close()

        self._tcp = await asyncio.start_server(connected, sock=sock)

    async def _close_tcp(self) -> None:
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
            self._tcp = None

    async def set_up(self, up: bool) -> None:
        self.up = up
        await (self._open_tcp() if up else self._close_tcp())

    async def close(self) -> None:
        await self._close_tcp()
        if self._runner is not None:
            await self._runner.cleanup()
        self._holder.close()


def _bound_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@dataclass
class Action:
    """One disturbance: when (seconds into the soak), what, whether it took effect, how long
    until it did, and until the reply cache held as many replies as before it (a reload empties
    it; None: not measured, or not back within REFILL_TIMEOUT)."""

    at: float
    kind: str
    ok: bool
    seconds: float
    note: str = ""
    refill_seconds: float | None = None


async def ask(port: int, name: str, rdtype: str) -> tuple[str, list[str]] | None:
    """(rcode, answer values) from 127.0.0.1:`port`, None without a reply within 1 s."""
    query = dns.message.make_query(name, rdtype)
    try:
        reply = await dns.asyncquery.udp(query, "127.0.0.1", timeout=1.0, port=port)
    except dns.exception.Timeout:
        return None
    values = [item.to_text() for rrset in reply.answer for item in rrset]
    return dns.rcode.to_text(reply.rcode()), values


async def until(check: Callable[[], Awaitable[bool]], timeout: float = EFFECT_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return True
        await asyncio.sleep(POLL)
    return False


class Disturber:
    """Makes the disturbances of KINDS in turn, one every `every` seconds, each under `lock`,
    held until the server is steady again (samples are taken under it): the change answered,
    the reply cache as full as before (`cache_entries` reads it), then `settle` seconds more."""

    def __init__(
        self,
        zones: Path,
        port: int,
        admin: str,
        targets: Targets,
        lock: asyncio.Lock,
        every: float,
        cache_entries: Callable[[], Awaitable[float | None]],
        settle: float = 0.5,
    ) -> None:
        self.zones, self.port, self.admin, self.targets = zones, port, admin, targets
        self.lock, self.every, self.settle = lock, every, settle
        self.cache_entries = cache_entries
        self.generation = 0
        self.gone = False
        self.actions: list[Action] = []
        self.began = time.monotonic()

    async def run(self, stop: asyncio.Event) -> None:
        due = time.monotonic() + self.every
        step = 0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, due - time.monotonic()))
            if stop.is_set():
                return
            async with self.lock:
                await self.act(KINDS[step % len(KINDS)])
                await asyncio.sleep(self.settle)
            step += 1
            due = max(due + self.every, time.monotonic())

    async def act(self, kind: str, refill: bool = True) -> Action:
        """Make one disturbance; with `refill`, wait for the reply cache too (under load)."""
        before = await self.cache_entries() if refill else None
        began = time.monotonic()
        ok, note = await getattr(self, f"_{kind}")()
        action = Action(began - self.began, kind, ok, time.monotonic() - began, note)
        if before is not None:
            deadline = began + REFILL_TIMEOUT
            while time.monotonic() < deadline:
                entries = await self.cache_entries()
                if entries is None or entries >= REFILLED * before:
                    action.refill_seconds = time.monotonic() - began
                    break
                await asyncio.sleep(0.2)
        self.actions.append(action)
        return action

    async def _edit(self) -> tuple[bool, str]:
        """Write the next generation of edit.test: in place, or (every other one) by rename."""
        self.generation += 1
        text = EDIT_ZONE.format(generation=self.generation, last=self.generation % 250 + 1)
        path = self.zones / "edit.test.yaml"
        if self.generation % 2:
            path.write_text(text)
        else:
            staged = self.zones / ".edit.test.yaml.tmp"  # not a zone file's suffix: unwatched
            staged.write_text(text)
            staged.replace(path)
        ok = await until(self.serves_generation)
        return ok, f"generation {self.generation}"

    async def serves_generation(self) -> bool:
        reply = await ask(self.port, EDIT_NAME, "TXT")
        return reply is not None and reply[1] == [f'"generation {self.generation}"']

    async def _delete(self) -> tuple[bool, str]:
        if self.gone:
            return True, "already deleted"
        (self.zones / "gone.test.yaml").unlink()
        self.gone = True
        return await until(self._gone_is("REFUSED")), "gone.test REFUSED"

    async def _restore(self) -> tuple[bool, str]:
        if not self.gone:
            return True, "not deleted"
        (self.zones / "gone.test.yaml").write_text(GONE_ZONE)
        self.gone = False
        return await until(self._gone_is("NOERROR")), "gone.test answered again"

    def _gone_is(self, rcode: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            reply = await ask(self.port, GONE_NAME, "A")
            if reply is None or reply[0] != rcode:
                return False
            return rcode != "NOERROR" or reply[1] == [GONE_ADDRESS]

        return check

    async def _reload(self) -> tuple[bool, str]:
        connector = aiohttp.TCPConnector(force_close=True)
        async with (
            aiohttp.ClientSession(connector=connector) as http,
            http.post(self.admin + "reload", timeout=aiohttp.ClientTimeout(total=60)) as reply,
        ):
            await reply.read()
            status = reply.status
        return status == 200 and await self.serves_generation(), f"POST /reload {status}"

    async def _flip(self) -> tuple[bool, str]:
        up = not self.targets.up
        await self.targets.set_up(up)
        wanted = UP_ANSWERS if up else DOWN_ANSWERS

        async def answered() -> bool:
            for name, address in wanted.items():
                reply = await ask(self.port, name, "A")
                if reply is None or reply[1] != [address]:
                    return False
            return True

        return await until(answered), "targets up" if up else "targets down"
