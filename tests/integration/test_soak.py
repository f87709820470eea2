"""The soak (benchmarks/soak.py): its short mode end to end, its load generators, and its verdict.

The short mode is what CI runs: 30 seconds of load with a sample every 5 s and a disturbance
every 2 s (edits, a deleted and restored zone file, health targets flipped, POST /reload), with
the Python load generator, so that it runs (and never skips) where dnsperf is not installed;
the dnsperf generator is checked on its own, where dnsperf is. The verdict's checks are tested
on made-up figures, so that a soak cannot pass with a series that grows.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import soak, soakload, zonegen
from benchmarks.soak import Flatness, Report, Row, Settings, flatness, judge
from benchmarks.soakload import Segment
from benchmarks.soakserver import Reading
from benchmarks.soakzones import Action
from tests.conftest import ServeZones
from tests.support.helpers import REPO

# The CI mode of benchmarks/soak.py's docstring; the baseline is the sample at 10 s (a third).
SHORT = ("--seconds", "30", "--sample", "5", "--every", "2", "--peak-seconds", "2")
ROW = re.compile(r"^\s+\d+:\d\d\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+[\d.]+\s+\d+\s+\d+\s+[\d,]+\s+[\d.]+$")
ZONE = """\
zone: load.test
record_sets:
  - {name: www, type: A, ttl: 60, records: [192.0.2.1]}
"""


# --- the short mode, end to end ------------------------------------------------------------------


def test_the_short_mode_passes_and_prints_a_table_and_a_verdict(tmp_path: Path) -> None:
    figures = tmp_path / "soak.json"
    command = [
        sys.executable, str(REPO / "benchmarks" / "soak.py"), *SHORT, "--load", "python",
        "--json", str(figures),
    ]  # fmt: skip
    done = subprocess.run(
        command,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    lines = out.splitlines()
    header = next(n for n, line in enumerate(lines) if line.split()[:2] == ["minute", "q/s"])
    assert lines[header].split() == [
        "minute", "q/s", "lost", "errors", "RSS", "MB", "fds", "tasks", "cache", "cache", "MB",
    ]  # fmt: skip
    rows = [line for line in lines[header + 1 :] if ROW.match(line)]
    assert len(rows) == 6, out
    assert "load: python" in out
    assert re.search(r"^queries: [\d,]+ sent, 0 lost", out, re.MULTILINE), out
    assert re.search(r"^server: 0 SERVFAIL, \d+ reloads, 0 failed", out, re.MULTILINE), out
    assert re.search(r"^last edit \(generation \d+\) served by the watcher .*: yes$", out, re.M)
    for name in soak.FLAT_FIELDS:
        assert re.search(rf"^  {name} .* ok$", out, re.MULTILINE), out
    assert lines[-1] == "verdict: PASS"

    report = json.loads(figures.read_text())
    assert report["passed"] is True
    assert report["load"] == "python"
    assert len(report["samples"]) == 6
    assert {action["kind"] for action in report["actions"]} >= {
        "edit", "delete", "flip", "restore"
    }  # fmt: skip
    assert all(action["ok"] for action in report["actions"])
    first = report["samples"][0]
    assert first["cache_entries"] > 1000  # every family of a 3,000 record-set zone, cached
    assert first["tasks"] >= 3  # two probed checks and the zone watcher at least
    assert first["load"]["rcodes"].keys() <= {"NOERROR", "NXDOMAIN"}
    assert first["load"]["rcodes"]["NXDOMAIN"] > 0  # the names that don't exist are asked


# --- the load generators -------------------------------------------------------------------------


def _queries(tmp_path: Path, subnet: str | None = None) -> Path:
    path = tmp_path / "queries.txt"
    lines = ["www.load.test. A", "nx.load.test. A"]
    path.write_text("\n".join(f"{line} {subnet}" if subnet else line for line in lines) + "\n")
    return path


async def _segments(load: soakload.DnsperfLoad | soakload.PythonLoad) -> list[Segment]:
    return [segment async for segment in load.segments(1000, 1.0, 2)]


def test_the_python_generator_keeps_its_rate_and_counts_rcodes(
    serve_zones: ServeZones, tmp_path: Path
) -> None:
    _host, port = serve_zones({"load.yaml": ZONE})
    queries = _queries(tmp_path, zonegen.FRANKFURT_SUBNET)
    segments = asyncio.run(_segments(soakload.PythonLoad(port, queries)))
    assert len(segments) == 2
    for segment in segments:
        assert 900 <= segment.sent <= 1100
        assert segment.lost == 0
        assert segment.rcodes.keys() == {"NOERROR", "NXDOMAIN"}
    # A reply in flight at the end of a segment is counted in the next one.
    assert sum(s.completed for s in segments) == sum(s.sent for s in segments)


@pytest.mark.skipif(shutil.which("dnsperf") is None, reason="dnsperf is not installed")
def test_the_dnsperf_generator_runs_two_processes_at_half_the_rate(
    serve_zones: ServeZones, tmp_path: Path
) -> None:
    _host, port = serve_zones({"load.yaml": ZONE})
    dnsperf = shutil.which("dnsperf")
    assert dnsperf is not None
    load = soakload.DnsperfLoad(dnsperf, port, _queries(tmp_path), zonegen.FRANKFURT_SUBNET)
    plain, with_ecs = load.commands(1000, 1.0)
    assert plain[plain.index("-Q") + 1] == "500"
    assert with_ecs[-2:] == ["-E", "8:00011800c63364"]
    segments = asyncio.run(_segments(load))
    assert len(segments) == 2
    for segment in segments:
        assert 900 <= segment.sent <= 1100
        assert segment.lost == 0
        assert segment.rcodes.keys() == {"NOERROR", "NXDOMAIN"}


def test_the_python_generator_counts_unanswered_queries_as_lost(tmp_path: Path) -> None:
    """A port where nothing answers: every query sent is lost (after the timeout)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        load = soakload.PythonLoad(port, _queries(tmp_path), timeout=0.5)
        segment = asyncio.run(load.run(200, 0.5))
    assert segment.sent > 0
    assert segment.completed == 0
    assert segment.lost == segment.sent


# --- the verdict ---------------------------------------------------------------------------------


def test_a_series_that_grows_6_percent_is_not_flat() -> None:
    grown = flatness([100.0, 102.0, 104.0, 106.0])
    assert not grown.ok
    assert grown.change == pytest.approx(0.06)


def test_a_series_within_5_percent_is_flat() -> None:
    steady = flatness([100.0, 103.0, 97.0, 104.9])
    assert steady.ok
    assert (steady.low, steady.high) == (pytest.approx(-0.03), pytest.approx(0.049))


def test_a_peak_in_the_middle_is_not_flat_even_if_the_end_is() -> None:
    assert not flatness([100.0, 106.0, 100.0]).ok
    assert not flatness([100.0, 93.0, 100.0]).ok


def test_counts_may_move_by_their_slack() -> None:
    """19 descriptors cannot move by 5 %: one more or fewer is allowed, two are not."""
    assert flatness([19, 20, 19], slack=1).ok
    assert not flatness([19, 21], slack=1).ok
    assert not flatness([19, 20]).ok


def _reading(rss: float = 60.0, **changes: object) -> Reading:
    fields: dict[str, object] = {
        "rss_mb": rss, "fds": 19, "tasks": 5.0, "cache_entries": 2000.0, "cache_mb": 7.5,
        "servfail": 0, "reloads": 3, "reload_failures": 0,
    }  # fmt: skip
    fields.update(changes)
    return Reading(**fields)  # type: ignore[arg-type]


def _report(readings: list[Reading], lost: int = 0, **actions: bool) -> Report:
    """A judged report of a sample every 60 s from 30 s on (the first before the warm-up's end),
    600,000 queries each; `lost` of them in the last one."""
    settings = Settings(600, 60, 20, 60, 3000, "python", 10, None)
    report = Report(settings)
    for n, reading in enumerate(readings):
        missing = lost if n == len(readings) - 1 else 0
        segment = Segment(60, 600_000, 600_000 - missing, missing, {"NOERROR": 600_000 - missing})
        report.rows.append(Row(30.0 + 60 * n, segment, reading))
    report.actions = [Action(10, kind, ok, 1.0) for kind, ok in actions.items()]
    report.final_edit = Action(600, "edit", True, 1.0)
    judge(report)
    return report


def test_the_verdict_passes_a_steady_run() -> None:
    report = _report([_reading(60.0 + n * 0.1) for n in range(10)], edit=True)
    assert report.problems == []
    assert report.passed
    assert report.baseline_at == 90.0
    assert set(report.flat) == set(soak.FLAT_FIELDS)
    assert all(isinstance(flat, Flatness) and flat.ok for flat in report.flat.values())


def test_the_verdict_fails_rss_that_grows_6_percent_after_the_first_minute() -> None:
    # The first sample (before the warm-up's end) may be anything: the baseline is the next.
    readings = [_reading(40.0), *(_reading(60.0 * (1 + 0.06 * n / 8)) for n in range(9))]
    report = _report(readings)
    assert not report.passed
    assert report.problems == [report.problems[0]]
    assert report.problems[0].startswith("rss_mb not flat: 60 -> 63.6")


def test_the_verdict_fails_lost_queries_errors_and_missing_gauges() -> None:
    steady = [_reading() for _ in range(5)]
    assert not _report(steady, lost=4).passed  # 4 in 3 million: over one in a million
    assert _report(steady, lost=3).passed
    servfail = [*steady[:4], _reading(servfail=1)]
    assert any("SERVFAIL" in problem for problem in _report(servfail).problems)
    failed = [*steady[:4], _reading(reload_failures=1)]
    assert any("reload(s) failed" in problem for problem in _report(failed).problems)
    assert any("did not take effect" in p for p in _report(steady, flip=False).problems)
    without = [_reading(cache_entries=None, cache_mb=None) for _ in range(5)]
    problems = _report(without).problems
    assert any(p.startswith("cache_entries: not in GET /metrics") for p in problems)


def test_the_verdict_needs_two_samples() -> None:
    assert not _report([_reading()]).passed
