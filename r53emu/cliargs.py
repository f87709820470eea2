"""The `r53emu` command line's arguments: the parser, its R53EMU_* variables, and what they make.

Every flag can also be given as an environment variable `R53EMU_<FLAG>` (the container sets
them): `--zones` is `R53EMU_ZONES`, `--port` is `R53EMU_PORT`, and so on; a flag on the command
line wins over the variable. `server_config` turns a parsed `serve` command line into the
`ServerConfig` it runs with (`r53emu healthcheck` reads a running server's the same way).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from r53emu import __version__
from r53emu.app import DEFAULT_ADDRESS, DEFAULT_PORT, ServerConfig
from r53emu.geo.locator import parse_default_location
from r53emu.model import names
from r53emu.ops.logformat import LOG_FORMATS
from r53emu.server.replycache import MAX_BYTES as REPLY_CACHE_BYTES
from r53emu.server.udpguard import AMPLIFICATION_FACTOR, DEFAULT_SCOPE, GUARD_SCOPES, RATE_LIMIT
from r53emu.zonefiles.loader import ZONE_SUFFIXES
from r53emu.zonefiles.sourcefile import MAX_FILE_BYTES

ENV_PREFIX = "R53EMU_"


def _env(flag: str, default: str) -> str:
    return os.environ.get(ENV_PREFIX + flag.upper().replace("-", "_"), default)


def _port(text: str) -> int:
    # A ValueError here would surface as a traceback when the text comes from R53EMU_PORT.
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0..65535)")
    return int(text)


def _count(text: str) -> int:
    """A positive whole number (a connection cap), from a flag or its R53EMU_* variable."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _rate(text: str) -> int:
    """A whole number of replies per second, 0 included (no rate limit)."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (0: no limit)")
    return int(text)


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_ADMIN_PORT = 8053
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("", "0", "false", "no", "off")


def _flag(text: str) -> bool:
    """An on/off environment variable: true/yes/on/1 or false/no/off/0 (any case)."""
    if text.strip().lower() in TRUE_WORDS:
        return True
    if text.strip().lower() in FALSE_WORDS:
        return False
    raise SystemExit(f"r53emu: {text!r} is neither true nor false (use true or false)")


def _choice(choices: Sequence[str], normal: Callable[[str], str]) -> Callable[[str], str]:
    """An argparse type for one of `choices`, in any case. argparse checks `choices` on flags
    only, not on a default taken from an R53EMU_* variable; this checks both."""

    def check(text: str) -> str:
        if normal(text) not in choices:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(choices)}")
        return normal(text)

    return check


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="r53emu",
        description="An emulator of Amazon Route 53's DNS answering. Every flag is also an "
        "R53EMU_<FLAG> environment variable (e.g. R53EMU_PORT=5353).",
    )
    parser.add_argument("--version", action="version", version=f"r53emu {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="answer DNS queries from the zones directory")
    _add_zones(serve, "--zones")
    serve.add_argument(
        "--address",
        default=_env("address", DEFAULT_ADDRESS),
        help="IPv4 or IPv6 address to listen on (default: 127.0.0.1; env R53EMU_ADDRESS)",
    )
    serve.add_argument(
        "--port",
        type=_port,
        # A string default goes through `type` only when the flag is absent, so a bad
        # R53EMU_PORT is reported like a bad flag, and a given --port overrides it entirely.
        default=_env("port", str(DEFAULT_PORT)),
        help="UDP and TCP port (default: 53; 0 picks a free one; env R53EMU_PORT)",
    )
    serve.add_argument(
        "--log-level",
        default=_env("log_level", "INFO"),
        type=_choice(LOG_LEVELS, str.upper),
        metavar="{" + ",".join(LOG_LEVELS) + "}",
        help="logging level (default: INFO; env R53EMU_LOG_LEVEL)",
    )
    serve.add_argument(
        "--log-format",
        default=_env("log_format", "text"),
        type=_choice(LOG_FORMATS, str.lower),
        metavar="{" + ",".join(LOG_FORMATS) + "}",
        help="text for people, json for machines: one object per line (env R53EMU_LOG_FORMAT)",
    )
    serve.add_argument(
        "--admin-port",
        type=_port,
        default=_env("admin_port", "") or None,  # None: not chosen, DEFAULT_ADMIN_PORT
        help="port of the admin HTTP API (default: 8053, or a free one when 8053 is in use and "
        "--port is not 53; 0 picks a free one; env R53EMU_ADMIN_PORT)",
    )
    serve.add_argument(
        "--admin-address",
        default=_env("admin_address", DEFAULT_ADDRESS),
        help="address of the admin HTTP API (default: 127.0.0.1; env R53EMU_ADMIN_ADDRESS)",
    )
    serve.add_argument(
        "--admin-token",
        default=_env("admin_token", "") or None,
        help="require `Authorization: Bearer TOKEN` on every admin request that changes "
        "something (default: none on a loopback --admin-address, else a random one, printed at "
        "start; env R53EMU_ADMIN_TOKEN)",
    )
    serve.add_argument(
        "--no-admin",
        action="store_true",
        default=_flag(_env("no_admin", "")),
        help="run without the admin HTTP API (env R53EMU_NO_ADMIN=true)",
    )
    serve.add_argument(
        "--max-tcp-connections",
        type=_count,
        default=_env("max_tcp_connections", "") or None,  # None: from the descriptor limit
        metavar="N",
        help="open DNS TCP connections at most; over it the least recently active one is closed "
        "(default: 1024 or a quarter of the file descriptor limit, whichever is less; "
        "env R53EMU_MAX_TCP_CONNECTIONS)",
    )
    serve.add_argument(
        "--max-admin-connections",
        type=_count,
        default=_env("max_admin_connections", "") or None,  # None: from the descriptor limit
        metavar="N",
        help="open admin API connections at most; over it the least recently active one is "
        "closed (default: 128 or an eighth of the file descriptor limit, whichever is less; "
        "env R53EMU_MAX_ADMIN_CONNECTIONS)",
    )
    serve.add_argument(
        "--amplification-guard",
        default=_env("amplification_guard", DEFAULT_SCOPE),
        type=_choice(GUARD_SCOPES, str.lower),
        metavar="{" + ",".join(GUARD_SCOPES) + "}",
        help="which UDP clients get ANY answered as RFC 8482 recommends, replies at most "
        f"{AMPLIFICATION_FACTOR}x their query and --rate-limit (default: beyond-loopback, so "
        "tests on 127.0.0.1 see Route 53's full answers; all: loopback too; "
        "env R53EMU_AMPLIFICATION_GUARD)",
    )
    serve.add_argument(
        "--rate-limit",
        type=_rate,
        default=_env("rate_limit", str(RATE_LIMIT)),
        metavar="N",
        help="UDP replies per second to each /24 or /56 the amplification guard applies to; over "
        "it every second reply is truncated (TC) and the others dropped (default: "
        f"{RATE_LIMIT}; 0: no limit; env R53EMU_RATE_LIMIT)",
    )
    serve.add_argument(
        "--reply-cache-mb",
        type=_megabytes,
        default=_env("reply_cache_mb", str(REPLY_CACHE_BYTES // 2**20)),
        metavar="N",
        help="memory the reply cache may keep (estimated); over it the least recently used "
        f"questions go (default: {REPLY_CACHE_BYTES // 2**20}; env R53EMU_REPLY_CACHE_MB)",
    )
    serve.add_argument(
        "--query-log",
        default=_env("query_log", "") or None,
        metavar="FILE|-",
        help="append one JSON line per query to FILE, or to standard output with - "
        "(env R53EMU_QUERY_LOG)",
    )
    serve.add_argument(
        "--watch",
        action=argparse.BooleanOptionalAction,
        default=_flag(_env("watch", "true")),
        help="reload when a zone file changes (default: on; env R53EMU_WATCH=false to turn off)",
    )
    _add_routing_flags(serve)
    check = commands.add_parser("check", help="validate a zones directory and summarize it")
    _add_zones(check, "zones")
    answer = commands.add_parser(
        "answer", help="print the answer Route 53 would give, and why, without a server"
    )
    answer.add_argument("name", help="the name asked for, e.g. www.example.test")
    answer.add_argument("type", type=str.upper, help="the record type asked for, e.g. A")
    answer.add_argument("--client-ip", type=ipaddress.ip_address, help="the resolver's address")
    answer.add_argument(
        "--subnet",
        type=lambda text: ipaddress.ip_network(text, strict=False),
        help="the EDNS Client Subnet, e.g. 198.51.100.0/24 (wins over --client-ip)",
    )
    _add_zones(answer, "--zones")
    answer.add_argument("--json", action="store_true", help="print the explanation as JSON")
    _add_routing_flags(answer)
    _add_import(commands.add_parser("import", help=IMPORT_HELP, description=IMPORT_HELP))
    check_health = commands.add_parser(
        "healthcheck",
        help="exit 0 when the running r53emu serve is healthy (the container's HEALTHCHECK)",
    )
    check_health.add_argument(
        "--pid",
        type=int,
        default=_env("healthcheck_pid", "") or None,
        help="the server's process (default: PID 1, else the r53emu serve found in /proc; "
        "env R53EMU_HEALTHCHECK_PID)",
    )
    return parser


IMPORT_HELP = (
    "turn the JSON the AWS CLI prints for Route 53 (list-resource-record-sets, get-hosted-zone, "
    "list-health-checks, list-cidr-blocks, ...) into zone files: one per hosted zone, and "
    "account.yaml for health checks and CIDR collections"
)


def _add_import(parser: argparse.ArgumentParser) -> None:
    """`r53emu import FILE... [--zone NAME] [--output DIR|-] [--force]` (ops.importcommand)."""
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="output of `aws route53 <command> --output json`, recognized by its top-level key: "
        "list-resource-record-sets (pages of one listing are merged), get-hosted-zone, "
        "list-health-checks, get-health-check, list-cidr-collections, list-cidr-blocks and "
        "list-cidr-locations (COLLECTION=FILE names the collection a list-cidr-blocks file "
        "lists, else the file's name must hold its id or name)",
    )
    parser.add_argument(
        "--zone",
        type=_zone_name,
        metavar="NAME",
        help="the hosted zone of record-set files that do not name theirs (pages without the "
        "apex SOA)",
    )
    parser.add_argument(
        "--output",
        default=_env("zones", "zones"),
        metavar="DIR|-",
        help="directory to write the files into (created if needed; default: zones/, "
        "env R53EMU_ZONES), or - for standard output",
    )
    parser.add_argument("--force", action="store_true", help="replace files that exist")


def _zone_name(text: str) -> str:
    """A hosted zone's name: at least two labels, the leftmost not `*`."""
    try:
        name = names.parse(text)
    except names.InvalidName as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if len(name) < 2 or name[0] == b"*":
        raise argparse.ArgumentTypeError(f"{text!r} cannot be a hosted zone's name")
    return text


def _megabytes(text: str) -> int:
    """A positive whole number of MiB."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number of MiB")
    return int(text)


def _add_zones(parser: argparse.ArgumentParser, name: str) -> None:
    """The zones argument: `--zones PATH`, or `check`'s optional positional PATH.

    `zones_default` keeps the default object itself, so that `main` can tell a path given on
    the command line from the default (argparse hands a non-string default over as it is).
    """
    default = Path(_env("zones", "zones"))
    text = "directory of zone files, or one zone file (default: zones/, env R53EMU_ZONES)"
    if name.startswith("-"):
        parser.add_argument(name, type=Path, default=default, metavar="PATH", help=text)
    else:
        parser.add_argument(name, nargs="?", type=Path, default=default, metavar="PATH", help=text)
    parser.set_defaults(zones_default=default)
    parser.add_argument(
        "--max-zone-file-mb",
        type=_megabytes,
        default=_env("max_zone_file_mb", str(MAX_FILE_BYTES // 2**20)),
        metavar="N",
        help="a zone file larger than N MiB is an error, found before it is read (default: "
        f"{MAX_FILE_BYTES // 2**20}; env R53EMU_MAX_ZONE_FILE_MB)",
    )


def _add_routing_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that decide routing choices, shared by `serve` and `answer`."""
    parser.add_argument(
        "--seed",
        type=int,
        default=_env("seed", "") or None,
        help="make every random choice reproducible run to run (env R53EMU_SEED)",
    )
    parser.add_argument(
        "--geoip-db",
        type=Path,
        default=_env("geoip_db", "") or None,
        help="a MaxMind-format .mmdb database locating client addresses (env R53EMU_GEOIP_DB)",
    )
    parser.add_argument(
        "--default-location",
        type=_default_location,
        default=_env("default_location", "") or None,
        help="where clients nothing else locates are, e.g. DE or US-CA "
        "(default: unlocated; env R53EMU_DEFAULT_LOCATION)",
    )


def _default_location(text: str) -> str:
    try:
        parse_default_location(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.upper()


def server_config(args: argparse.Namespace) -> ServerConfig:
    """The `ServerConfig` of a parsed `serve` command line (its variables already applied)."""
    admin_port = DEFAULT_ADMIN_PORT if args.admin_port is None else args.admin_port
    return ServerConfig(
        zones=args.zones,
        address=args.address,
        port=args.port,
        seed=args.seed,
        geoip_db=args.geoip_db,
        default_location=args.default_location,
        admin_port=None if args.no_admin else admin_port,
        # A second server for tests (not on port 53) need not fight over the default port.
        admin_port_fallback=args.admin_port is None and args.port != DEFAULT_PORT,
        admin_address=args.admin_address,
        admin_token=args.admin_token,
        max_tcp_connections=args.max_tcp_connections,
        max_admin_connections=args.max_admin_connections,
        amplification_guard=args.amplification_guard,
        rate_limit=args.rate_limit,
        max_zone_file_bytes=args.max_zone_file_mb * 2**20,
        reply_cache_bytes=args.reply_cache_mb * 2**20,
        query_log=args.query_log,
        watch=args.watch,
    )


def zones_problem(args: argparse.Namespace) -> str | None:
    """Why the zones path cannot be loaded at all (a usage error), or None.

    When the path is the default one, the message says so and how to give another: a newcomer
    running `r53emu serve` in the wrong directory learns about `--zones`.
    """
    path: Path = args.zones
    if path.is_dir() or (path.is_file() and path.suffix in ZONE_SUFFIXES):
        return None
    what, shown, origin = "zones path", str(path), ""
    give = "give r53emu check PATH" if args.command == "check" else "give --zones PATH"
    if path is args.zones_default and ENV_PREFIX + "ZONES" in os.environ:
        origin = f" (from {ENV_PREFIX}ZONES; {give})"
    elif path is args.zones_default:
        what, origin = "zones directory", f" (the default; {give})"
        if not path.is_absolute():
            shown = f".{os.sep}{path}"  # the working directory's, as ./ says
    if not path.exists():
        return f"{what} {shown} does not exist{origin}"
    suffixes = ", ".join(ZONE_SUFFIXES)
    return f"{shown} is neither a zones directory nor a zone file ({suffixes}){origin}"
