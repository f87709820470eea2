"""The `r53emu` command: `serve` answers DNS from a zones directory, `check` validates one,
`answer` explains one answer, `import` turns Route 53's JSON into zone files
(`ops.importcommand`), `healthcheck` asks a running server (arguments: `cliargs`).
The zones may be a directory or a single zone file.

Output piped to a reader that stops early (`r53emu check | head -1`) ends the command quietly,
with the status a shell gives a process ended by SIGPIPE (141).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from r53emu.app import R53Emu, ServerConfig
from r53emu.cliargs import build_parser, server_config, zones_problem
from r53emu.model import names
from r53emu.model.catalog import Catalog, Zone
from r53emu.model.dnsconstants import TYPE_A
from r53emu.model.healthtypes import PROBED_TYPES
from r53emu.model.names import Name
from r53emu.ops.healthcheck import CheckFailed, check_admin, check_dns, server_flags
from r53emu.ops.importcommand import run_import
from r53emu.ops.loadprogress import ProgressLine, load_progress
from r53emu.ops.logformat import configure_logging
from r53emu.ops.offline import answer_offline
from r53emu.ops.querylog import discard_output
from r53emu.server.binderrors import BindError
from r53emu.server.eventloop import loop_factory
from r53emu.zonefiles.errors import ZoneLoadError
from r53emu.zonefiles.loader import load_catalog
from r53emu.zonefiles.sourcefile import MAX_FILE_BYTES

logger = logging.getLogger("r53emu")
USAGE_ERROR = 2  # the status argparse exits with for a bad command line
SIGPIPE_STATUS = 128 + signal.SIGPIPE  # what a shell reports for a process ended by SIGPIPE
ZONE_LINES_UP_TO = 20  # more zones than this: `serve` prints one summary line instead


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit status."""
    try:
        status = _run(argv)
        sys.stdout.flush()  # here, not at exit, where a closed pipe would print a traceback
    except BrokenPipeError:
        discard_output(sys.stdout)
        return SIGPIPE_STATUS
    return status


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "healthcheck":
        return healthcheck(args.pid)
    if args.command == "import":
        return run_import(args.files, zone=args.zone, output=args.output, force=args.force)
    problem = zones_problem(args)
    if problem is not None:
        print(f"r53emu: {problem}", file=sys.stderr)
        return USAGE_ERROR
    if args.command == "check":
        return check(args.zones, args.max_zone_file_mb * 2**20)
    if args.command == "answer":
        return answer_offline(
            args.zones,
            args.name,
            args.type,
            client=args.client_ip,
            subnet=args.subnet,
            seed=args.seed,
            geoip_db=args.geoip_db,
            default_location=args.default_location,
            as_json=args.json,
            max_file_bytes=args.max_zone_file_mb * 2**20,
        )
    configure_logging(args.log_level, args.log_format)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            status = runner.run(serve(server_config(args)))
    except KeyboardInterrupt:
        status = 0
    exit_without_teardown(status)
    return status  # not reached


def healthcheck(pid: int | None) -> int:
    """0 when the running `r53emu serve` (process `pid`, else the container's) answers where
    its own command line and variables say it listens, else 1 (`ops.healthcheck`)."""
    try:
        config = server_config(build_parser().parse_args(["serve", *server_flags(pid)]))
        if config.admin_port is None:
            if config.port == 0:
                raise CheckFailed("the server's DNS port is 0 (a free one): give --port")
            print(check_dns(config.address, config.port))
        else:
            if config.admin_port == 0:
                raise CheckFailed("the admin port is 0 (a free one): give --admin-port")
            print(check_admin(config.admin_address, config.admin_port))
    except CheckFailed as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


def exit_without_teardown(status: int) -> None:
    """End the process once the server has stopped (sockets closed, query log closed), without
    the interpreter freeing every zone object first: with 100k record sets that took half a
    second, more with more, and `docker stop` expects a prompt exit."""
    logging.shutdown()  # flushes the log handlers, as the interpreter would at exit
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def check(directory: Path, max_file_bytes: int = MAX_FILE_BYTES) -> int:
    """Print every error and exit 1, or one summary line per zone and exit 0."""
    line = ProgressLine()
    try:
        with load_progress(line.show, line.end) as progress:
            catalog = load_catalog(directory, progress=progress, max_file_bytes=max_file_bytes)
    except ZoneLoadError as exc:
        for error in exc.errors:
            print(error)
        print(f"{len(exc.errors)} error(s) in {directory}", file=sys.stderr)
        return 1
    for zone in sorted(catalog.zones.values(), key=lambda z: z.name[::-1]):
        print(
            f"{names.to_text(zone.name)} {zone.zone_id}: {zone.record_set_count} record sets "
            f"({zone.source.file})"
        )
    for note in interval_notes(catalog):
        print(note, file=sys.stderr)
    return 0


ROUTE53_INTERVALS = (10, 30)  # the only request_interval values Route 53 accepts (semantics §5)


def interval_notes(catalog: Catalog) -> list[str]:
    """A note for each probed check whose interval Route 53 itself would refuse.

    r53emu accepts any interval of at least 1 s so tests need not wait; the note says that the
    same file would not pass in Route 53 (or Terraform) as it is.
    """
    return [
        f"note: {spec.source}: health_checks.{check_id}.request_interval: "
        f"{spec.request_interval:g} s is accepted by r53emu, but Route 53 allows only 10 or 30"
        for check_id, spec in sorted(catalog.health_checks.items())
        if spec.type in PROBED_TYPES and spec.request_interval not in ROUTE53_INTERVALS
    ]


async def serve(config: ServerConfig) -> int:
    """Run until SIGINT or SIGTERM; 1 when zones or the address are unusable."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Before loading and start(): a SIGTERM while a large zone set loads (`docker stop` during
    # start-up) ends the process at once; and the UDP listener answers while the TCP one is
    # still being bound, so a client can see the server up and signal it before start() returns.
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    reloads: set[asyncio.Task[None]] = set()

    def reload_on_hangup() -> None:
        logger.info("SIGHUP: reloading %s", config.zones)
        task = loop.create_task(server.reload_logged())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    try:
        # Loaded here rather than by start(), to show the progress of a large load.
        catalog = await load_unless_stopped(config.zones, stopping, config.max_zone_file_bytes)
    except ZoneLoadError as exc:
        for error in exc.errors:
            logger.error("%s", error)
        logger.error("not started: %d error(s) in %s", len(exc.errors), config.zones)
        return 1
    if catalog is None:
        logger.info("stopped while loading")
        return 0
    server = R53Emu(config, catalog)
    loop.add_signal_handler(signal.SIGHUP, reload_on_hangup)
    del catalog  # once reloaded, the first zones are garbage
    try:
        await server.start()
    except (BindError, ValueError, OSError) as exc:  # ValueError: the --geoip-db file is
        logger.error("%s", exc)  # unusable; OSError: the query log cannot be opened
        return 1
    for line in startup_lines(server):
        logger.info("%s", line)
    if server.catalog.zones:
        logger.info("try: %s", dig_hint(server))
    else:
        # Typically a volume mounted at the wrong place: say so rather than REFUSE in silence.
        logger.warning(
            "no zone files (*.yaml, *.yml, *.json) in %s: every query will be REFUSED",
            config.zones,
        )
    await stopping.wait()
    logger.info("shutting down")
    await server.stop()
    return 0


async def load_unless_stopped(
    zones: Path, stopping: asyncio.Event, max_file_bytes: int = MAX_FILE_BYTES
) -> Catalog | None:
    """The zones, loaded in a thread of their own while the loop keeps handling signals; None
    when `stopping` is set first. The thread is a daemon: a process stopped during a long load
    exits without waiting for it (asyncio.to_thread's threads would be waited for)."""
    loop = asyncio.get_running_loop()
    loaded: asyncio.Future[Catalog] = loop.create_future()

    def deliver(settle: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the process is stopping
            loop.call_soon_threadsafe(lambda: None if loaded.done() else settle())

    def load() -> None:
        try:
            with load_progress(lambda line: logger.info("%s", line)) as progress:
                catalog = load_catalog(zones, progress=progress, max_file_bytes=max_file_bytes)
        except BaseException as exc:  # raised again in serve(), on the loop
            deliver(functools.partial(loaded.set_exception, exc))
        else:
            deliver(functools.partial(loaded.set_result, catalog))

    threading.Thread(target=load, name="r53emu zone loader", daemon=True).start()
    stopped = loop.create_task(stopping.wait())
    waiting: set[asyncio.Future[Any]] = {loaded, stopped}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    return loaded.result() if loaded.done() else None


def startup_lines(server: R53Emu) -> list[str]:
    """`server.describe()`, with one summary line instead of a line per zone when there are
    more than `ZONE_LINES_UP_TO` zones: `serving 412 zones, 100,000 record sets from zones`."""
    lines = server.describe()
    zones = server.catalog.zones
    if len(zones) <= ZONE_LINES_UP_TO:
        return lines
    record_sets = sum(zone.record_set_count for zone in zones.values())
    where = server.config.zones
    summary = f"serving {len(zones):,} zones, {record_sets:,} record sets from {where}"
    return [summary, *lines[len(zones) :]]  # describe() lists the zones first, one line each


def dig_hint(server: R53Emu) -> str:
    """A `dig` command that gets an answer from the zones the server loaded.

    It asks for an A record when a zone has one (www first, then the apex, then the shortest
    name), so a newcomer sees addresses come back; otherwise for the first zone's SOA.
    """
    host, port = server.address
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1" if host == "0.0.0.0" else "::1"
    port_flag = "" if port == 53 else f" -p {port}"
    zones = sorted(server.catalog.zones.values(), key=lambda z: z.name[::-1])
    for zone in zones:
        name = _address_name(zone)
        if name is not None:
            return f"dig @{host}{port_flag} {names.to_text(name)} A"
    apex = names.to_text(zones[0].name) if zones else "example.test."
    return f"dig @{host}{port_flag} {apex} SOA"


def _address_name(zone: Zone) -> Name | None:
    """The name of `zone` to show an A answer for, or None when it has no A record to show.

    Wildcard owners are not names a client asks for, and names at or below a delegation get
    a referral rather than an answer, so neither is suggested.
    """
    www = (b"www", *zone.name)
    candidates = [
        name
        for name, groups in zone.nodes.items()
        if TYPE_A in groups and names.WILDCARD not in name and not _delegated(zone, name)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda n: (n != www, n != zone.name, len(n), n[::-1]))


def _delegated(zone: Zone, name: Name) -> bool:
    """True when `name` is a delegation point of `zone` or lies below one."""
    return any(name[i:] in zone.cuts for i in range(len(name) - len(zone.name)))
