"""The lifecycle object: load zones, bind UDP+TCP, answer, stop.

One `R53Emu` drives the command line, the container, the tests and (later) the pytest plugin
alike. Port 0 binds a free port, the same number for UDP and TCP. Reloading and watching the
zones directory is `ops.reloading.ZoneReloader`'s; this object wires the parts together and
runs their lifecycle.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import random
import resource
import secrets
import socket
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from r53emu.answer.lookup import lookup
from r53emu.geo.locator import Locator
from r53emu.health.scheduler import HealthScheduler
from r53emu.health.snapshot import HealthSnapshot, HealthView
from r53emu.model import names
from r53emu.model.catalog import Catalog
from r53emu.model.dnsconstants import TYPE_A
from r53emu.model.query import QueryContext
from r53emu.ops.admin import AdminApi
from r53emu.ops.metrics import Metrics
from r53emu.ops.querylog import QueryLog
from r53emu.ops.reloading import ReloadResult, ZoneReloader
from r53emu.server.binderrors import BindError, bind_failure_message, system_error
from r53emu.server.fairshare import LoopShare
from r53emu.server.handler import QueryHandler
from r53emu.server.listeners import ConnectionRegistry, TcpConnection, UdpListener, bind_udp
from r53emu.server.replycache import MAX_BYTES as REPLY_CACHE_BYTES
from r53emu.server.udpguard import AMPLIFICATION_FACTOR, DEFAULT_SCOPE, RATE_LIMIT, UdpGuard
from r53emu.zonefiles.loader import load_catalog
from r53emu.zonefiles.sourcefile import MAX_FILE_BYTES

logger = logging.getLogger("r53emu")

DEFAULT_PORT = 53
DEFAULT_ADDRESS = "127.0.0.1"
TCP_IDLE_TIMEOUT = 10.0  # seconds a TCP connection may stay silent before r53emu closes it
CLOSE_GRACE = 1.0  # seconds stop() lets an open TCP connection flush before aborting it
ADMIN_REQUEST_TIMEOUT = 10.0  # seconds an admin request's headers (and its body) may take
MAX_TCP_CONNECTIONS = 1024  # the DNS TCP cap's default: this, or a quarter of the fd limit
MAX_ADMIN_CONNECTIONS = 128  # the admin API's cap's default: this, or an eighth of the fd limit
FD_LIMIT_WITHOUT_HARD_LIMIT = 65536  # the soft limit to aim for when the hard one is unlimited


@dataclass(frozen=True)
class ServerConfig:
    """How to run r53emu; every field is a command-line flag and an R53EMU_* variable."""

    zones: Path = Path("zones")
    address: str = DEFAULT_ADDRESS
    port: int = DEFAULT_PORT
    tcp_idle_timeout: float = TCP_IDLE_TIMEOUT
    # Open DNS TCP connections at most; None: MAX_TCP_CONNECTIONS or a quarter of the file
    # descriptor limit, whichever is less. Over it, the least recently active one is closed.
    max_tcp_connections: int | None = None
    seed: int | None = None  # makes every random choice reproducible run to run
    geoip_db: Path | None = None  # a MaxMind-format database locating client addresses
    default_location: str | None = None  # "DE" or "US-CA": where otherwise unlocated clients are
    admin_port: int | None = None  # the admin HTTP API's port (0: a free one); None: no API
    admin_address: str = DEFAULT_ADDRESS
    admin_token: str | None = None  # when set, mutating admin requests need it as a Bearer token
    # Open admin API connections at most; None: MAX_ADMIN_CONNECTIONS or an eighth of the file
    # descriptor limit, whichever is less. Over it, the least recently active one is closed.
    max_admin_connections: int | None = None
    # Not a flag, like tcp_idle_timeout: how long an admin request's headers may take to
    # arrive (from connecting, or from the previous reply), and its body once they have.
    admin_request_timeout: float = ADMIN_REQUEST_TIMEOUT
    # Not a flag: set when the admin port is only the default, so that a second server (on a
    # DNS port other than 53) takes a free admin port when the default one is in use.
    admin_port_fallback: bool = False
    # Which UDP clients the amplification guard applies to (r53emu.server.udpguard): ANY as
    # RFC 8482 recommends, replies at most 10x their query, `rate_limit` replies per second per
    # /24 or /56 (0: no rate limit).
    amplification_guard: str = DEFAULT_SCOPE
    rate_limit: int = RATE_LIMIT
    max_zone_file_bytes: int = MAX_FILE_BYTES  # a larger zone file is an error, not read
    reply_cache_bytes: int = REPLY_CACHE_BYTES  # the reply cache's bound (estimated memory)
    query_log: str | None = None  # a file to append one JSON line per query to, or "-": stdout
    watch: bool = False  # reload when a zone file in `zones` changes


class R53Emu:
    """A running (or ready to run) r53emu server."""

    def __init__(self, config: ServerConfig, catalog: Catalog | None = None) -> None:
        self.config = config
        self.handler = QueryHandler(
            rng=random.Random(config.seed), cache_bytes=config.reply_cache_bytes
        )
        # The steering API for tests and the admin API: overrides, switches, statuses.
        self.health_checks: HealthScheduler | None = None
        # Resolving health-check targets draws its own randomness, so that --seed keeps the
        # sequence of DNS answers reproducible whatever the health checks do.
        self._resolve_rng = random.Random(config.seed)
        self._catalog = catalog
        self._udp: UdpListener | None = None
        # What each kind of work may take of a loop turn, so that UDP answers never wait for a
        # flood of TCP or admin requests (server.fairshare).
        self.share = LoopShare()
        self._tcp: asyncio.Server | None = None
        # Open TCP connections, so stop() can end them instead of waiting out their idle
        # timeout, least recently active first, so that the cap closes the idlest (its limit
        # is set by start(), once the descriptor limit is raised).
        self._connections: ConnectionRegistry[TcpConnection] = ConnectionRegistry(
            "DNS over TCP", "--max-tcp-connections"
        )
        # The token mutating admin requests need: --admin-token's, else one made up by start()
        # when the admin API listens beyond loopback (then `admin_token_generated`).
        self.admin_token = config.admin_token
        self.admin_token_generated = False
        self.port: int | None = None
        # The amplification guard the UDP listener puts before the handler (server.udpguard).
        self.guard = UdpGuard(config.amplification_guard, config.rate_limit)
        self.metrics = Metrics(self.handler.stats, self.handler.replies, self.guard.limit)
        self.query_log: QueryLog | None = None
        self._query_log_file: TextIO | None = None
        self.admin: AdminApi | None = None
        self.ready = False  # zones loaded and listeners bound (the admin API's /healthz)
        self.reloader = ZoneReloader(
            config.zones,
            self._locator,
            self._install,
            self.metrics,
            max_file_bytes=config.max_zone_file_bytes,
        )

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the server listens on, UDP and TCP alike."""
        assert self.port is not None, "start() first"
        return self.config.address, self.port

    @property
    def catalog(self) -> Catalog:
        return self.handler.catalog

    @property
    def locator(self) -> Locator | None:
        return self.handler.locator

    @property
    def health(self) -> HealthView:
        return self.handler.health

    async def start(self) -> None:
        """Load the zones (raises `ZoneLoadError`), open the locator's database (raises
        `ValueError` naming the file or the bad default location), open the query log (raises
        `OSError`), bind (raises `BindError`) and start the admin API (raises `BindError`).
        """
        # A catalog given at construction serves until the first reload, not beyond it.
        catalog, self._catalog = (
            self._catalog
            or load_catalog(self.config.zones, max_file_bytes=self.config.max_zone_file_bytes),
            None,
        )
        self.handler.locator = self._locator(catalog)
        self.handler.catalog = catalog
        descriptors = raise_descriptor_limit()
        tcp_cap, admin_cap = connection_caps(descriptors)
        self._connections.limit = self.config.max_tcp_connections or tcp_cap
        try:
            self._open_query_log()
            # Started before binding: its first publish is the snapshot the first query reads.
            self.health_checks = HealthScheduler(
                catalog.health_checks, publish=self._publish_health, resolve_fqdn=self.resolve_fqdn
            )
            await self.health_checks.start()
            await self._bind()
            if self.config.admin_port is not None:
                if self.admin_token is None and not is_loopback(self.config.admin_address):
                    self.admin_token = secrets.token_urlsafe(18)
                    self.admin_token_generated = True
                self.admin = AdminApi(
                    self,
                    self.admin_token,
                    seed=self.config.seed,
                    max_connections=self.config.max_admin_connections or admin_cap,
                    request_timeout=self.config.admin_request_timeout,
                    share=self.share,
                )
                await self._start_admin(self.admin, self.config.admin_port)
        except BaseException:
            await self.stop()
            raise
        if self.config.watch:
            self.reloader.watch()
        self.ready = True

    async def _start_admin(self, admin: AdminApi, port: int) -> None:
        try:
            await admin.start(self.config.admin_address, port)
        except BindError as exc:
            if not (exc.in_use and self.config.admin_port_fallback and port != 0):
                raise
            await admin.start(self.config.admin_address, 0)
            logger.warning(
                "admin port %d is in use (another r53emu?): the admin API took port %s instead; "
                "--admin-port PORT chooses one",
                port,
                admin.port,
            )

    def _locator(self, catalog: Catalog) -> Locator:
        return Locator(catalog.client_locations, self.config.geoip_db, self.config.default_location)

    def _open_query_log(self) -> None:
        target = self.config.query_log
        if target is None or self.query_log is not None:
            return
        if target == "-":
            stream: TextIO = sys.stdout
        else:
            stream = self._query_log_file = open(target, "a", encoding="utf-8")  # noqa: SIM115
        self.query_log = QueryLog(stream)
        self.handler.observers.append(self.query_log.observe)

    def _publish_health(self, snapshot: HealthSnapshot) -> None:
        # One reference assignment: each query reads one whole snapshot, old or new.
        self.handler.health = snapshot
        self.metrics.set_health(snapshot.statuses)

    # --- reload ------------------------------------------------------------------------------

    async def reload(self, zones: Path | None = None) -> ReloadResult:
        """Load the zones again and serve them from the next query on (`ZoneReloader.reload`:
        invalid files raise `ZoneLoadError` or `ValueError`, and the old zones stay)."""
        return await self.reloader.reload(zones)

    async def reload_logged(self) -> None:
        """`reload`, for callers that only want it logged (SIGHUP)."""
        await self.reloader.reload_logged()

    def _install(self, catalog: Catalog, locator: Locator, zones: Path) -> None:
        """Serve a reloaded catalog: zones, client locations and health checks in one turn."""
        if zones != self.config.zones:
            self.config = replace(self.config, zones=zones)
        previous = self.handler.locator
        self.handler.locator = locator
        self.handler.catalog = catalog
        if self.health_checks is not None:
            self.health_checks.reload(catalog.health_checks)
        if previous is not None:
            previous.close()

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
            context = QueryContext(qname=qname, qtype=TYPE_A)
            answer = lookup(self.handler.catalog, context, self._resolve_rng, self.handler.health)
            if answer.zone is None:
                break  # not ours: ask the system resolver
            addresses = [r for r in answer.answer if r.rtype == TYPE_A]
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
                udp = await bind_udp(host, wanted)
            except OSError as exc:
                raise BindError(bind_failure_message(exc, host, wanted)) from exc
            port = udp.getsockname()[1]
            try:
                self._tcp = await loop.create_server(
                    lambda: TcpConnection(
                        self.handler, self.config.tcp_idle_timeout, self._connections, self.share
                    ),
                    host,
                    port,
                    reuse_address=True,
                )
            except OSError as exc:
                udp.close()
                if wanted == 0 and system_error(exc).errno == errno.EADDRINUSE:
                    continue  # the free UDP port is taken for TCP: try another pair
                raise BindError(bind_failure_message(exc, host, port)) from exc
            self._udp = UdpListener(self.handler, udp, self.share, self.guard)
            self._udp.start()
            self.port = port
            return
        raise BindError(f"no port on {host} is free for both UDP and TCP")

    async def stop(self) -> None:
        """Stop listening and end open TCP connections; returns once all are closed."""
        self.ready = False
        await self.reloader.stop()
        if self.admin is not None:
            await self.admin.stop()
            self.admin = None
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
        self.share.close()
        if self.query_log is not None:
            self.handler.observers.remove(self.query_log.observe)
            self.query_log = None
        if self._query_log_file is not None:
            self._query_log_file.close()
            self._query_log_file = None

    async def _close_connections(self) -> None:
        # Without this, Python >= 3.12's wait_closed() waits for idle clients to time out
        # (10 s: as long as `docker stop` waits before SIGKILL). A reply being written is still
        # flushed; a client that stopped reading ours is cut off after CLOSE_GRACE.
        for connection in list(self._connections):
            connection.close()
        pending = {connection.closed for connection in self._connections}
        if pending:
            _done, stuck = await asyncio.wait(pending, timeout=CLOSE_GRACE)
            for connection in list(self._connections):
                connection.close(abort=True)
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
        lines.append(f"listening on {_host_port(host, port)} (UDP and TCP)")
        guard = self.config.amplification_guard
        if guard == "all" or (guard == "beyond-loopback" and not is_loopback(host)):
            whom = "every UDP client" if guard == "all" else "UDP clients beyond loopback"
            rate = self.config.rate_limit
            limit = f", {rate} replies/s per /24 or /56" if rate else ""
            lines.append(
                f"{whom}: ANY answered as RFC 8482 recommends, replies at most "
                f"{AMPLIFICATION_FACTOR}x their query{limit} "
                "(--amplification-guard, --rate-limit)"
            )
        if self.admin is not None and self.admin.port is not None:
            admin = _host_port(self.config.admin_address, self.admin.port)
            note = ""
            if self.admin_token_generated:
                note = (
                    f" (token required for changes: {self.admin_token}; "
                    "set --admin-token to choose it)"
                )
            lines.append(f"admin API on http://{admin}/{note}")
        return lines


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and `localhost`; False for every
    other address, the wildcard ones (0.0.0.0, ::, "") included."""
    if address.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def raise_descriptor_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (65,536 when that is unlimited); the
    soft limit now in force. A limit that cannot be raised is left as it is."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = FD_LIMIT_WITHOUT_HARD_LIMIT if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:  # macOS: no more than kern.maxfilesperproc
            logger.debug("file descriptor limit %d kept: raising it failed: %s", soft, exc)
        else:
            soft = target
    logger.debug("file descriptor limit: %d (hard limit %s)", soft, _limit_text(hard))
    return FD_LIMIT_WITHOUT_HARD_LIMIT if soft == resource.RLIM_INFINITY else soft


def connection_caps(descriptors: int) -> tuple[int, int]:
    """The default caps (DNS over TCP, admin API) for a file descriptor limit: together at most
    three eighths of it, the rest left for zone files, health probes and the query log."""
    return (
        max(1, min(MAX_TCP_CONNECTIONS, descriptors // 4)),
        max(1, min(MAX_ADMIN_CONNECTIONS, descriptors // 8)),
    )


def _limit_text(limit: int) -> str:
    return "unlimited" if limit == resource.RLIM_INFINITY else str(limit)


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
