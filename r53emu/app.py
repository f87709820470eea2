"""The lifecycle object: load zones, bind UDP+TCP, answer, stop.

One `R53Emu` drives the command line, the container, the tests and (later) the pytest plugin
alike (house style 10). Port 0 binds a free port, the same number for UDP and TCP.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import random
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from r53emu import names
from r53emu.handler import QueryHandler
from r53emu.health import HealthSnapshot
from r53emu.listeners import TcpListener, UdpListener
from r53emu.locator import Locator
from r53emu.lookup import lookup
from r53emu.model import Catalog
from r53emu.query import QueryContext
from r53emu.rdata import RECORD_TYPES
from r53emu.scheduler import HealthScheduler
from r53emu.zonefile import load_catalog

logger = logging.getLogger("r53emu")

DEFAULT_PORT = 53
DEFAULT_ADDRESS = "127.0.0.1"
TCP_IDLE_TIMEOUT = 10.0  # seconds a TCP connection may stay silent before r53emu closes it
A_TYPE = RECORD_TYPES["A"]
CLOSE_GRACE = 1.0  # seconds stop() lets an open TCP connection flush before aborting it

ConnectionCallback = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass(frozen=True)
class ServerConfig:
    """How to run r53emu; every field is a command-line flag and an R53EMU_* variable."""

    zones: Path = Path("zones")
    address: str = DEFAULT_ADDRESS
    port: int = DEFAULT_PORT
    tcp_idle_timeout: float = TCP_IDLE_TIMEOUT
    seed: int | None = None  # makes every random choice reproducible run to run
    geoip_db: Path | None = None  # a MaxMind-format database locating client addresses
    default_location: str | None = None  # "DE" or "US-CA": where otherwise unlocated clients are


class BindError(Exception):
    """The listening address could not be bound; the message says why and what to do."""


class R53Emu:
    """A running (or ready to run) r53emu server."""

    def __init__(self, config: ServerConfig, catalog: Catalog | None = None) -> None:
        self.config = config
        self.handler = QueryHandler(rng=random.Random(config.seed))
        # The steering API for tests and the admin API: overrides, switches, statuses.
        self.health_checks: HealthScheduler | None = None
        # Resolving health-check targets draws its own randomness, so that --seed keeps the
        # sequence of DNS answers reproducible whatever the health checks do.
        self._resolve_rng = random.Random(config.seed)
        self._catalog = catalog
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        # Open TCP connections, so stop() can end them instead of waiting out their idle timeout.
        self._connections: dict[asyncio.StreamWriter, asyncio.Task[None]] = {}
        self.port: int | None = None

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the server listens on, UDP and TCP alike."""
        assert self.port is not None, "start() first"
        return self.config.address, self.port

    @property
    def catalog(self) -> Catalog:
        return self.handler.catalog

    async def start(self) -> None:
        """Load the zones (raises `ZoneLoadError`), open the locator's database (raises
        `ValueError` naming the file or the bad default location) and bind (raises `BindError`).
        """
        catalog = self._catalog or load_catalog(self.config.zones)
        self.handler.locator = Locator(
            catalog.client_locations, self.config.geoip_db, self.config.default_location
        )
        self.handler.catalog = catalog
        # Started before binding: its first publish is the snapshot the first query reads.
        self.health_checks = HealthScheduler(
            catalog.health_checks, publish=self._publish_health, resolve_fqdn=self.resolve_fqdn
        )
        await self.health_checks.start()
        try:
            await self._bind()
        except BindError:
            await self.health_checks.stop()
            self.health_checks = None
            raise

    def _publish_health(self, snapshot: HealthSnapshot) -> None:
        # One reference assignment: each query reads one whole snapshot, old or new.
        self.handler.health = snapshot

    async def resolve_fqdn(self, fqdn: str) -> str | None:
        """A health-check target name -> an IPv4 address (Route 53's checkers use A records).

        Names in r53emu's own hosted zones are answered by them (CNAMEs followed, up to 8);
        other names go to the system resolver. None when the name has no address.
        """
        try:
            qname = names.parse(fqdn)
        except names.InvalidName:
            return None
        for _hop in range(8):
            context = QueryContext(qname=qname, qtype=A_TYPE)
            answer = lookup(self.handler.catalog, context, self._resolve_rng, self.handler.health)
            if answer.zone is None:
                break  # not ours: ask the system resolver
            addresses = [r for r in answer.answer if r.rtype == A_TYPE]
            if addresses:
                return str(ipaddress.IPv4Address(addresses[0].rdata))
            cname = next((r.target for r in answer.answer if r.target is not None), None)
            if cname is None:
                return None
            qname = cname
        else:
            return None
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(names.to_text(qname), None, family=socket.AF_INET)
        except OSError:
            return None
        return str(infos[0][4][0]) if infos else None

    async def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        host, wanted = self.config.address, self.config.port
        for _attempt in range(50):
            try:
                udp, _ = await loop.create_datagram_endpoint(
                    lambda: UdpListener(self.handler), local_addr=(host, wanted)
                )
            except OSError as exc:
                raise BindError(bind_failure_message(exc, host, wanted)) from exc
            port = udp.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(
                    self._tracked(TcpListener(self.handler, self.config.tcp_idle_timeout)),
                    host,
                    port,
                    reuse_address=True,
                )
            except OSError as exc:
                udp.close()
                if wanted == 0 and system_error(exc).errno == errno.EADDRINUSE:
                    continue  # the free UDP port is taken for TCP: try another pair
                raise BindError(bind_failure_message(exc, host, port)) from exc
            self._udp = udp
            self.port = port
            return
        raise BindError(f"no port on {host} is free for both UDP and TCP")

    def _tracked(self, listener: TcpListener) -> ConnectionCallback:
        """`listener`, registering each connection while it is open."""

        async def serve_connection(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._connections[writer] = task
            try:
                await listener(reader, writer)
            finally:
                del self._connections[writer]

        return serve_connection

    async def stop(self) -> None:
        """Stop listening and end open TCP connections; returns once all are closed."""
        if self.health_checks is not None:
            await self.health_checks.stop()
            self.health_checks = None
        if self.handler.locator is not None:
            self.handler.locator.close()
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            await self._close_connections()
            await self._tcp.wait_closed()
            self._tcp = None

    async def _close_connections(self) -> None:
        # Without this, Python >= 3.12's wait_closed() waits for idle clients to time out
        # (10 s: as long as `docker stop` waits before SIGKILL), and on 3.11 asyncio.run() cancels
        # their tasks mid-read and logs a CancelledError traceback. Closing the transport
        # instead ends each read loop with EOF: a reply being written is still flushed.
        for writer in list(self._connections):
            writer.close()
        pending = set(self._connections.values())
        if pending:
            _done, stuck = await asyncio.wait(pending, timeout=CLOSE_GRACE)
            for writer in list(self._connections):
                writer.transport.abort()  # a client that stopped reading our reply
            if stuck:
                await asyncio.wait(stuck, timeout=CLOSE_GRACE)

    def describe(self) -> list[str]:
        """Startup lines: each zone with its record-set count, then where it listens."""
        lines = [
            f"zone {names.to_text(zone.name)} ({zone.zone_id}): {zone.record_set_count} "
            f"record sets from {zone.source.file}"
            for zone in sorted(self.catalog.zones.values(), key=lambda z: z.name[::-1])
        ]
        host, port = self.address
        shown = f"[{host}]" if ":" in host else host
        lines.append(f"listening on {shown}:{port} (UDP and TCP)")
        return lines


def system_error(exc: OSError) -> OSError:
    """The error the system reported: uvloop wraps it in a generic OSError without errno."""
    if exc.errno is None and isinstance(exc.__cause__, OSError):
        return exc.__cause__
    return exc


def bind_failure_message(exc: OSError, host: str, port: int) -> str:
    """Why `host:port` could not be bound, and what to do about it."""
    exc = system_error(exc)
    where = f"{host}:{port}"
    if exc.errno == errno.EACCES and port < 1024:
        return (
            f"cannot listen on {where}: permission denied. Ports below 1024 need root or the "
            "CAP_NET_BIND_SERVICE capability. Use an unprivileged port, e.g. `--port 5353` "
            f"(then `dig @{host} -p 5353 ...`), or grant the capability: "
            f"sudo setcap 'cap_net_bind_service=+ep' {Path(sys.executable).resolve()}"
        )
    if exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {where}: the address is already in use (another DNS server? on "
            "port 53 often systemd-resolved or dnsmasq). Stop it or choose another port, e.g. "
            "`--port 5353`."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {where}: no interface of this machine has address {host}."
    return f"cannot listen on {where}: {exc.strerror or exc}"
