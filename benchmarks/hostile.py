"""The benchmark's hostile rows (issue 13): what a client can make r53emu spend, beside static A.

    .venv/bin/python benchmarks/authoritative.py --hostile-only [--quick]   # these rows alone
    .venv/bin/python benchmarks/authoritative.py --hostile-only --quick --hostile-rows floods

benchmarks/authoritative.py runs them after its tables (`--no-hostile` leaves them out), on the
smallest zone size of the run, with the hostile zone (`zonegen.write_hostile_zone`) beside the
benchmark zone, in a server of their own; `--hostile-rows` (`parse_rows`) chooses the parts, or
the floods, to run:

1. **Worst name's rate**: dnsperf (the table's settings, `-B`: queries built here, byte for byte)
   on each candidate question, next to static A on the same server; each rate as a share of static
   A. Never-repeating candidates (names under a wildcard, NXDOMAIN names, ECS from distinct
   subnets) get a query file longer than the run can use up, so the reply cache never hits.
   Target: the worst at least 25 % of static A.
2. **UDP p99 under floods**: dnsperf asking static A at RATED_QPS, idle and then during each
   flood (`flood`, below: a Python asyncio generator on the load generator's core, SCHED_IDLE so
   that dnsperf's timing is not delayed by it). Target: p99 within 2x of idle.
3. **Worst amplification**: every name of the bundled `zones/` and of the generated zones, asked
   for each type of AMPLIFICATION_TYPES over UDP with and without EDNS (payload 4096), one query
   at a time; reply bytes over query bytes, the worst, as a loopback client gets it (full
   answers) and with `--amplification-guard all` (what clients beyond loopback get). Target: at
   most 10 with the guard.

`python benchmarks/hostile.py flood SPEC` is the flood generator itself (SPEC: JSON, see `flood`).
Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import resource
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from ipaddress import ip_network
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import authoritative as bench
from benchmarks import zonegen

HERE = Path(__file__).resolve().parent
BUNDLED_ZONES = HERE.parent / "zones"
RATE_TARGET = 0.25  # the worst name's rate, as a share of static A: at least
P99_TARGET = 2.0  # UDP p99 under a flood, over idle: at most
AMPLIFICATION_TARGET = 10.0  # reply bytes over query bytes, with the guard: at most
EDNS_PAYLOAD = 4096
DISTINCT_MARGIN = 1.3  # never-repeating files hold this many times what static A would ask
LOST_P99_SHARE = 0.01  # more lost than this: the p99 (lost counted as timeouts) is a timeout
TCP_FLOOD_CONNECTIONS = 256  # connections of the TCP query flood, each one query outstanding
ANY_EVERY = 8  # one query in this many of the TCP query flood is `many ANY` (64 kB)
CLIENT_CONNECTIONS, CLIENT_OUTSTANDING = 16, 6  # the Python client's dnsperf -c 16 -q 100
ADMIN_FLOOD_CONNECTIONS = 32  # kept-alive connections of the admin request stream
ADMIN_PATHS = ("/metrics", "/zones")  # the admin request stream, in turn
ZONE_PATH = f"/zones/{zonegen.ZONE}."  # one zone with its record sets (256 kB at 1k record sets)
CAP_FACTOR = 2  # idle and slowloris floods hold this many times the server's cap
FLOOD_RAMP = 10.0  # seconds a flood has to open its connections before the load starts anyway
SETTLE_RTT = 0.002  # seconds: after a flood, a probe answered this fast means the server is idle
SETTLE_TIMEOUT = 10.0
SWEEP_TIMEOUT = 1.0  # seconds to wait for each amplification reply
MAX_SWEPT_NAMES = 2000  # names of one zone the sweep asks for (the first ones, in zone order)
GUARD_FLAG = "--amplification-guard"
RATE_LIMIT_FLAG = "--rate-limit"
ECS_CODE = 8
OPT = 41
QTYPES = {
    "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
    "SRV": 33, "NAPTR": 35, "DS": 43, "SSHFP": 44, "TLSA": 52, "SVCB": 64, "HTTPS": 65,
    "SPF": 99, "ANY": 255, "CAA": 257,
}  # fmt: skip
QTYPE_NAMES = {number: text for text, number in QTYPES.items()}
AMPLIFICATION_TYPES = ("A", "AAAA", "TXT", "MX", "NS", "SOA", "ANY", "SRV", "CAA", "CNAME", "PTR")


# --- queries, byte for byte ---------------------------------------------------------------------


def ecs_data(subnet: str) -> bytes:
    """An EDNS Client Subnet option's data (RFC 7871): family, source prefix, scope 0, and the
    address cut to the bytes the prefix covers."""
    network = ip_network(subnet)
    address = network.network_address.packed[: math.ceil(network.prefixlen / 8)]
    return struct.pack("!HBB", 1 if network.version == 4 else 2, network.prefixlen, 0) + address


def wire_query(
    name: str, qtype: str, payload: int | None = None, ecs: bytes | None = None, query_id: int = 0
) -> bytes:
    """A query for `name` `qtype` with RD clear; with `payload` (or `ecs`) an OPT record of that
    UDP payload size (4096 by default), carrying the ECS option data `ecs` if given."""
    labels = [label.encode() for label in name.rstrip(".").split(".") if label]
    qname = b"".join(bytes((len(label),)) + label for label in labels) + b"\0"
    edns = payload is not None or ecs is not None
    header = struct.pack("!HHHHHH", query_id, 0, 1, 0, 0, 1 if edns else 0)
    packet = header + qname + struct.pack("!HH", QTYPES[qtype], 1)
    if edns:
        options = b"" if ecs is None else struct.pack("!HH", ECS_CODE, len(ecs)) + ecs
        packet += b"\0" + struct.pack("!HHIH", OPT, payload or EDNS_PAYLOAD, 0, len(options))
        packet += options
    return packet


def binary_records(packets: Iterable[bytes]) -> Iterator[bytes]:
    """dnsperf's `-B` input: each message after its length, as over TCP (RFC 1035 4.2.2)."""
    for packet in packets:
        yield struct.pack("!H", len(packet)) + packet


def distinct_subnet(n: int) -> str:
    """The n-th /56 of 2001:db8::/32 (Tokyo in the benchmark's client locations, with a latency
    table): 2**24 subnets, each a client of its own for the reply cache."""
    if not 0 <= n < 2**24:
        raise ValueError(f"subnet {n} out of range")
    return f"2001:db8:{n >> 8:x}:{(n & 0xFF) << 8:x}::/56"


# --- candidates for the worst name --------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One question (or one never-repeating family of questions) to rate with dnsperf."""

    label: str
    kind: str  # what `candidate_queries` builds
    tcp: bool = False
    distinct: bool = False  # never repeats: the file holds as many queries as the run can send
    expected_rcode: str = "NOERROR"
    python: bool = False  # asked by this module's TCP client: dnsperf 2.10 loses 64 kB replies


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("static A", "static"),
    Candidate(f"big TXT, EDNS {EDNS_PAYLOAD}, UDP", "big-txt-edns"),
    Candidate("big TXT, TCP", "big-txt", tcp=True),
    Candidate("ANY at many, no EDNS, UDP (TC)", "any"),
    Candidate(f"ANY at many, EDNS {EDNS_PAYLOAD}, UDP (TC)", "any-edns"),
    Candidate("ANY at many, TCP (Python client)", "any", tcp=True, python=True),
    Candidate("distinct names under a wildcard", "wildcard", distinct=True),
    Candidate("distinct NXDOMAIN names", "nxdomain", distinct=True, expected_rcode="NXDOMAIN"),
    Candidate("alias tree (latency>weighted>failover)", "tree"),
    Candidate("distinct names into the alias tree", "tree-wildcard", distinct=True),
    Candidate(f"alias chain of {zonegen.CHAIN_ALIASES}, weighted", "chain"),
    Candidate("geolocation + ECS, distinct subnets", "geolocation-ecs", distinct=True),
    Candidate("latency + ECS, distinct subnets", "latency-ecs", distinct=True),
)
STATIC_CANDIDATE = CANDIDATES[0]
# Static A again once the candidates have run: the faster of the two is the baseline, as the
# better ceiling run is the tables' (a run slowed by the machine's neighbours would flatter).
STATIC_AGAIN = Candidate("static A (again, after)", "static")


def candidate_queries(
    candidate: Candidate, plan: zonegen.ZonePlan, hostile: zonegen.HostilePlan, count: int
) -> Iterator[bytes]:
    """The queries of a candidate's file: `count` of them for a never-repeating one, else the
    question(s) dnsperf asks over and over."""
    kind = candidate.kind
    if kind == "static":
        yield from (wire_query(name, "A") for name in plan.owner_names("simple"))
    elif kind in ("big-txt", "big-txt-edns"):
        yield wire_query(
            hostile.name("big"), "TXT", EDNS_PAYLOAD if kind.endswith("edns") else None
        )
    elif kind in ("any", "any-edns"):
        yield wire_query(
            hostile.name("many"), "ANY", EDNS_PAYLOAD if kind.endswith("edns") else None
        )
    elif kind in ("tree", "chain"):
        yield wire_query(hostile.name(kind), "A")
    elif kind in ("wildcard", "tree-wildcard", "nxdomain"):
        parent = {
            "wildcard": hostile.name("wild"),
            "tree-wildcard": hostile.name("wtree"),
            "nxdomain": f"nx.{plan.zone}.",
        }[kind]
        # wire_query(f"q{n}.{parent}", "A"), a million times a run: only the first label varies.
        template = wire_query(f"q.{parent}", "A")
        head, tail = template[:12], template[14:]
        for n in range(count):
            label = b"q%d" % n
            yield head + bytes((len(label),)) + label + tail
    elif kind in ("geolocation-ecs", "latency-ecs"):
        # wire_query(name, "A", EDNS_PAYLOAD, ecs_data(distinct_subnet(n))): the subnet's last
        # three bytes end the packet.
        names = plan.owner_names(kind.removesuffix("-ecs"))
        heads = [
            wire_query(name, "A", EDNS_PAYLOAD, ecs_data(distinct_subnet(0)))[:-3] for name in names
        ]
        for n in range(count):
            yield heads[n % len(heads)] + (n % 2**24).to_bytes(3, "big")
    else:
        raise ValueError(f"unknown candidate kind {kind!r}")


@dataclass
class RateRow:
    label: str
    result: bench.DnsperfResult
    share: float | None = None  # q/s over static A's q/s in the same run
    note: str = ""


def share_of(result: bench.DnsperfResult, baseline: bench.DnsperfResult) -> float | None:
    """A rate as a share of the baseline's rate (None when the baseline answered nothing)."""
    return result.qps / baseline.qps if baseline.qps else None


def is_static(row: RateRow) -> bool:
    return row.label in (STATIC_CANDIDATE.label, STATIC_AGAIN.label)


def static_baseline(rows: Sequence[RateRow]) -> bench.DnsperfResult | None:
    """The faster of the static A runs: what every share is of."""
    return max((row.result for row in rows if is_static(row)), key=lambda r: r.qps, default=None)


def worst_rate(rows: Sequence[RateRow]) -> RateRow | None:
    """The candidate with the lowest rate (the static A runs excluded)."""
    others = [row for row in rows if not is_static(row) and row.share is not None]
    return min(others, key=lambda row: row.result.qps, default=None)


def verdict(value: float | None, target: float, at_least: bool) -> str:
    """`meets` or `misses` the target (`at_least`: value >= target, else value <= target)."""
    if value is None or math.isnan(value):
        return "not measured"
    met = value >= target if at_least else value <= target
    return "meets the target" if met else "misses the target"


# --- UDP p99 under floods -----------------------------------------------------------------------


@dataclass(frozen=True)
class FloodKind:
    label: str
    kind: str  # what `flood` runs ("" for no flood)


FLOODS: tuple[FloodKind, ...] = (
    FloodKind("control: busy loop on core 0, SCHED_IDLE", "busy"),
    FloodKind(f"TCP: {TCP_FLOOD_CONNECTIONS} connections, queries, 1 in {ANY_EVERY} ANY", "tcp"),
    FloodKind(f"TCP: idle connections, {CAP_FACTOR}x the cap", "tcp-idle"),
    FloodKind(f"admin: slowloris, {CAP_FACTOR}x the cap", "slowloris"),
    FloodKind(f"admin: {ADMIN_FLOOD_CONNECTIONS} streams of GET {', '.join(ADMIN_PATHS)}", "admin"),
    FloodKind(f"admin: {ADMIN_FLOOD_CONNECTIONS} streams of GET {ZONE_PATH}", "admin-zone"),
)


@dataclass
class FloodRow:
    label: str
    result: bench.DnsperfResult  # the steady load's view
    ratio: float | None = None  # p99 (lost counted as timeouts) over idle p99
    flood: dict[str, Any] = field(default_factory=dict)  # what the flood generator counted
    note: str = ""


def p99_counting_lost(result: bench.DnsperfResult) -> float | None:
    """The load's p99 with lost queries counted as timeouts: infinite once more than 1 % of the
    queries sent were lost (dnsperf's p99 covers answered queries only)."""
    if result.sent and result.lost / result.sent > LOST_P99_SHARE:
        return math.inf
    return result.p99_latency


def p99_ratio(result: bench.DnsperfResult, idle: float | None) -> float | None:
    """p99 under a flood over the idle p99."""
    p99 = p99_counting_lost(result)
    if p99 is None or not idle:
        return None
    return p99 / idle


def idle_p99(rows: Sequence[FloodRow]) -> float | None:
    """The lower p99 of the idle runs (before and after the floods): the stricter baseline."""
    values = [row.result.p99_latency for row in rows if row.label.startswith("idle")]
    known = [value for value in values if value is not None]
    return min(known, default=None)


def worst_flood(rows: Sequence[FloodRow]) -> FloodRow | None:
    floods = [row for row in rows if row.ratio is not None and not row.label.startswith("idle")]
    floods = [row for row in floods if not row.label.startswith("control")]
    return max(floods, key=lambda row: row.ratio or 0.0, default=None)


# --- amplification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amplification:
    """One question's reply over UDP: bytes in, bytes out."""

    name: str
    qtype: str
    payload: int | None  # the query's EDNS payload (None: no EDNS)
    query_bytes: int
    reply_bytes: int
    truncated: bool = False

    @property
    def ratio(self) -> float:
        return amplification_ratio(self.query_bytes, self.reply_bytes)


def amplification_ratio(query_bytes: int, reply_bytes: int) -> float:
    """Reply bytes over query bytes (0 for no reply)."""
    if query_bytes <= 0:
        raise ValueError("a query has at least a header")
    return reply_bytes / query_bytes


def _amplification_order(sample: Amplification) -> tuple[float, int, bool]:
    # Among equal ratios the larger reply, then the type the name holds rather than ANY.
    return sample.ratio, sample.reply_bytes, sample.qtype != "ANY"


def worst_amplification(samples: Iterable[Amplification]) -> Amplification | None:
    """The largest ratio; among equal ratios the larger reply, then a type other than ANY."""
    return max(samples, key=_amplification_order, default=None)


@dataclass
class AmplificationRow:
    label: str
    worst: Amplification | None = None
    queries: int = 0
    unanswered: int = 0
    top: list[Amplification] = field(default_factory=list)  # the ten worst, one per (name, type)
    note: str = ""  # why it was not run


def sweep_names(directory: Path, max_names: int = MAX_SWEPT_NAMES) -> list[tuple[str, set[str]]]:
    """(name, types held there) for every owner name of every zone of `directory` (wildcards
    asked as `amp.<parent>`), at most `max_names` per zone in zone order."""
    from r53emu.zonefiles.loader import load_catalog  # the zones as r53emu reads them

    names = []
    for zone in load_catalog(directory).zones.values():
        for owner, groups in list(zone.nodes.items())[:max_names]:
            labels = [b"amp" if label == b"*" else label for label in owner]
            text = ".".join(label.decode() for label in labels) + "."
            names.append((text, {QTYPE_NAMES.get(rtype, str(rtype)) for rtype in groups}))
    return names


def sweep_questions(names: Sequence[tuple[str, set[str]]]) -> Iterator[tuple[str, str, int | None]]:
    """(name, type, payload) for each name, each type of AMPLIFICATION_TYPES and each type the
    name holds, with and without EDNS."""
    for name, held in names:
        for qtype in sorted(set(AMPLIFICATION_TYPES) | (held & QTYPES.keys())):
            for payload in (None, EDNS_PAYLOAD):
                yield name, qtype, payload


def sweep(port: int, questions: Iterable[tuple[str, str, int | None]]) -> AmplificationRow:
    """Ask every question over UDP, one at a time; the worst ratios."""
    row = AmplificationRow("")
    best: dict[tuple[str, str], Amplification] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", port))
        sock.settimeout(SWEEP_TIMEOUT)
        for n, (name, qtype, payload) in enumerate(questions):
            ident = n % 65536
            packet = wire_query(name, qtype, payload, query_id=ident)
            sock.send(packet)
            row.queries += 1
            reply = _reply(sock, ident)
            if reply is None:
                row.unanswered += 1
                continue
            sample = Amplification(
                name, qtype, payload, len(packet), len(reply), bool(reply[2] & 0x02)
            )
            kept = best.get((name, qtype))
            if kept is None or _amplification_order(sample) > _amplification_order(kept):
                best[(name, qtype)] = sample
    row.top = sorted(best.values(), key=_amplification_order, reverse=True)[:10]
    row.worst = worst_amplification(row.top)
    return row


def _reply(sock: socket.socket, ident: int) -> bytes | None:
    while True:
        try:
            reply = sock.recv(65535)
        except TimeoutError:
            return None
        if len(reply) >= 12 and int.from_bytes(reply[:2], "big") == ident:
            return reply


def serve_flags() -> str:
    """`r53emu serve --help`: which flags this r53emu has."""
    done = subprocess.run(
        [sys.executable, "-m", "r53emu", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout


def guard_arguments(help_text: str) -> list[str] | None:
    """The flags that make r53emu treat loopback as beyond it, or None if it has no guard."""
    if GUARD_FLAG not in help_text:
        return None
    extra = [GUARD_FLAG, "all"]
    if RATE_LIMIT_FLAG in help_text:
        extra += [RATE_LIMIT_FLAG, "0"]  # the sweep measures sizes, not the rate limit
    return extra


# --- the whole measurement ----------------------------------------------------------------------


@dataclass
class HostileReport:
    record_sets: int
    seconds: int
    rates: list[RateRow] = field(default_factory=list)
    rss_mb_before_rates: float = 0.0
    rss_mb_after_rates: float = 0.0
    floods: list[FloodRow] = field(default_factory=list)
    flood_qps: int = bench.RATED_QPS
    tcp_cap: int = 0
    admin_cap: int = 0
    amplification: list[AmplificationRow] = field(default_factory=list)


PARTS = ("rates", "floods", "amplification")  # --hostile-rows: the three parts, in order


def parse_rows(text: str) -> tuple[set[str], tuple[FloodKind, ...]]:
    """`--hostile-rows`: comma-separated parts (`rates`, `floods`, `amplification`, `all`) and
    flood kinds (`tcp`, `admin-zone`, ...: those floods alone, with the idle rows); the parts
    to run and the floods among them. Raises ValueError naming what is unknown."""
    kinds = {flood.kind: flood for flood in FLOODS}
    parts: set[str] = set()
    chosen: list[FloodKind] = []
    for word in (word.strip() for word in text.split(",")):
        if word == "all":
            parts.update(PARTS)
        elif word in PARTS:
            parts.add(word)
        elif word in kinds:
            parts.add("floods")
            chosen.append(kinds[word])
        else:
            known = ", ".join((*PARTS, "all", *kinds))
            raise ValueError(f"unknown hostile row {word!r}; rows: {known}")
    floods = tuple(flood for flood in FLOODS if flood in chosen) if chosen else FLOODS
    return parts, floods


def measure(
    settings: bench.Settings,
    size: int,
    parts: Iterable[str] = PARTS,
    floods: Sequence[FloodKind] = FLOODS,
) -> HostileReport:
    """The three parts (or those of `parts`; of the floods, `floods`), on a server of their own
    serving the benchmark and hostile zones."""
    parts = set(parts)
    report = HostileReport(size, settings.seconds)
    zones = settings.workdir / f"hostile-{size}"
    plan = zonegen.write_zones(zones, size)
    hostile = zonegen.write_hostile_zone(zones)
    report.tcp_cap, report.admin_cap = default_caps()
    _log(f"hostile: starting r53emu on {size} record sets + {hostile.zone}")
    server, port, admin, _ = bench.start_r53emu(zones)
    try:
        report.rss_mb_before_rates = bench.memory_kb(server.pid)["VmRSS"] / 1024
        if "rates" in parts:
            report.rates = measure_rates(settings, port, plan, hostile)
        report.rss_mb_after_rates = bench.memory_kb(server.pid)["VmRSS"] / 1024
        if "floods" in parts:
            report.floods = measure_floods(settings, report, port, admin, plan, floods)
        if "amplification" in parts:
            _log("hostile: amplification, loopback ...")
            report.amplification.append(amplify("generated zones, loopback", port, zones))
    finally:
        server.stop()
    if "amplification" not in parts:
        return report
    report.amplification.insert(0, amplify_server("bundled zones/, loopback", BUNDLED_ZONES, []))
    extra = guard_arguments(serve_flags())
    for label, directory in (("bundled zones/", BUNDLED_ZONES), ("generated zones", zones)):
        label = f"{label}, {GUARD_FLAG} all"
        if extra is None:
            note = f"not run: `r53emu serve --help` lists no {GUARD_FLAG}"
            report.amplification.append(AmplificationRow(label, note=note))
        else:
            report.amplification.append(amplify_server(label, directory, extra))
    return report


def default_caps() -> tuple[int, int]:
    """The caps r53emu sets itself for the descriptor limit it will raise to (our hard limit)."""
    from r53emu.app import FD_LIMIT_WITHOUT_HARD_LIMIT, connection_caps

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return connection_caps(FD_LIMIT_WITHOUT_HARD_LIMIT if hard == resource.RLIM_INFINITY else hard)


def measure_rates(
    settings: bench.Settings, port: int, plan: zonegen.ZonePlan, hostile: zonegen.HostilePlan
) -> list[RateRow]:
    rows: list[RateRow] = []
    static: bench.DnsperfResult | None = None
    for candidate in (*CANDIDATES, STATIC_AGAIN):
        _log(f"hostile: {candidate.label} ...")
        # A never-repeating file outlasts the run even at static A's rate, with a margin.
        count = int((static.qps if static else 0) * settings.seconds * DISTINCT_MARGIN) + 1000
        count = count if candidate.distinct else 0
        queries = candidate_queries(candidate, plan, hostile, count)
        notes = []
        if candidate.python:
            result, client = run_python_client(settings, port, list(queries))
            notes.append(client_note(client))
        else:
            path = settings.workdir / "hostile-queries.bin"
            with path.open("wb") as out:
                out.writelines(binary_records(queries))
            result = run_binary(settings, port, path, candidate.tcp)
            path.unlink()
        if candidate is STATIC_CANDIDATE:
            static = result
        if candidate.distinct and result.sent > count:
            notes.append(f"file of {count:,} used up: questions asked again")
        mix = bench.Mix(candidate.label, "", expected_rcode=candidate.expected_rcode)
        notes.append(bench._rcode_note(mix, result))
        rows.append(
            RateRow(candidate.label, result, note="; ".join(note for note in notes if note))
        )
    baseline = static_baseline(rows)
    for row in rows:
        row.share = None if baseline is None else share_of(row.result, baseline)
    runs = [row.result.qps for row in rows if is_static(row)]
    if min(runs) < 0.9 * max(runs):
        noisy = "noisy machine: " + " / ".join(f"{qps:,.0f}" for qps in runs)
        rows[0].note = "; ".join(note for note in (rows[0].note, noisy) if note)
    return rows


def run_binary(
    settings: bench.Settings, port: int, queries: Path, tcp: bool
) -> bench.DnsperfResult:
    """dnsperf with the table's settings on a `-B` query file."""
    command = [
        settings.dnsperf, "-B", "-s", "127.0.0.1", "-p", str(port), "-d", str(queries),
        "-l", str(settings.seconds), *bench.DNSPERF_SETTINGS,
    ]  # fmt: skip
    if tcp:
        command += ["-m", "tcp"]
    if settings.p99:
        command.append("-v")
    output = settings.workdir / "dnsperf-hostile.out"
    with output.open("w") as out:
        done = subprocess.run(
            bench.pinned(bench.LOADGEN_CORE, command),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=settings.seconds + 60,
            check=False,
        )
    return bench.read_dnsperf_output(output, command, done.returncode)


def run_python_client(
    settings: bench.Settings, port: int, packets: list[bytes]
) -> tuple[bench.DnsperfResult, dict[str, Any]]:
    """`packets` over TCP for settings.seconds, by `flood`'s TCP client as the load generator
    (on dnsperf's core, in the foreground): CLIENT_CONNECTIONS connections, CLIENT_OUTSTANDING
    queries in flight on each."""
    spec = {
        "kind": "tcp", "port": port, "connections": CLIENT_CONNECTIONS, "background": False,
        "outstanding": CLIENT_OUTSTANDING, "packets": [packet.hex() for packet in packets],
        "seconds": settings.seconds + FLOOD_RAMP + 30,
    }  # fmt: skip
    with FloodProcess(spec) as client:
        time.sleep(settings.seconds)  # the client measures from `ready` to its stop
    return client_result(client.stats, sum(map(len, packets)) // len(packets)), client.stats


def client_note(counts: dict[str, Any]) -> str:
    """How busy the Python client was: near 100 % of a core, it and not the server set the rate."""
    if counts.get("error"):
        return f"client failed: {counts['error']}"
    seconds = counts.get("measured_seconds") or 0.0
    if not seconds:
        return ""
    return f"Python client at {counts.get('measured_cpu_seconds', 0.0) / seconds:.0%} of a core"


def client_result(counts: dict[str, Any], request_bytes: int) -> bench.DnsperfResult:
    """The Python client's counts (`FloodCounts`) as dnsperf's figures."""
    completed, seconds = counts.get("measured_replies", 0), counts.get("measured_seconds", 0.0)
    replies = counts.get("replies", 0)
    return bench.DnsperfResult(
        sent=completed + counts.get("lost", 0),
        completed=completed,
        lost=counts.get("lost", 0),
        qps=completed / seconds if seconds else 0.0,
        avg_latency=counts.get("latency_avg", 0.0),
        max_latency=counts.get("latency_max", 0.0),
        p99_latency=counts.get("latency_p99"),
        rcodes=dict(counts.get("rcodes", {})),
        run_time=seconds,
        avg_request_bytes=request_bytes,
        avg_response_bytes=counts.get("reply_bytes", 0) // replies if replies else 0,
    )


def measure_floods(
    settings: bench.Settings,
    report: HostileReport,
    port: int,
    admin: str,
    plan: zonegen.ZonePlan,
    floods: Sequence[FloodKind] = FLOODS,
) -> list[FloodRow]:
    queries = settings.workdir / "hostile-static.txt"
    queries.write_text("\n".join(bench.query_lines(plan, bench.STATIC)) + "\n")
    admin_port = int(admin.rstrip("/").rsplit(":", 1)[1])
    targets: dict[str, dict[str, Any]] = {
        "busy": {},
        "tcp": {
            "port": port,
            "connections": TCP_FLOOD_CONNECTIONS,
            "questions": [
                *([name, "A"] for name in plan.owner_names("simple")[: ANY_EVERY - 1]),
                [f"many.{zonegen.HOSTILE_ZONE}.", "ANY"],
            ],
        },
        "tcp-idle": {"port": port, "connections": CAP_FACTOR * report.tcp_cap},
        "slowloris": {"port": admin_port, "connections": CAP_FACTOR * report.admin_cap},
        "admin": {
            "port": admin_port,
            "connections": ADMIN_FLOOD_CONNECTIONS,
            "paths": list(ADMIN_PATHS),
        },
        "admin-zone": {
            "kind": "admin",
            "port": admin_port,
            "connections": ADMIN_FLOOD_CONNECTIONS,
            "paths": [ZONE_PATH],
        },
    }
    rows = [FloodRow("idle (before the floods)", steady_load(settings, port, queries))]
    for kind in floods:
        _log(f"hostile: UDP at {bench.RATED_QPS:,} q/s under {kind.label} ...")
        spec: dict[str, Any] = {"kind": kind.kind, "seconds": settings.seconds + FLOOD_RAMP + 30}
        spec |= targets[kind.kind]
        with FloodProcess(spec) as flood:
            result = steady_load(settings, port, queries)
        row = FloodRow(kind.label, result, flood=flood.stats)
        # What the flood left queued must not slow the next row.
        began = time.monotonic()
        row.flood["settled"] = settle(port)
        row.flood["settle_seconds"] = time.monotonic() - began
        rows.append(row)
    rows.append(FloodRow("idle (after the floods)", steady_load(settings, port, queries)))
    idle = idle_p99(rows)
    for row in rows:
        row.ratio = p99_ratio(row.result, idle)
        notes = [bench._rcode_note(bench.STATIC, row.result)]
        if row.result.qps < 0.95 * bench.RATED_QPS:
            notes.append(f"rate not reached ({bench.RATED_QPS:,} asked)")
        if row.flood.get("error"):
            notes.append(f"flood failed: {row.flood['error']}")
        if row.flood.get("settled") is False:
            notes.append(f"server still busy {SETTLE_TIMEOUT:.0f} s after the flood")
        row.note = "; ".join(note for note in notes if note)
    return rows


def settle(port: int, timeout: float = SETTLE_TIMEOUT) -> bool:
    """Wait until single UDP queries are answered within SETTLE_RTT twice in a row (the server
    has worked off what a flood left queued: 32 unfinished /zones replies are a second of work),
    at most `timeout` seconds; whether it settled."""
    query = bench.dns_query(f"s0.{zonegen.ZONE}.", 0x5345)
    deadline, quick = time.monotonic() + timeout, 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", port))
        sock.settimeout(SETTLE_RTT)
        while quick < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # a benchmark's pacing between probes
            began = time.monotonic()
            sock.send(query)
            reply = _reply(sock, 0x5345)
            quick = quick + 1 if reply is not None and time.monotonic() - began < SETTLE_RTT else 0
    return quick >= 2


def steady_load(settings: bench.Settings, port: int, queries: Path) -> bench.DnsperfResult:
    """Static A at RATED_QPS, always with `-v`: the p99 is the point."""
    command = bench.dnsperf_command(
        settings, port, queries, bench.STATIC, bench.RATED_QPS, verbose=True
    )
    output = settings.workdir / "dnsperf-steady.out"
    with output.open("w") as out:
        done = subprocess.run(
            bench.pinned(bench.LOADGEN_CORE, command),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=settings.seconds + 60,
            check=False,
        )
    return bench.read_dnsperf_output(output, command, done.returncode)


class FloodProcess:
    """`hostile.py flood SPEC` on the load generator's core: started, ready, then stopped (its
    standard input closed) and its counts read."""

    def __init__(self, spec: dict[str, Any]) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "flood", json.dumps(spec)]
        self.popen = subprocess.Popen(
            bench.pinned(bench.LOADGEN_CORE, command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.stats: dict[str, Any] = {}

    def __enter__(self) -> FloodProcess:
        assert self.popen.stdout is not None
        ready, _, _ = select.select([self.popen.stdout], [], [], FLOOD_RAMP + 5)
        line = self.popen.stdout.readline() if ready else ""
        if not line.startswith("ready"):
            self.stats = {"error": f"not ready: {line.strip() or 'no line'}"}
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(AttributeError, OSError):  # to end, it must not wait for a core
            os.sched_setscheduler(self.popen.pid, os.SCHED_OTHER, os.sched_param(0))
            os.setpriority(os.PRIO_PROCESS, self.popen.pid, 0)
        try:
            out, _ = self.popen.communicate(timeout=30)  # closes its standard input: it stops
        except subprocess.TimeoutExpired:
            self.popen.kill()
            out, _ = self.popen.communicate()
        lines = [line for line in out.splitlines() if line.startswith("{")]
        self.stats |= json.loads(lines[-1]) if lines else {"error": "no counts"}


def amplify_server(label: str, zones: Path, extra: list[str]) -> AmplificationRow:
    _log(f"hostile: amplification, {label} ...")
    server, port, _admin, _ = bench.start_r53emu(zones, extra)
    try:
        return amplify(label, port, zones)
    finally:
        server.stop()


def amplify(label: str, port: int, zones: Path) -> AmplificationRow:
    row = sweep(port, sweep_questions(sweep_names(zones)))
    row.label = label
    return row


# --- report -------------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    if seconds is not None and math.isinf(seconds):
        return "timeout"
    return bench._ms(seconds)


def _pct(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def format_rate_row(row: RateRow) -> str:
    r = row.result
    reply = f"{r.avg_response_bytes:,}" if r.avg_response_bytes else "-"
    line = f"{row.label:<42} {r.qps:>9,.0f} {_pct(row.share):>7} {_ms(r.avg_latency):>8} "
    line += f"{_ms(r.p99_latency):>8} {reply:>7} {r.lost:>7}"
    return line + (f"  {row.note}" if row.note else "")


def format_flood_row(row: FloodRow) -> str:
    r = row.result
    ratio = "-" if row.ratio is None else ("inf" if math.isinf(row.ratio) else f"{row.ratio:.1f}x")
    line = f"{row.label:<52} {_ms(p99_counting_lost(r)):>8} {ratio:>7} {_ms(r.avg_latency):>8} "
    line += f"{r.lost:>7}  {describe_flood(row.flood)}"
    return line.rstrip() + (f"  {row.note}" if row.note else "")


def describe_flood(stats: dict[str, Any]) -> str:
    """What the flood generator did, in a few words (rates over the measured time)."""
    if not stats or stats.get("kind") == "busy":
        return ""
    seconds = stats.get("measured_seconds") or 1.0
    parts = [f"{stats.get('opened', 0):,} connections opened"]
    if stats.get("closed_by_server"):
        parts.append(f"{stats['closed_by_server']:,} closed by the server")
    if stats.get("measured_replies"):
        rate = stats["measured_replies"] / seconds
        size = stats.get("reply_bytes", 0) / max(1, stats.get("replies", 1))
        parts.append(f"{rate:,.0f} replies/s of {size / 1000:,.1f} kB on average")
    if stats.get("statuses"):
        parts.append(
            "HTTP " + ", ".join(f"{k} {v:,}" for k, v in sorted(stats["statuses"].items()))
        )
    if stats.get("errors"):
        parts.append(f"{stats['errors']:,} failed connects")
    if stats.get("measured_cpu_seconds"):
        parts.append(f"generator at {stats['measured_cpu_seconds'] / seconds:.0%} of a core")
    if stats.get("settle_seconds", 0.0) > 1.0:
        parts.append(f"the server busy {stats['settle_seconds']:.1f} s after it")
    return ", ".join(parts)


def format_amplification_row(row: AmplificationRow) -> str:
    if row.worst is None:
        return f"{row.label:<44} {row.note or 'no reply'}"
    w = row.worst
    edns = str(w.payload) if w.payload else "none"
    line = f"{row.label:<44} {w.name:<24} {w.qtype:<5} {edns:>5} {w.query_bytes:>5} "
    line += f"{w.reply_bytes:>6} {w.ratio:>6.1f}" + ("  TC" if w.truncated else "")
    if row.unanswered:
        line += f"  ({row.unanswered} of {row.queries} unanswered)"
    return line


def format_report(report: HostileReport) -> str:
    lines = [
        f"== hostile rows: {report.record_sets:,} record sets + {zonegen.HOSTILE_ZONE}, "
        f"{report.seconds} s runs =="
    ]
    if report.rates:
        lines += _format_rates(report)
    if report.floods:
        lines += _format_floods(report)
    if report.amplification:
        lines += _format_amplification(report)
    return "\n".join(lines)


def _format_rates(report: HostileReport) -> list[str]:
    lines = [
        f"worst name's rate (dnsperf {' '.join(bench.DNSPERF_SETTINGS)}; target: the worst at "
        f"least {RATE_TARGET:.0%} of static A)",
    ]
    header = f"{'question':<42} {'q/s':>9} {'static':>7} {'avg ms':>8} {'p99 ms':>8} "
    header += f"{'reply B':>7} {'lost':>7}"
    lines += [header, "-" * len(header), *(format_rate_row(row) for row in report.rates)]
    worst = worst_rate(report.rates)
    if worst is not None:
        lines.append(
            f"worst: {worst.label}, {worst.result.qps:,.0f} q/s = {_pct(worst.share)} of static "
            f"A's {_baseline_qps(report.rates) or 0:,.0f} (the faster run): "
            f"{verdict(worst.share, RATE_TARGET, at_least=True)}"
        )
    lines.append(
        f"RSS {report.rss_mb_before_rates:.0f} MB before these runs, "
        f"{report.rss_mb_after_rates:.0f} MB after"
    )
    return lines


def _format_floods(report: HostileReport) -> list[str]:
    lines = [
        "",
        f"UDP p99 of static A at {report.flood_qps:,} q/s under floods (TCP cap "
        f"{report.tcp_cap:,}, admin cap {report.admin_cap:,}; target: within {P99_TARGET:.0f}x "
        "of idle)",
    ]
    header = f"{'load':<52} {'p99 ms':>8} {'x idle':>7} {'avg ms':>8} {'lost':>7}  flood"
    lines += [header, "-" * len(header), *(format_flood_row(row) for row in report.floods)]
    flood = worst_flood(report.floods)
    if flood is not None:
        shown = "inf" if math.isinf(flood.ratio or 0.0) else f"{flood.ratio:.1f}x"
        lines.append(
            f"worst: {flood.label}, {shown} idle: "
            f"{verdict(flood.ratio, P99_TARGET, at_least=False)}"
        )
    return lines


def _format_amplification(report: HostileReport) -> list[str]:
    lines = [
        "",
        "worst amplification over UDP (reply bytes / query bytes, every name x "
        f"{len(AMPLIFICATION_TYPES)}+ types, EDNS {EDNS_PAYLOAD} and none; target: at most "
        f"{AMPLIFICATION_TARGET:.0f} with the guard)",
    ]
    header = f"{'server':<44} {'name':<24} {'type':<5} {'EDNS':>5} {'in B':>5} {'out B':>6} "
    header += f"{'ratio':>6}"
    lines += [header, "-" * len(header)]
    for row in report.amplification:
        line = format_amplification_row(row)
        if GUARD_FLAG in row.label and row.worst is not None:
            line += "  " + verdict(row.worst.ratio, AMPLIFICATION_TARGET, at_least=False)
        lines.append(line)
    return lines


def to_json(report: HostileReport) -> dict[str, Any]:
    entry = asdict(report)
    entry["rates"] = [
        {"question": row.label, "share_of_static": row.share, "note": row.note} | asdict(row.result)
        for row in report.rates
    ]
    worst = worst_rate(report.rates)
    entry["worst_rate"] = None if worst is None else {
        "question": worst.label, "qps": worst.result.qps, "share_of_static": worst.share,
        "static_qps": _baseline_qps(report.rates),
        "target": RATE_TARGET, "verdict": verdict(worst.share, RATE_TARGET, at_least=True),
    }  # fmt: skip
    idle = idle_p99(report.floods)
    entry["floods"] = [
        {
            "load": row.label,
            "p99_counting_lost": _finite(p99_counting_lost(row.result)),
            "ratio_to_idle": _finite(row.ratio),
            "flood": row.flood,
            "note": row.note,
        }
        | asdict(row.result)
        for row in report.floods
    ]
    flood = worst_flood(report.floods)
    entry["worst_flood"] = None if flood is None else {
        "load": flood.label, "idle_p99": idle, "ratio_to_idle": _finite(flood.ratio),
        "target": P99_TARGET, "verdict": verdict(flood.ratio, P99_TARGET, at_least=False),
    }  # fmt: skip
    entry["amplification"] = [
        {
            "server": row.label,
            "worst": None if row.worst is None else _amp(row.worst),
            "top": [_amp(sample) for sample in row.top],
            "queries": row.queries,
            "unanswered": row.unanswered,
            "note": row.note,
        }
        | (
            {"verdict": verdict(row.worst.ratio, AMPLIFICATION_TARGET, at_least=False)}
            if GUARD_FLAG in row.label and row.worst is not None
            else {}
        )
        for row in report.amplification
    ]
    entry["targets"] = {
        "rate_share_at_least": RATE_TARGET,
        "p99_ratio_at_most": P99_TARGET,
        "amplification_with_guard_at_most": AMPLIFICATION_TARGET,
    }
    return entry


def _baseline_qps(rows: Sequence[RateRow]) -> float | None:
    baseline = static_baseline(rows)
    return None if baseline is None else baseline.qps


def _amp(sample: Amplification) -> dict[str, Any]:
    return asdict(sample) | {"ratio": sample.ratio}


def _finite(value: float | None) -> float | str | None:
    """JSON has no infinity: "inf" instead."""
    return "inf" if value is not None and math.isinf(value) else value


STARTED = time.monotonic()


def _log(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {text}", file=sys.stderr, flush=True)


# --- the flood generator (runs in a process of its own) -----------------------------------------

RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


@dataclass
class FloodCounts:
    """What a flood did; `measured_*` and the latencies cover the time from `ready` to the stop."""

    kind: str
    opened: int = 0
    closed_by_server: int = 0
    errors: int = 0
    replies: int = 0
    reply_bytes: int = 0
    truncated: int = 0
    lost: int = 0  # queries outstanding on a connection the server closed
    rcodes: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    measured_replies: int = 0
    measured_seconds: float = 0.0
    latency_avg: float = 0.0
    latency_p99: float | None = None
    latency_max: float = 0.0
    measured_cpu_seconds: float = 0.0  # its own CPU meanwhile: near measured_seconds, the limit


class _State:
    def __init__(self) -> None:
        self.measuring = False
        self.latencies: list[float] = []


def flood(spec: dict[str, Any]) -> None:
    """Run one flood until standard input closes or spec["seconds"] pass; print `ready` once it
    is flooding, and its counts (`FloodCounts`, JSON) when it stops.

    kinds: `busy` (a CPU loop, no traffic: the control), `tcp` (spec["connections"] DNS TCP
    connections asking spec["questions"] ([name, type] pairs) in turn, spec["outstanding"]
    queries outstanding on each, default 1), `tcp-idle` (connections that send nothing,
    reopened when closed), `slowloris` (admin connections sending a header byte a second,
    reopened when closed), `admin` (kept-alive connections asking spec["paths"] in turn).
    spec["background"] (default true): a flood yields its core to dnsperf (`_background`); a
    load generator does not.
    """
    if spec.get("background", True):
        _background()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    counts = FloodCounts(spec["kind"])
    if spec["kind"] == "busy":
        _busy(spec["seconds"], counts)
        _print_counts(counts, _State())
        return
    try:
        import uvloop

        runner: Callable[[Any], Any] = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(_flood(spec, counts))


def _background() -> None:
    """Yield the core to anything else on it: SCHED_IDLE (normal tasks preempt it on waking),
    else nice 19."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(19)


def _print_counts(counts: FloodCounts, state: _State) -> None:
    if state.latencies:
        counts.latency_avg = sum(state.latencies) / len(state.latencies)
        counts.latency_p99 = bench.percentile(state.latencies, 99)
        counts.latency_max = max(state.latencies)
    print(json.dumps(asdict(counts)), flush=True)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _busy(seconds: float, counts: FloodCounts) -> None:
    print("ready", flush=True)
    began, cpu = time.monotonic(), _cpu_seconds()
    while time.monotonic() < began + seconds:
        for _ in range(100_000):
            pass
        if select.select([sys.stdin], [], [], 0)[0]:
            break
    counts.measured_seconds = time.monotonic() - began
    counts.measured_cpu_seconds = _cpu_seconds() - cpu


async def _flood(spec: dict[str, Any], counts: FloodCounts) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # The parent writes nothing: the read returns when it closes the pipe (a thread, since an
    # event loop's reader on a pipe is not told of its end on every loop).
    threading.Thread(
        target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True
    ).start()
    kind, count = spec["kind"], spec["connections"]
    worker = {"tcp": _tcp_queries, "tcp-idle": _idle, "slowloris": _slowloris, "admin": _admin}
    connecting = asyncio.Semaphore(64)
    ready = asyncio.Event()
    state = _State()
    first: set[int] = set()

    def opened(slot: int) -> None:
        counts.opened += 1
        first.add(slot)
        if len(first) >= count:
            ready.set()

    flooders = [
        asyncio.create_task(worker[kind](spec, slot, counts, state, connecting, opened))
        for slot in range(count)
    ]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), FLOOD_RAMP)
    state.measuring = True
    replies, began, cpu = counts.replies, time.monotonic(), _cpu_seconds()
    print("ready", counts.opened, flush=True)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), spec["seconds"])
    counts.measured_replies = counts.replies - replies
    counts.measured_seconds = time.monotonic() - began
    counts.measured_cpu_seconds = _cpu_seconds() - cpu
    _print_counts(counts, state)
    # Nothing after the counts matters: end at once (the kernel closes the connections), rather
    # than wait for hundreds of cancelled connections to wind down.
    del flooders
    os._exit(0)


Opened = Callable[[int], None]
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _connect(port: int, connecting: asyncio.Semaphore, counts: FloodCounts) -> Streams:
    """A connection to 127.0.0.1:port, trying again (after 50 ms) until one opens."""
    while True:
        async with connecting:
            try:
                return await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                counts.errors += 1
        await asyncio.sleep(0.05)


async def _tcp_queries(
    spec: dict[str, Any],
    slot: int,
    counts: FloodCounts,
    state: _State,
    connecting: asyncio.Semaphore,
    opened: Opened,
) -> None:
    packets = [bytes.fromhex(packet) for packet in spec.get("packets", ())]
    packets += [wire_query(name, qtype) for name, qtype in spec.get("questions", ())]
    questions = itertools.cycle(packets[slot % len(packets) :] + packets[: slot % len(packets)])
    while True:
        reader, writer = await _connect(spec["port"], connecting, counts)
        opened(slot)
        sent: dict[int, float] = {}
        try:
            await _ask(reader, writer, questions, spec.get("outstanding", 1), sent, counts, state)
        except (OSError, asyncio.IncompleteReadError):
            counts.closed_by_server += 1
            counts.lost += len(sent)
        finally:
            writer.close()


async def _ask(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    questions: Iterator[bytes],
    outstanding: int,
    sent: dict[int, float],
    counts: FloodCounts,
    state: _State,
) -> None:
    """Keep `outstanding` queries in flight on one connection, a new one for each reply."""
    idents = itertools.count(1)
    for _ in range(outstanding):
        _send(writer, next(questions), next(idents) % 65536, sent)
    while True:
        size = struct.unpack("!H", await reader.readexactly(2))[0]
        reply = await reader.readexactly(size)
        began = sent.pop(int.from_bytes(reply[:2], "big"), None)
        counts.replies += 1
        counts.reply_bytes += size
        counts.truncated += bool(reply[2] & 0x02)
        rcode = RCODE_NAMES.get(reply[3] & 0x0F, str(reply[3] & 0x0F))
        counts.rcodes[rcode] = counts.rcodes.get(rcode, 0) + 1
        if state.measuring and began is not None:
            state.latencies.append(time.perf_counter() - began)
        _send(writer, next(questions), next(idents) % 65536, sent)


def _send(writer: asyncio.StreamWriter, packet: bytes, ident: int, sent: dict[int, float]) -> None:
    writer.write(struct.pack("!HH", len(packet), ident) + packet[2:])
    sent[ident] = time.perf_counter()


async def _idle(
    spec: dict[str, Any],
    slot: int,
    counts: FloodCounts,
    state: _State,
    connecting: asyncio.Semaphore,
    opened: Opened,
) -> None:
    while True:
        reader, writer = await _connect(spec["port"], connecting, counts)
        opened(slot)
        with contextlib.suppress(OSError):
            await reader.read(1)  # b"" once the server closes it
        counts.closed_by_server += 1
        writer.close()


SLOW_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


async def _slowloris(
    spec: dict[str, Any],
    slot: int,
    counts: FloodCounts,
    state: _State,
    connecting: asyncio.Semaphore,
    opened: Opened,
) -> None:
    while True:
        reader, writer = await _connect(spec["port"], connecting, counts)
        opened(slot)
        with contextlib.suppress(OSError):
            writer.write(SLOW_REQUEST)
            while True:
                try:
                    if not await asyncio.wait_for(reader.read(4096), 1.0):
                        break  # closed by the server
                except TimeoutError:
                    writer.write(b"a")  # one more byte of a header that never ends
        counts.closed_by_server += 1
        writer.close()


async def _admin(
    spec: dict[str, Any],
    slot: int,
    counts: FloodCounts,
    state: _State,
    connecting: asyncio.Semaphore,
    opened: Opened,
) -> None:
    paths: list[str] = spec["paths"]
    turn = slot
    while True:
        reader, writer = await _connect(spec["port"], connecting, counts)
        opened(slot)
        try:
            while True:
                path = paths[turn % len(paths)]
                turn += 1
                began = time.perf_counter()
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                status, body = await _http_reply(reader)
                counts.statuses[status] = counts.statuses.get(status, 0) + 1
                counts.replies += 1
                counts.reply_bytes += body
                if state.measuring:
                    state.latencies.append(time.perf_counter() - began)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            counts.closed_by_server += 1
        finally:
            writer.close()


async def _http_reply(reader: asyncio.StreamReader) -> tuple[str, int]:
    """(status, body bytes) of one HTTP/1.1 reply with a Content-Length (aiohttp's replies)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split()[1]
    lengths = [
        line.split(":", 1)[1] for line in lines if line.lower().startswith("content-length:")
    ]
    if not lengths:
        raise ValueError(f"no Content-Length: {lines[0]}")
    await reader.readexactly(int(lengths[0]))
    return status, int(lengths[0])


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "flood":
        raise SystemExit(__doc__)
    flood(json.loads(args[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
