"""Soak: r53emu at half its peak rate for an hour while its zones and health checks change.

    .venv/bin/python benchmarks/soak.py                                     # 60 minutes
    .venv/bin/python benchmarks/soak.py --seconds 30 --sample 5 --every 2 \
        --peak-seconds 2 --load python            # CI (tests/integration/test_soak.py): 45 s

It writes a zones directory (benchmarks/soakzones.py: the benchmark zone of zonegen.py, a few
thousand record sets over every routing policy, plus small zones that are edited, deleted and
restored, and failover names whose health checks probe the soak's own HTTP and TCP targets on
127.0.0.1), starts `r53emu serve` on it (watching it; server on core 1 and load on core 0 when
`taskset` exists), measures the peak rate for a few seconds, then asks every family, with and
without EDNS Client Subnet, and names that don't exist, at half that rate. Every `--every`
seconds meanwhile, in turn: a zone file is edited (the watcher must serve the edit), a zone file
deleted (then written back), a health check's targets flipped down (then up), `POST /reload`.

Every `--sample` seconds it reads the server's RSS and descriptors (/proc/PID) and, from
`GET /metrics`, its asyncio tasks, its reply cache's size, SERVFAILs and reloads (the least of
5 readings 0.2 s apart, taken while no disturbance is in progress), and prints a line. At the
end, a verdict (exit status 1 if it fails): no errors (no SERVFAIL or other unexpected rcode,
no reload failure, no disturbance that did not take effect, no error logged, the watcher serving
a last edit) and queries lost within LOST_TOLERANCE; and RSS, descriptors, tasks and the cache's
entries and bytes flat, every sample from the baseline (the first at or after `--warmup`
seconds, a third of the run at most) to the end within 5 % of the baseline. `--json PATH` writes
every figure.

The load is dnsperf's when it is on PATH (`scripts/setup --with-dig` installs it), else this
directory's Python generator (benchmarks/soakload.py; `--load` chooses); the output names it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import soakzones, zonegen
from benchmarks.authoritative import SERVER_CORE, pinned
from benchmarks.soakload import DnsperfLoad, PythonLoad, Segment
from benchmarks.soakserver import Reading, logged, read_once, read_server, start_server
from benchmarks.soakzones import Disturber, Targets

TOLERANCE = 0.05  # flat: every sample within 5 % of the baseline
# Lost queries allowed, as a share of those sent. The load keeps at most 100 queries unanswered
# (benchmarks/soakload.py), fewer than the server's socket buffer holds, so the kernel cannot
# drop one (the soak reads the socket's drop count to show it): a lost query had no reply
# within 5 s (dnsperf's timeout). On a machine of its own that is none. One in a million lets
# an hour on a shared machine (36-180 million queries) survive one stall of 5 s of the whole
# window (a neighbour or the hypervisor taking the core) and fails a run losing a query or more
# per reload; a 30-second run (a few hundred thousand queries) is allowed none.
LOST_TOLERANCE = 1e-6
EXPECTED_RCODES = frozenset({"NOERROR", "NXDOMAIN"})
# What must stay flat, with the slack each is allowed beyond TOLERANCE: one for the counts.
FLAT_FIELDS = {"rss_mb": 0, "fds": 1, "tasks": 1, "cache_entries": 0, "cache_mb": 0}


@dataclass
class Row:
    at: float  # seconds into the soak, at the end of the segment
    segment: Segment
    reading: Reading
    unexpected: dict[str, int] = field(default_factory=dict)  # rcodes but NOERROR, NXDOMAIN
    new_servfail: int = 0  # since the previous sample, as the server counts them
    new_reload_failures: int = 0

    @property
    def errors(self) -> int:
        return sum(self.unexpected.values()) + self.new_servfail + self.new_reload_failures


@dataclass
class Flatness:
    """How far a series strays from its baseline (the value of the first sample counted)."""

    baseline: float
    last: float
    low: float  # the least and greatest value over baseline, minus 1
    high: float
    ok: bool

    @property
    def change(self) -> float:
        return self.last / self.baseline - 1 if self.baseline else 0.0


def flatness(values: Sequence[float], tolerance: float = TOLERANCE, slack: float = 0) -> Flatness:
    """Flat if every value is within `tolerance` of the first (a share: 0.05 is 5 %), or within
    `slack` of it (counts: 5 % of 19 descriptors is less than one)."""
    if not values:
        raise ValueError("no values")
    baseline = values[0]
    allowed = max(tolerance * abs(baseline), slack)
    ok = all(abs(value - baseline) <= allowed for value in values)
    if baseline == 0:
        shares = [0.0 if value == 0 else math.inf for value in values]
    else:
        shares = [value / baseline - 1 for value in values]
    return Flatness(baseline, values[-1], min(shares), max(shares), ok)


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Settings:
    seconds: float
    sample: float
    every: float
    warmup: float
    record_sets: int
    load: str  # "dnsperf", "python" or "auto"
    peak_seconds: float
    rate: float | None  # fixed; None: half the peak


@dataclass
class Report:
    settings: Settings
    load: str = ""
    peak: Segment | None = None
    rate: float = 0.0
    startup_s: float = 0.0
    rows: list[Row] = field(default_factory=list)
    actions: list[soakzones.Action] = field(default_factory=list)
    final_edit: soakzones.Action | None = None
    log_levels: dict[str, int] = field(default_factory=dict)
    errors_logged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what failed the run, if anything
    flat: dict[str, Flatness] = field(default_factory=dict)
    baseline_at: float | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


def choose_load(
    settings: Settings, port: int, workdir: Path, lines: list[str]
) -> DnsperfLoad | PythonLoad:
    dnsperf = shutil.which("dnsperf")
    if settings.load == "dnsperf" and dnsperf is None:
        raise SystemExit("--load dnsperf: dnsperf is not on PATH (scripts/setup --with-dig)")
    queries = workdir / "queries.txt"
    queries.write_text("\n".join(lines) + "\n")
    if dnsperf is not None and settings.load != "python":
        return DnsperfLoad(dnsperf, port, queries, zonegen.FRANKFURT_SUBNET)
    # One file for one process: every line without ECS, then with it.
    both = workdir / "queries-ecs.txt"
    with_ecs = [f"{line} {zonegen.FRANKFURT_SUBNET}" for line in lines]
    both.write_text("\n".join(lines + with_ecs) + "\n")
    return PythonLoad(port, both)


async def soak(settings: Settings, workdir: Path) -> Report:
    """The whole run; the server and the targets are stopped whatever happens (SIGTERM and
    SIGINT included: they cancel the run)."""
    main = asyncio.current_task()
    assert main is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
    report = Report(settings)
    targets = Targets()
    await targets.start()
    zones = workdir / "zones"
    zones.mkdir()
    lines = soakzones.write_zones(zones, settings.record_sets, targets.http_port, targets.tcp_port)
    began = time.monotonic()
    # From this thread (the orphan guard's signal follows the thread that started it); the
    # targets wait meanwhile, a second at most.
    server, port, admin = start_server(zones)
    try:
        if not await soakzones.until(lambda: _answers(port), 30):
            raise SystemExit("the server does not answer")
        report.startup_s = time.monotonic() - began
        load = choose_load(settings, port, workdir, lines)
        report.load = load.name
        print(f"load: {load.name}; measuring the peak for {settings.peak_seconds:g} s ...")
        await load.run(0, 1.0)  # every question once: the peak is measured on a warm cache
        report.peak = await load.run(0, settings.peak_seconds)
        report.rate = settings.rate or report.peak.qps / 2
        print(
            f"peak: {report.peak.qps:,.0f} q/s answered; soak at {report.rate:,.0f} q/s "
            f"for {settings.seconds:g} s, a sample every {settings.sample:g} s, "
            f"a disturbance every {settings.every:g} s",
            flush=True,
        )
        try:
            await run_samples(report, load, server.pid, port, admin, zones, targets)
        except (OSError, aiohttp.ClientError, RuntimeError, TimeoutError) as exc:
            report.problems.append(f"the run broke off: {type(exc).__name__}: {exc}")
        if server.popen.poll() is not None:
            report.problems.append(f"the server exited ({server.popen.returncode})")
    finally:
        server.stop()
        await targets.close()
    levels = logged(server)
    report.log_levels = {level: len(messages) for level, messages in levels.items()}
    report.errors_logged = levels.get("ERROR", []) + levels.get("CRITICAL", [])
    judge(report)
    return report


async def _answers(port: int) -> bool:
    return await soakzones.ask(port, "s0.bench.test.", "A") is not None


async def run_samples(
    report: Report,
    load: DnsperfLoad | PythonLoad,
    pid: int,
    port: int,
    admin: str,
    zones: Path,
    targets: Targets,
) -> None:
    """Segments of load back to back, a sample at the end of each (taken while the next one
    runs), the disturbances meanwhile; then the last edit, with no load."""
    settings = report.settings
    lock = asyncio.Lock()

    async def cache_entries() -> float | None:
        return (await read_once(pid, admin, port)).cache_entries

    disturber = Disturber(zones, port, admin, targets, lock, settings.every, cache_entries)
    report.actions = disturber.actions
    stop = asyncio.Event()
    disturbing = asyncio.create_task(disturber.run(stop))
    print(header(), flush=True)
    began = time.monotonic()
    previous: list[Reading] = []

    async def sample(at: float, segment: Segment, before: asyncio.Task[None] | None) -> None:
        reading = await read_server(pid, admin, port, lock)
        if before is not None:
            await before  # rows in order
        unexpected = {k: n for k, n in segment.rcodes.items() if k not in EXPECTED_RCODES}
        last = previous[-1] if previous else None
        row = Row(
            at,
            segment,
            reading,
            unexpected,
            reading.servfail - (last.servfail if last else 0),
            reading.reload_failures - (last.reload_failures if last else 0),
        )
        previous.append(reading)
        report.rows.append(row)
        print(format_row(row), flush=True)

    count = max(1, round(settings.seconds / settings.sample))
    length = settings.seconds / count
    sampling: asyncio.Task[None] | None = None

    def disturber_failed() -> bool:
        return disturbing.done() and not stop.is_set()

    try:
        async with contextlib.aclosing(load.segments(report.rate, length, count)) as segments:
            n = 0
            async for segment in segments:
                n += 1
                if n == count - 1:
                    stop.set()  # the last segment without disturbances: its sample sees the end
                sampling = asyncio.create_task(sample(time.monotonic() - began, segment, sampling))
                if disturber_failed():
                    break
        if sampling is not None:
            await sampling
    finally:
        stop.set()
        await disturbing  # raises what the disturber raised, if anything
    # No load from here on: no cache to wait for.
    if disturber.gone:  # the run ended between a deletion and its restore
        await disturber.act("restore", refill=False)
    # The watcher survived it all: one more edit, served within EFFECT_TIMEOUT.
    report.final_edit = await disturber.act("edit", refill=False)


def judge(report: Report) -> None:
    """The verdict's checks; what fails goes to `report.problems`."""
    problems, rows = report.problems, report.rows
    if len(rows) < 2:
        problems.append(f"{len(rows)} sample(s): too short to judge (at least 2)")
        return
    sent = sum(row.segment.sent for row in rows)
    lost = sum(row.segment.lost for row in rows)
    if lost > LOST_TOLERANCE * sent:
        problems.append(f"{lost:,} of {sent:,} queries lost (over {LOST_TOLERANCE:.4%})")
    unexpected: dict[str, int] = {}
    for row in rows:
        for code, n in row.unexpected.items():
            unexpected[code] = unexpected.get(code, 0) + n
    if unexpected:
        problems.append(
            "unexpected rcodes: " + ", ".join(f"{k} {n}" for k, n in unexpected.items())
        )
    last = rows[-1].reading
    if last.servfail:
        problems.append(f"the server answered {last.servfail} SERVFAIL")
    if last.reload_failures:
        problems.append(f"{last.reload_failures} reload(s) failed (r53emu_reload_failures_total)")
    failed = [a for a in report.actions if not a.ok]
    for action in failed:
        problems.append(f"{action.kind} at {action.at:.0f} s did not take effect ({action.note})")
    if report.final_edit is None or not report.final_edit.ok:
        problems.append("the watcher did not serve the last edit")
    for message in report.errors_logged[:5]:
        problems.append(f"the server logged an error: {message}")
    warmup = min(report.settings.warmup, report.settings.seconds / 3)
    start = next((n for n, row in enumerate(rows) if row.at >= warmup), len(rows) - 1)
    if start >= len(rows) - 1:
        start = max(0, len(rows) - 2)
    report.baseline_at = rows[start].at
    for name, slack in FLAT_FIELDS.items():
        values = [getattr(row.reading, name) for row in rows[start:]]
        if None in values:
            problems.append(f"{name}: not in GET /metrics (this r53emu lacks the gauge)")
            continue
        report.flat[name] = flat = flatness(values, TOLERANCE, slack)
        if not flat.ok:
            problems.append(
                f"{name} not flat: {flat.baseline:g} -> {flat.last:g} "
                f"({flat.low:+.1%} .. {flat.high:+.1%})"
            )


# --- the report ----------------------------------------------------------------------------------


COLUMNS = (
    ("minute", 7), ("q/s", 8), ("lost", 6), ("errors", 6), ("RSS MB", 7), ("fds", 4),
    ("tasks", 5), ("cache", 7), ("cache MB", 8),
)  # fmt: skip


def header() -> str:
    return " ".join(f"{name:>{width}}" for name, width in COLUMNS)


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_row(row: Row) -> str:
    r = row.reading
    minute = f"{int(row.at // 60)}:{int(row.at % 60):02d}"
    errors = row.errors
    cells = (
        minute, f"{row.segment.qps:,.0f}", f"{row.segment.lost:,}", f"{errors:,}",
        f"{r.rss_mb:.1f}", str(r.fds), _num(r.tasks, ".0f"), _num(r.cache_entries, ",.0f"),
        _num(r.cache_mb, ".2f"),
    )  # fmt: skip
    return " ".join(f"{cell:>{width}}" for cell, (_name, width) in zip(cells, COLUMNS, strict=True))


def format_verdict(report: Report) -> str:
    rows = report.rows
    sent = sum(row.segment.sent for row in rows)
    lost = sum(row.segment.lost for row in rows)
    kinds: dict[str, int] = {}
    for action in report.actions:
        kinds[action.kind] = kinds.get(action.kind, 0) + 1
    done = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
    last = rows[-1].reading if rows else None
    lines = [
        f"load: {report.load}, peak {report.peak.qps if report.peak else 0:,.0f} q/s, "
        f"soak at {report.rate:,.0f} q/s; startup {report.startup_s:.2f} s",
        f"queries: {sent:,} sent, {lost:,} lost ({lost / sent if sent else 0:.5%}; "
        f"allowed {LOST_TOLERANCE:.4%})",
        f"disturbances: {len(report.actions)} ({done}), "
        f"{sum(not a.ok for a in report.actions)} without effect",
        *format_actions(report.actions),
    ]
    if rows and report.rate:
        slowest = min(rows, key=lambda row: row.segment.qps)
        lines.append(
            f"slowest sample: {slowest.segment.qps:,.0f} q/s answered "
            f"({slowest.segment.qps / report.rate:.0%} of the rate; a reload empties the reply "
            f"cache); worst latency {max(row.segment.max_latency for row in rows) * 1000:,.0f} ms"
            f"; kernel drops at the server's socket: {rows[-1].reading.udp_drops}"
        )
    if last is not None:
        lines.append(
            f"server: {last.servfail} SERVFAIL, {last.reloads} reloads, {last.reload_failures} "
            f"failed; log lines by level: {report.log_levels}"
        )
    if report.final_edit is not None:
        lines.append(
            f"last edit ({report.final_edit.note}) served by the watcher after "
            f"{report.final_edit.seconds:.2f} s: {'yes' if report.final_edit.ok else 'NO'}"
        )
    if report.baseline_at is not None:
        at = report.baseline_at
        lines.append(f"flat within {TOLERANCE:.0%} from {int(at // 60)}:{int(at % 60):02d}:")
    for name, flat in report.flat.items():
        lines.append(
            f"  {name:<13} {flat.baseline:>10,.2f} -> {flat.last:>10,.2f}  {flat.change:+.1%} "
            f"(range {flat.low:+.1%} .. {flat.high:+.1%})  {'ok' if flat.ok else 'NOT FLAT'}"
        )
    lines += [f"  problem: {problem}" for problem in report.problems]
    lines.append("verdict: PASS" if report.passed else "verdict: FAIL")
    return "\n".join(lines)


def format_actions(actions: Sequence[soakzones.Action]) -> list[str]:
    """Per kind of disturbance: how many, how long until answered, until the cache refilled."""
    lines = []
    for kind in sorted({action.kind for action in actions}):
        mine = [action for action in actions if action.kind == kind]
        effect = [action.seconds for action in mine]
        refill = [a.refill_seconds for a in mine if a.refill_seconds is not None]
        line = (
            f"  {kind:<8} {len(mine):>4}  answered after median {statistics.median(effect):.2f} s,"
            f" max {max(effect):.2f} s"
        )
        if refill:
            line += (
                f"; cache refilled after median {statistics.median(refill):.2f} s, "
                f"max {max(refill):.2f} s"
            )
        lines.append(line)
    return lines


def to_json(report: Report, argv: Sequence[str]) -> dict[str, Any]:
    def segment(seg: Segment) -> dict[str, Any]:
        return asdict(seg) | {"qps": seg.qps}

    return {
        "command": ["benchmarks/soak.py", *argv],
        "settings": asdict(report.settings),
        "load": report.load,
        "pinned": pinned(SERVER_CORE, ["x"]) != ["x"],
        "peak": segment(report.peak) if report.peak else None,
        "rate": report.rate,
        "startup_s": report.startup_s,
        "lost_tolerance": LOST_TOLERANCE,
        "flat_tolerance": TOLERANCE,
        "samples": [
            {"at": row.at, "unexpected_rcodes": row.unexpected}
            | {"load": segment(row.segment)}
            | asdict(row.reading)
            for row in report.rows
        ],
        "actions": [asdict(action) for action in report.actions],
        "baseline_at": report.baseline_at,
        "flat": {
            name: asdict(flat) | {"change": flat.change} for name, flat in report.flat.items()
        },
        "log_levels": report.log_levels,
        "errors_logged": report.errors_logged,
        "problems": report.problems,
        "passed": report.passed,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length (default 60)")
    parser.add_argument("--seconds", type=float, help="length in seconds (instead of --minutes)")
    parser.add_argument("--sample", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--every", type=float, default=20.0, help="seconds between disturbances")
    parser.add_argument(
        "--warmup", type=float, default=60.0, help="the baseline is the first sample after this"
    )
    parser.add_argument("--record-sets", type=int, default=3000, help="benchmark zone size")
    parser.add_argument("--load", choices=("auto", "dnsperf", "python"), default="auto")
    parser.add_argument("--peak-seconds", type=float, default=10.0, help="the peak's run")
    parser.add_argument("--rate", type=float, help="queries a second (default: half the peak)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    if seconds <= 0 or args.sample <= 0 or args.every <= 0:
        raise SystemExit("--minutes/--seconds, --sample and --every must be positive")
    smallest = zonegen.CYCLE_SIZE + zonegen.APEX_RECORD_SETS
    if args.record_sets < smallest:
        raise SystemExit(f"--record-sets: at least {smallest} (one cycle of every family)")
    settings = Settings(
        seconds, args.sample, args.every, args.warmup, args.record_sets, args.load,
        args.peak_seconds, args.rate,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="r53emu-soak-") as workdir:
        report = asyncio.run(soak(settings, Path(workdir)))
    if args.json:  # first: the figures are kept even if standard output is gone (`| head`)
        figures = to_json(report, list(argv if argv is not None else sys.argv[1:]))
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(format_verdict(report), flush=True)
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
