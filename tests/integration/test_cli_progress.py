"""Large zones: progress on stderr while they load (`loading zones: N files, M record sets, T s`),
and a prompt exit on SIGTERM during and after the load.

A generated zone of 60,000 record sets (benchmarks/zonegen.py) takes 2 to 5 s to load, well
past the one second after which progress shows; each test loads it once.
"""

from __future__ import annotations

import itertools
import os
import pty
import re
import subprocess
import time
from pathlib import Path

import pytest

from benchmarks import zonegen
from r53emu.model import apexdefaults
from tests.support.serving import R53EMU, StartServe, clean_env

RECORD_SETS = 60_000
PROGRESS = re.compile(r"loading zones: (\d+) files?, ([\d,]+) record sets, (\d+\.\d) s")


@pytest.fixture(scope="module")
def large_zones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("large") / "zones"
    zonegen.write_zones(directory, RECORD_SETS)
    return directory


def shown(text: str) -> list[tuple[int, int, float]]:
    """(files, record sets, seconds) of each progress line in `text`."""
    return [
        (int(files), int(count.replace(",", "")), float(seconds))
        for files, count, seconds in PROGRESS.findall(text)
    ]


def assert_sensible(progress: list[tuple[int, int, float]]) -> None:
    """Shown after a second, at most once a second, counts only growing, ending complete."""
    assert progress, "no progress shown"
    assert progress[-1][:2] == (2, RECORD_SETS)  # the zone file and the account file
    assert progress[0][2] >= 1.0
    for before, after in itertools.pairwise(progress):
        assert after[0] >= before[0]
        assert after[1] >= before[1]
        assert after[2] - before[2] >= 0.9  # once a second (each figure rounded to 0.1 s)


def test_check_rewrites_one_progress_line_on_a_terminal(large_zones: Path) -> None:
    """On a terminal the progress line is rewritten in place and ended once, before the output."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [*R53EMU, "check", str(large_zones)],
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=clean_env(),
            text=True,
        )
        os.close(terminal)
        terminal = -1
        stdout, _ = process.communicate(timeout=60)
        stderr = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the process has exited and closed the terminal
                break
            if not chunk:
                break
            stderr += chunk
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)
    assert process.returncode == 0, stderr
    assert stdout == (
        f"bench.test. {apexdefaults.zone_id('bench.test.')}: {RECORD_SETS} record sets "
        f"({large_zones / zonegen.ZONE_FILE})\n"
    )
    text = stderr.decode().replace("\r\n", "\n")  # the terminal's own end of line
    assert text.startswith("\rloading zones: ")
    assert text.endswith("\n")
    assert text.count("\n") == 1  # one line, rewritten: every update starts with \r
    assert text.count("\r") == len(shown(text))
    assert_sensible(shown(text))


def test_serve_logs_progress_one_line_per_update(serve: StartServe, large_zones: Path) -> None:
    """Not on a terminal (a log), each update is a log line of its own, before the zone lines."""
    server = serve([*R53EMU, "serve", "--zones", str(large_zones), "--port", "0"], clean_env())
    server.wait_listening()
    progress_lines = [line for line in server.lines if PROGRESS.search(line)]
    assert all(line.startswith("r53emu: loading zones: ") for line in progress_lines)
    assert_sensible(shown("\n".join(progress_lines)))
    zone_line = server.wait_for_line(r"zone bench\.test\. .*: (\d+) record sets")
    assert int(zone_line.group(1)) == RECORD_SETS
    assert server.lines.index(progress_lines[-1]) < server.lines.index(zone_line.string)
    assert server.stop() == 0


def test_sigterm_while_loading_ends_serve_within_a_second(
    serve: StartServe, large_zones: Path
) -> None:
    """`docker stop` during a long load: the process exits at once, not after the load."""
    server = serve([*R53EMU, "serve", "--zones", str(large_zones), "--port", "0"], clean_env())
    server.wait_for_line(PROGRESS.pattern)  # a second into the load, which takes 2 to 5 s
    began = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - began < 1.0
    assert "stopped while loading" in server.output
    assert "listening on" not in server.output


def test_sigterm_after_a_large_load_ends_serve_within_a_second(
    serve: StartServe, large_zones: Path
) -> None:
    """Serving 60,000 record sets, SIGTERM ends the process within a second, cleanly."""
    server = serve([*R53EMU, "serve", "--zones", str(large_zones), "--port", "0"], clean_env())
    server.wait_listening()
    began = time.monotonic()
    assert server.stop() == 0
    assert time.monotonic() - began < 1.0
    assert server.lines[-1] == "r53emu: shutting down"


def test_a_quick_load_shows_no_progress(tmp_path: Path) -> None:
    """Small zones load in well under a second: stderr stays empty."""
    zones = tmp_path / "zones"
    zonegen.write_zones(zones, 100)
    result = subprocess.run(
        [*R53EMU, "check", str(zones)],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
