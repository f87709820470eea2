"""Benchmark: r53emu's answering speed against the Python ceiling, per zone size and query mix.

    .venv/bin/python benchmarks/authoritative.py [--quick] [--sizes 1k,10k,100k] [--json FILE]

For each zone size it generates a zones directory (benchmarks/zonegen.py: every routing policy,
health checks, client locations), measures the ceiling (benchmarks/ceiling.py, a uvloop responder of
precomputed bytes) before and after r53emu on the same queries, all driven by dnsperf with the
settings of docs/performance.md's anchors (`-c 16 -T 1 -q 100`, open loop), the server pinned to
core 1 and dnsperf to core 0 when `taskset` exists. It prints one table per size (queries/s, ratio
to the better ceiling run, average and p99 latency, queries lost), then r53emu's startup time
(process start to first answer), resident memory, reload time (`POST /reload`), and what a client
asking 1,000 q/s saw during one more reload. Then the hostile rows (benchmarks/hostile.py, on the
smallest size; `--no-hostile` leaves them out, `--hostile-only` runs nothing else, `--hostile-rows`
chooses among them): the most
expensive questions' rates next to static A, UDP p99 under TCP and admin floods, and the worst
amplification over UDP. Everything stays on 127.0.0.1.

dnsperf (Debian's `dnsperf` package) is found on PATH, or installed with apt-get when running as
root. p99 comes from dnsperf's per-query lines (`-v`), written to a file; `--no-p99` leaves them
out (the ceiling and r53emu are always measured the same way, so ratios stay comparable).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from ipaddress import ip_network
from pathlib import Path
from typing import IO, Any, NoReturn

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    # benchmarks/hostile.py imports this module: let it find this run of it, not a second copy.
    sys.modules.setdefault("benchmarks.authoritative", sys.modules[__name__])

from benchmarks import zonegen

HERE = Path(__file__).resolve().parent
SERVER_CORE = "1"
LOADGEN_CORE = "0"
DNSPERF_SETTINGS = ("-c", "16", "-T", "1", "-q", "100")  # as docs/performance.md's anchors
ECS_OPTION_CODE = 8  # EDNS Client Subnet (RFC 7871)
STARTUP_TIMEOUT = 600.0  # seconds; 100k record sets load in tens of seconds today
RATED_QPS = 20_000  # the latency target: p99 < 1 ms at 20k q/s
RELOAD_LOAD_QPS = 1000  # a steady client during a reload: does it see errors or stalls?
LOAD_MARGIN = 1.0  # seconds of that load before and after the reload
SOAK_SAMPLE = 10.0  # seconds between RSS readings during a soak
SOAK_MINUTE = 60.0  # the issue compares the RSS at the end with the RSS after the first minute


# --- query mixes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mix:
    """One dnsperf run: which owner names of the generated zone, how they are asked for."""

    label: str
    family: str  # a zonegen family (`ZonePlan.owner_names`)
    qtype: str = "A"
    subnet: str | None = None  # sent as EDNS Client Subnet with every query
    tcp: bool = False
    expected_rcode: str = "NOERROR"


MIXES: tuple[Mix, ...] = (
    Mix("static A", "simple"),
    Mix("weighted", "weighted"),
    Mix("failover + health", "failover"),
    Mix("geolocation + ECS", "geolocation", subnet=zonegen.FRANKFURT_SUBNET),
    Mix("latency + ECS", "latency", subnet=zonegen.FRANKFURT_SUBNET),
    Mix("geoproximity + ECS", "geoproximity", subnet=zonegen.SAN_FRANCISCO_SUBNET),
    Mix("IP-based + ECS", "cidr", subnet=zonegen.SAN_FRANCISCO_SUBNET),
    Mix("multivalue", "multivalue"),
    Mix("NXDOMAIN", "nxdomain", expected_rcode="NXDOMAIN"),
    Mix("static A over TCP", "simple", tcp=True),
)
STATIC = MIXES[0]
# The soak asks for every owner name of every family (and names that don't exist), with ECS.
SOAK = Mix("soak: every family + ECS", "every", subnet=zonegen.FRANKFURT_SUBNET)
SOAK_FAMILIES = (*(name for name, _, _ in zonegen.FAMILIES), "nxdomain")


def query_lines(plan: zonegen.ZonePlan, mix: Mix) -> list[str]:
    """dnsperf's input: one `name type` line per owner name of the mix's family (`every`:
    of each family in turn)."""
    families = SOAK_FAMILIES if mix.family == "every" else (mix.family,)
    return [f"{name} {mix.qtype}" for family in families for name in plan.owner_names(family)]


def ecs_option(subnet: str) -> str:
    """dnsperf's `-E code:hex` value for an EDNS Client Subnet option carrying `subnet`.

    RFC 7871: family (1 IPv4, 2 IPv6), source prefix length, scope prefix length 0, then the
    address truncated to the bytes the prefix covers.
    """
    network = ip_network(subnet)
    family = 1 if network.version == 4 else 2
    address = network.network_address.packed[: math.ceil(network.prefixlen / 8)]
    payload = family.to_bytes(2, "big") + bytes([network.prefixlen, 0]) + address
    return f"{ECS_OPTION_CODE}:{payload.hex()}"


# --- dnsperf -----------------------------------------------------------------------------------


@dataclass
class DnsperfResult:
    """What one dnsperf run measured (latencies in seconds)."""

    sent: int = 0
    completed: int = 0
    lost: int = 0
    qps: float = 0.0
    avg_latency: float = 0.0
    max_latency: float = 0.0
    p99_latency: float | None = None  # from the per-query lines of `-v`; None without them
    rcodes: dict[str, int] = field(default_factory=dict)
    run_time: float = 0.0
    avg_request_bytes: int = 0  # dnsperf's `Average packet size`
    avg_response_bytes: int = 0

    @property
    def lost_share(self) -> float:
        return self.lost / self.sent if self.sent else 0.0


SUMMARY_PATTERNS: dict[str, re.Pattern[str]] = {
    "sent": re.compile(r"^\s*Queries sent:\s+(\d+)"),
    "completed": re.compile(r"^\s*Queries completed:\s+(\d+)"),
    "lost": re.compile(r"^\s*Queries lost:\s+(\d+)"),
    "qps": re.compile(r"^\s*Queries per second:\s+([\d.]+)"),
    "avg_latency": re.compile(r"^\s*Average Latency \(s\):\s+([\d.]+)"),
    "max_latency": re.compile(r"^\s*Average Latency \(s\):.*max ([\d.]+)\)"),
    "run_time": re.compile(r"^\s*Run time \(s\):\s+([\d.]+)"),
    "avg_request_bytes": re.compile(r"^\s*Average packet size:\s+request (\d+)"),
    "avg_response_bytes": re.compile(r"^\s*Average packet size:.*response (\d+)"),
}
RCODES = re.compile(r"^\s*Response codes:\s+(.*)$")
RCODE_COUNT = re.compile(r"([A-Z]+) (\d+) \(")


def parse_dnsperf(lines: Iterable[str]) -> DnsperfResult:
    """Read dnsperf 2.10's output: the `Statistics:` summary, and with `-v` the per-query lines
    `> RCODE name type seconds` (timeouts `> T ...` carry no latency and are counted as lost by
    the summary), whose 99th percentile becomes `p99_latency`."""
    result = DnsperfResult()
    latencies: list[float] = []
    found: set[str] = set()
    for line in lines:
        if line.startswith("> "):
            fields = line.split()
            if len(fields) == 5 and fields[1] not in ("T", "I"):
                latencies.append(float(fields[4]))
            continue
        for key, pattern in SUMMARY_PATTERNS.items():
            match = pattern.match(line)
            if match:
                value = match.group(1)
                setattr(result, key, float(value) if "." in value else int(value))
                found.add(key)
        codes = RCODES.match(line)
        if codes:
            result.rcodes = {code: int(n) for code, n in RCODE_COUNT.findall(codes.group(1))}
    if "sent" not in found:
        raise ValueError("no `Queries sent:` line: not dnsperf output, or dnsperf failed")
    result.p99_latency = percentile(latencies, 99) if latencies else None
    return result


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `pct` % at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def find_dnsperf() -> str:
    """dnsperf's path; installed with apt-get (Debian's `dnsperf`) when missing and root."""
    found = shutil.which("dnsperf")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(
            "dnsperf is not installed: install Debian's `dnsperf` package "
            "(sudo apt-get install dnsperf) or put dnsperf on PATH, then run again"
        )
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "dnsperf"]
    print("dnsperf not found: apt-get install -y dnsperf", file=sys.stderr)
    if subprocess.run(install, env=env, check=False).returncode != 0:
        # Most often the package lists were never fetched (a fresh container): fetch, retry.
        subprocess.run(["apt-get", "update", "-q"], env=env, check=False)
        subprocess.run(install, env=env, check=False)
    found = shutil.which("dnsperf")
    if not found:
        raise SystemExit("dnsperf could not be installed with apt-get; install it and run again")
    return found


def pinned(core: str, command: Sequence[str]) -> list[str]:
    """`command` pinned to one CPU core with taskset, or as it is where taskset is missing."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        return list(command)
    return ["taskset", "-c", core, *command]


@dataclass(frozen=True)
class Settings:
    dnsperf: str
    seconds: int
    p99: bool
    workdir: Path
    soak: int = 0  # seconds of the soak run (0: none)


def dnsperf_command(
    settings: Settings,
    port: int,
    queries: Path,
    mix: Mix,
    max_qps: int | None = None,
    seconds: float | None = None,
    verbose: bool | None = None,
) -> list[str]:
    """dnsperf's arguments for one run of `mix` against 127.0.0.1:`port`."""
    command = [
        settings.dnsperf, "-s", "127.0.0.1", "-p", str(port), "-d", str(queries),
        "-l", str(seconds or settings.seconds), *DNSPERF_SETTINGS,
    ]  # fmt: skip
    if mix.tcp:
        command += ["-m", "tcp"]
    if mix.subnet:
        command += ["-E", ecs_option(mix.subnet)]
    if max_qps:
        command += ["-Q", str(max_qps)]
    if settings.p99 if verbose is None else verbose:
        command.append("-v")
    return command


def run_dnsperf(
    settings: Settings,
    port: int,
    queries: Path,
    mix: Mix,
    max_qps: int | None = None,
) -> DnsperfResult:
    """One dnsperf run against 127.0.0.1:`port`; its output goes through a file, not a pipe,
    so writing millions of per-query lines costs dnsperf as little as it can."""
    command = dnsperf_command(settings, port, queries, mix, max_qps)
    output = settings.workdir / "dnsperf.out"
    with output.open("w") as out:
        done = subprocess.run(
            pinned(LOADGEN_CORE, command),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=settings.seconds + 60,
            check=False,
        )
    return read_dnsperf_output(output, command, done.returncode)


def read_dnsperf_output(output: Path, command: list[str], returncode: int | None) -> DnsperfResult:
    with output.open() as lines:
        try:
            result = parse_dnsperf(lines)
        except ValueError:
            tail = output.read_text().splitlines()[-20:]
            raise SystemExit(
                f"dnsperf failed (exit {returncode}): {' '.join(command)}\n" + "\n".join(tail)
            ) from None
    output.unlink()
    return result


def reload_under_load(
    settings: Settings, port: int, queries: Path, admin: str
) -> tuple[float, DnsperfResult]:
    """`POST /reload` while dnsperf asks for static A at RELOAD_LOAD_QPS: the reload's wall
    time, and what the client saw throughout (lost queries, worst latency, rcodes)."""
    command = dnsperf_command(
        settings, port, queries, STATIC, RELOAD_LOAD_QPS, seconds=STARTUP_TIMEOUT, verbose=False
    )
    output = settings.workdir / "dnsperf-reload.out"
    with output.open("w") as out:
        load = subprocess.Popen(pinned(LOADGEN_CORE, command), stdout=out, stderr=out)
        try:
            # A benchmark's pacing, not synchronisation: answers before and after the reload.
            time.sleep(LOAD_MARGIN)
            seconds = reload_seconds(admin)
            time.sleep(LOAD_MARGIN)
        finally:
            load.send_signal(signal.SIGINT)  # dnsperf stops and prints its statistics
            load.wait(timeout=60)
    return seconds, read_dnsperf_output(output, command, load.returncode)


@dataclass
class SoakReport:
    """A long run at the peak rate: what dnsperf saw and the server's RSS along the way."""

    seconds: int
    result: DnsperfResult = field(default_factory=DnsperfResult)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (seconds in, MB)

    @property
    def rss_mb_after_minute(self) -> float:
        """The first reading at or after one minute (the first reading in a shorter run)."""
        later = [mb for at, mb in self.rss_mb if at >= SOAK_MINUTE]
        return later[0] if later else self.rss_mb[0][1]

    @property
    def growth(self) -> float:
        """RSS at the end over RSS after the first minute, minus 1."""
        return self.rss_mb[-1][1] / self.rss_mb_after_minute - 1


def soak(settings: Settings, server_pid: int, port: int, queries: Path, seconds: int) -> SoakReport:
    """dnsperf at full speed for `seconds`, reading the server's RSS every SOAK_SAMPLE s."""
    report = SoakReport(seconds)
    command = dnsperf_command(settings, port, queries, SOAK, seconds=seconds, verbose=False)
    output = settings.workdir / "dnsperf-soak.out"
    began = time.monotonic()
    with output.open("w") as out:
        load = subprocess.Popen(pinned(LOADGEN_CORE, command), stdout=out, stderr=out)
        try:
            while load.poll() is None:
                # A benchmark's pacing: readings at a steady interval while the load runs.
                time.sleep(min(SOAK_SAMPLE, max(0.05, began + seconds - time.monotonic())))
                mb = memory_kb(server_pid)["VmRSS"] / 1024
                report.rss_mb.append((time.monotonic() - began, mb))
        finally:
            if load.poll() is None:
                load.send_signal(signal.SIGINT)
            load.wait(timeout=60)
    report.result = read_dnsperf_output(output, command, load.returncode)
    return report


# --- servers -----------------------------------------------------------------------------------


class Process:
    """A server in a child process whose output lines are read by a thread as they come."""

    def __init__(self, command: list[str], stream: str) -> None:
        self.command = command
        self.started = time.monotonic()
        # R53EMU_* variables would change what is measured (a query log, a GeoIP database).
        env = {key: value for key, value in os.environ.items() if not key.startswith("R53EMU_")}
        self.popen = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE if stream == "stdout" else subprocess.DEVNULL,
            stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL,
            text=True,
        )
        pipe = self.popen.stdout if stream == "stdout" else self.popen.stderr
        assert pipe is not None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        # Drained to the end: a full pipe would block the server's logging, and so the server.
        self.reader = threading.Thread(target=self._read, args=(pipe,), daemon=True)
        self.reader.start()

    def _read(self, pipe: IO[str]) -> None:
        with pipe:
            for line in pipe:
                self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        """The first output line matching `pattern`; exit with the output if the server ends."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.fail(f"no line matching {pattern.pattern!r} within {timeout:.0f} s")
            if line is None:
                self.fail(f"exited with {self.popen.wait()} before {pattern.pattern!r}")
            self.seen.append(line)
            match = pattern.search(line)
            if match:
                return match

    def fail(self, why: str) -> NoReturn:
        self.stop()
        output = "\n".join(self.seen[-20:])
        raise SystemExit(f"{' '.join(self.command)}: {why}\n{output}")

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.reader.join(timeout=5)  # it closes the pipe at its end of file


LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
ADMIN = re.compile(r"admin API on (http://127\.0\.0\.1:\d+/)")


def start_ceiling() -> tuple[Process, int]:
    command = [sys.executable, str(HERE / "ceiling.py"), "--port", "0"]
    process = Process(pinned(SERVER_CORE, command), "stdout")
    port = int(process.wait_for(LISTENING, 30).group(1))
    return process, port


def start_r53emu(zones: Path, extra: Sequence[str] = ()) -> tuple[Process, int, str, float]:
    """Start `r53emu serve` (with `extra` flags); its UDP port, admin URL and startup time (to
    the first answer)."""
    command = [
        sys.executable, "-m", "r53emu", "serve", "--zones", str(zones), "--port", "0",
        "--admin-port", "0", "--no-watch", "--log-level", "INFO", "--seed", "1", *extra,
    ]  # fmt: skip
    process = Process(pinned(SERVER_CORE, command), "stderr")
    port = int(process.wait_for(LISTENING, STARTUP_TIMEOUT).group(1))
    admin = process.wait_for(ADMIN, 30).group(1)
    first_answer(port, f"s0.{zonegen.ZONE}.")
    return process, port, admin, time.monotonic() - process.started


def first_answer(port: int, name: str, timeout: float = 30.0) -> None:
    """Ask for `name` A until an answer with the query's ID comes back."""
    query = dns_query(name, 0x5253)
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.05)
        while time.monotonic() < deadline:
            sock.sendto(query, ("127.0.0.1", port))
            try:
                reply = sock.recv(4096)
            except TimeoutError:
                continue
            if reply[:2] == query[:2]:
                return
    raise SystemExit(f"no answer to {name} from 127.0.0.1:{port} within {timeout:.0f} s")


def dns_query(name: str, query_id: int) -> bytes:
    """A plain query for `name` A with RD clear: header, labels, type 1, class 1."""
    labels = b"".join(
        len(label).to_bytes(1, "big") + label.encode() for label in name.rstrip(".").split(".")
    )
    header = query_id.to_bytes(2, "big") + b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    return header + labels + b"\x00\x00\x01\x00\x01"


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (resident at its peak) from /proc/PID/status, in kB."""
    wanted = {"VmRSS", "VmHWM"}
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in wanted:
            fields[key] = int(value.split()[0])
    return fields


def reload_seconds(admin: str) -> float:
    """Wall time of one `POST /reload` (it answers once the new zones are served)."""
    # `admin` is the http://127.0.0.1:PORT/ URL the server printed: no other scheme can come in.
    request = urllib.request.Request(admin + "reload", data=b"", method="POST")  # noqa: S310
    began = time.monotonic()
    with urllib.request.urlopen(request, timeout=STARTUP_TIMEOUT) as response:  # noqa: S310
        response.read()
        if response.status != 200:
            raise SystemExit(f"POST {admin}reload answered {response.status}")
    return time.monotonic() - began


# --- one zone size -----------------------------------------------------------------------------


@dataclass
class Row:
    """A line of a size's table."""

    mix: str
    result: DnsperfResult
    ratio: float | None = None  # q/s over the ceiling's q/s
    note: str = ""


@dataclass
class SizeReport:
    record_sets: int
    startup_s: float = 0.0
    rss_mb_after_start: float = 0.0
    rss_mb_after_load: float = 0.0
    peak_rss_mb: float = 0.0
    reload_s: list[float] = field(default_factory=list)
    rss_mb_after_reload: float = 0.0
    reload_under_load_s: float | None = None
    reload_load: DnsperfResult | None = None  # the client's view of the reload under load
    ceiling_runs: list[float] = field(default_factory=list)  # q/s before and after r53emu
    rows: list[Row] = field(default_factory=list)
    soak: SoakReport | None = None


def measure_size(settings: Settings, size: int, mixes: Sequence[Mix], reloads: int) -> SizeReport:
    """The ceiling, r53emu on every mix, the ceiling again; then the ratios to the better
    ceiling run (a ceiling run slowed by something else on the machine would flatter r53emu)."""
    report = SizeReport(size)
    zones = settings.workdir / f"zones-{size}"
    plan = zonegen.write_zones(zones, size)
    files = {}
    for mix in (STATIC, *mixes, *((SOAK,) if settings.soak else ())):
        path = settings.workdir / f"queries-{size}-{mix.family}.txt"
        path.write_text("\n".join(query_lines(plan, mix)) + "\n")
        files[mix.family] = path

    ceilings = [measure_ceiling(settings, files[STATIC.family], size, "before")]
    report.rows = measure_r53emu(settings, report, zones, files, mixes, reloads)
    ceilings.append(measure_ceiling(settings, files[STATIC.family], size, "after"))

    report.ceiling_runs = [run.qps for run in ceilings]
    ceiling = max(ceilings, key=lambda run: run.qps)
    spread = min(report.ceiling_runs) / ceiling.qps if ceiling.qps else 1.0
    note = (
        ""
        if spread >= 0.9
        else "noisy machine: " + " / ".join(f"{qps:,.0f}" for qps in report.ceiling_runs)
    )
    for row in report.rows:
        row.ratio = _ratio(row.result, ceiling)
    report.rows.insert(0, Row("ceiling (static A)", ceiling, 1.0, note))
    return report


def measure_ceiling(settings: Settings, queries: Path, size: int, when: str) -> DnsperfResult:
    print(f"[{size} record sets] ceiling ({when}) ...", file=sys.stderr)
    process, port = start_ceiling()
    try:
        return run_dnsperf(settings, port, queries, STATIC)
    finally:
        process.stop()


def measure_r53emu(
    settings: Settings,
    report: SizeReport,
    zones: Path,
    files: dict[str, Path],
    mixes: Sequence[Mix],
    reloads: int,
) -> list[Row]:
    """Startup, every mix, the fixed-rate runs, memory, reloads: rows without ratios yet."""
    size = report.record_sets
    print(f"[{size} record sets] starting r53emu ...", file=sys.stderr)
    server, port, admin, report.startup_s = start_r53emu(zones)
    rows = []
    try:
        report.rss_mb_after_start = memory_kb(server.pid)["VmRSS"] / 1024
        for mix in mixes:
            print(f"[{size} record sets] {mix.label} ...", file=sys.stderr)
            result = run_dnsperf(settings, port, files[mix.family], mix)
            rows.append(Row(mix.label, result, note=_rcode_note(mix, result)))
        static = next((row.result for row in rows if row.mix == STATIC.label), None)
        if static is not None:
            rows += rated_rows(settings, port, files[STATIC.family], static)
        report.rss_mb_after_load = memory_kb(server.pid)["VmRSS"] / 1024
        if settings.soak:
            print(f"[{size} record sets] soak for {settings.soak} s ...", file=sys.stderr)
            report.soak = soak(settings, server.pid, port, files[SOAK.family], settings.soak)
        for _ in range(reloads):
            print(f"[{size} record sets] POST /reload ...", file=sys.stderr)
            report.reload_s.append(reload_seconds(admin))
        print(f"[{size} record sets] POST /reload under load ...", file=sys.stderr)
        report.reload_under_load_s, report.reload_load = reload_under_load(
            settings, port, files[STATIC.family], admin
        )
        memory = memory_kb(server.pid)
        report.rss_mb_after_reload = memory["VmRSS"] / 1024
        report.peak_rss_mb = memory["VmHWM"] / 1024
    finally:
        server.stop()
    return rows


def rated_rows(settings: Settings, port: int, queries: Path, peak: DnsperfResult) -> list[Row]:
    """Static A at fixed rates: 20k q/s (the p99 target) and half the peak (the loss target)."""
    rows = []
    for label, rate in (
        (f"static A @ {RATED_QPS // 1000}k q/s", RATED_QPS),
        ("static A @ half peak", max(1, int(peak.qps / 2))),
    ):
        print(f"  {label} ...", file=sys.stderr)
        result = run_dnsperf(settings, port, queries, STATIC, max_qps=rate)
        note = "" if result.qps >= 0.95 * rate else f"rate not reached ({rate:,} asked)"
        rows.append(Row(label, result, note=note or _rcode_note(STATIC, result)))
    return rows


def _ratio(result: DnsperfResult, ceiling: DnsperfResult) -> float | None:
    return result.qps / ceiling.qps if ceiling.qps else None


def _rcode_note(mix: Mix, result: DnsperfResult) -> str:
    """Say so when answers were not all the rcode the mix expects: a broken zone or server."""
    unexpected = {code: n for code, n in result.rcodes.items() if code != mix.expected_rcode}
    if not unexpected:
        return ""
    return "unexpected " + ", ".join(f"{code} {n}" for code, n in sorted(unexpected.items()))


# --- report ------------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.2f}"


def format_report(report: SizeReport) -> str:
    header = f"{'mix':<24} {'q/s':>9} {'ceiling':>8} {'avg ms':>8} {'p99 ms':>8} {'lost':>14}"
    lines = [f"== {report.record_sets:,} record sets ==", header, "-" * len(header)]
    for row in report.rows:
        r = row.result
        ratio = "-" if row.ratio is None else f"{row.ratio:.1%}"
        lost = f"{r.lost} ({r.lost_share:.2%})"
        line = f"{row.mix:<24} {r.qps:>9,.0f} {ratio:>8} {_ms(r.avg_latency):>8} "
        line += f"{_ms(r.p99_latency):>8} {lost:>14}"
        lines.append(line + (f"  {row.note}" if row.note else ""))
    reloads = ", ".join(f"{s:.2f}" for s in report.reload_s) or "-"
    lines += [
        f"startup (process start to first answer): {report.startup_s:.2f} s",
        f"RSS: {report.rss_mb_after_start:.0f} MB after start, {report.rss_mb_after_load:.0f} MB "
        f"after the mixes, {report.rss_mb_after_reload:.0f} MB after the reloads, "
        f"peak {report.peak_rss_mb:.0f} MB",
        f"reload (POST /reload): {reloads} s"
        + (f" (median {statistics.median(report.reload_s):.2f} s)" if report.reload_s else ""),
    ]
    load = report.reload_load
    if load is not None and report.reload_under_load_s is not None:
        codes = ", ".join(f"{code} {n}" for code, n in sorted(load.rcodes.items())) or "none"
        lines.append(
            f"reload under {RELOAD_LOAD_QPS:,} q/s of static A: "
            f"{report.reload_under_load_s:.2f} s; "
            f"the client sent {load.sent:,}, lost {load.lost}, worst latency "
            f"{_ms(load.max_latency)} ms, rcodes {codes}"
        )
    if report.soak is not None:
        lines.append(format_soak(report.soak))
    return "\n".join(lines)


def format_soak(soak: SoakReport) -> str:
    result = soak.result
    return (
        f"soak ({SOAK.label}, {soak.seconds} s at full speed): {result.qps:,.0f} q/s, "
        f"lost {result.lost}; RSS {soak.rss_mb_after_minute:.1f} MB after the first minute, "
        f"{soak.rss_mb[-1][1]:.1f} MB at the end ({soak.growth:+.1%})"
    )


def to_json(
    reports: list[SizeReport],
    settings: Settings,
    argv: Sequence[str],
    hostile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    sizes = []
    for report in reports:
        entry = asdict(report)
        entry["rows"] = [
            {"mix": row.mix, "ratio_to_ceiling": row.ratio, "note": row.note}
            | asdict(row.result)
            | {"lost_share": row.result.lost_share}
            for row in report.rows
        ]
        if report.soak is not None:
            entry["soak"] |= {
                "rss_mb_after_minute": report.soak.rss_mb_after_minute,
                "growth": report.soak.growth,
            }
        sizes.append(entry)
    return {
        "command": ["benchmarks/authoritative.py", *argv],
        "dnsperf": {
            "path": settings.dnsperf,
            "seconds": settings.seconds,
            "settings": list(DNSPERF_SETTINGS),
            "p99": settings.p99,
        },
        "pinned": shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2,
        "cpus": os.cpu_count(),
        "sizes": sizes,
        "hostile": hostile,  # benchmarks/hostile.py's rows (None with --no-hostile)
    }


# --- command line ------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """`1k`, `10k`, `100k`, `1m` or a plain number of record sets."""
    match = re.fullmatch(r"(\d+)([km]?)", text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1k, 10k or 100000")
    size = int(match.group(1)) * {"": 1, "k": 1000, "m": 1_000_000}[match.group(2)]
    minimum = zonegen.CYCLE_SIZE + zonegen.APEX_RECORD_SETS
    if size < minimum:
        raise argparse.ArgumentTypeError(f"{text!r}: at least {minimum} record sets")
    return size


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1k record sets only, 3 s runs")
    parser.add_argument(
        "--sizes",
        type=lambda text: [parse_size(part) for part in text.split(",")],
        help="zone sizes in record sets, comma-separated (default 1k,10k,100k)",
    )
    parser.add_argument("--seconds", type=int, help="length of each dnsperf run (default 10)")
    parser.add_argument(
        "--mixes",
        type=lambda text: [part.strip() for part in text.split(",")],
        help="only these mixes (labels, comma-separated, e.g. 'static A,NXDOMAIN')",
    )
    parser.add_argument("--reloads", type=int, default=1, help="POST /reload this many times")
    parser.add_argument("--no-p99", action="store_true", help="run dnsperf without -v")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument(
        "--soak",
        type=int,
        default=0,
        metavar="SECONDS",
        help="after the mixes, run every family at full speed this long, reading the RSS "
        "(issue 7's stability target: --soak 300)",
    )
    hostile = parser.add_mutually_exclusive_group()
    hostile.add_argument(
        "--no-hostile",
        action="store_true",
        help="leave out the hostile rows (benchmarks/hostile.py: worst name, floods, "
        "amplification)",
    )
    hostile.add_argument(
        "--hostile-only",
        action="store_true",
        help="only the hostile rows (on the smallest size), not the tables of mixes",
    )
    parser.add_argument(
        "--hostile-rows",
        default="all",
        metavar="ROWS",
        help="which hostile rows: comma-separated parts (rates, floods, amplification; default "
        "all) or flood kinds (busy, tcp, tcp-idle, slowloris, admin, admin-zone: those floods "
        "and the idle rows)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = args.sizes or ([1000] if args.quick else [1000, 10_000, 100_000])
    seconds = args.seconds or (3 if args.quick else 10)
    mixes = MIXES
    if args.mixes:
        known = {mix.label: mix for mix in MIXES}
        unknown = [label for label in args.mixes if label not in known]
        if unknown:
            raise SystemExit(f"unknown mix {unknown}; mixes: {', '.join(known)}")
        mixes = tuple(known[label] for label in args.mixes)
    if not args.no_hostile:
        from benchmarks import hostile  # it imports this module

        try:
            hostile_parts, hostile_floods = hostile.parse_rows(args.hostile_rows)
        except ValueError as exc:
            raise SystemExit(str(exc)) from None
    dnsperf = find_dnsperf()
    reports = []
    hostile_figures = None
    with tempfile.TemporaryDirectory(prefix="r53emu-bench-") as workdir:
        settings = Settings(dnsperf, seconds, not args.no_p99, Path(workdir), args.soak)
        for size in [] if args.hostile_only else sizes:
            report = measure_size(settings, size, mixes, args.reloads)
            reports.append(report)
            print(format_report(report), flush=True)
            print(flush=True)
        if not args.no_hostile:
            hostile_report = hostile.measure(settings, min(sizes), hostile_parts, hostile_floods)
            print(hostile.format_report(hostile_report), flush=True)
            hostile_figures = hostile.to_json(hostile_report)
    if args.json:
        command = list(argv if argv is not None else sys.argv[1:])
        figures = to_json(reports, settings, command, hostile_figures)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
