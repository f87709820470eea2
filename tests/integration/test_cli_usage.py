"""The `r53emu` command itself: `--version`, and output piped to a reader that stops early.

Through real subprocesses: the console script and `python -m r53emu`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from r53emu import __version__
from tests.support.helpers import write_zones
from tests.support.serving import R53EMU, clean_env

SCRIPT = Path(sys.executable).parent / "r53emu"
SIGPIPE_STATUS = 141  # 128 + SIGPIPE, as a shell reports a process that SIGPIPE ended

ZONE = """\
    zone: piped.test
    ttl: 60
    record_sets:
      - {name: www, type: A, records: [192.0.2.1, 192.0.2.2, 192.0.2.3]}
"""


@pytest.mark.parametrize("command", [(str(SCRIPT),), R53EMU], ids=["script", "python-m"])
def test_version_prints_the_package_version(command: tuple[str, ...]) -> None:
    result = subprocess.run(
        [*command, "--version"], capture_output=True, text=True, timeout=60, env=clean_env()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"r53emu {__version__}\n"
    assert __version__ == "0.1.0"


@pytest.fixture
def zones(tmp_path: Path) -> Path:
    files = {f"z{i:02d}.yaml": f"zone: z{i:02d}.test\n" for i in range(30)}
    return write_zones(tmp_path / "zones", {"piped.yaml": ZONE, **files})


def run_into_closed_pipe(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `r53emu ARGS` with standard output a pipe whose reader is already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [*R53EMU, *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=cwd,
            env=clean_env(),
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args",
    [
        ["check", "zones"],
        ["answer", "www.piped.test", "A", "--zones", "zones"],
        ["answer", "www.piped.test", "A", "--zones", "zones/piped.yaml", "--json"],
    ],
    ids=["check", "answer", "answer-json"],
)
def test_a_reader_gone_ends_the_command_quietly(zones: Path, args: list[str]) -> None:
    """No BrokenPipeError traceback, nothing on stderr, and the status of a SIGPIPE end."""
    result = run_into_closed_pipe(args, cwd=zones.parent)
    assert result.stderr == ""
    assert result.returncode == SIGPIPE_STATUS


@pytest.mark.parametrize("args", [["--help"], ["check", "--help"], ["--version"]])
def test_help_and_version_into_a_closed_pipe_are_quiet(tmp_path: Path, args: list[str]) -> None:
    result = run_into_closed_pipe(args, cwd=tmp_path)
    assert result.stderr == ""
    assert result.returncode in (0, SIGPIPE_STATUS)


def test_check_piped_into_head_ends_quietly(zones: Path) -> None:
    """`r53emu check | head -1`, as a newcomer types it: one line out, nothing on stderr."""
    script = f"{SCRIPT} check zones | head -1; echo $" + "{PIPESTATUS[0]} >&2"
    result = subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=zones.parent,
        env=clean_env({"PYTHONUNBUFFERED": "1"}),  # a write per line: the pipe breaks surely
    )
    assert result.stdout.startswith("piped.test. ")
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr.strip() in ("0", str(SIGPIPE_STATUS))  # r53emu's own status, alone
