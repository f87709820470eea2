"""Every `$ ` command of the README works as written, and prints what the README shows under it.

Each command runs in a fresh `bash` (no profile, no rc files) from the repository, after the
README's own set-up (`. .venv/bin/activate` where it says so), with this process's environment
minus any virtualenv on PATH and any R53EMU_* variable: as a newcomer's new terminal would. Its
output (standard output and error, as a terminal shows them) must be what the README shows,
under the conventions the README states (`tests/integration/test_readme.py` reads the README
and compares).

The commands that ask a server (`dig @127.0.0.1 -p 5353`, `localhost:8053`) run while the server
the README sets up for them is running: `scripts/serve`, that is `r53emu serve --zones zones`,
started here on free ports rather than on 5353 and 8053, which another server on this machine
may hold. That is the one change made to a command: its `-p 5353` and `:8053` name those ports.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_readme import Example, assert_shows, setup_steps, shell_examples
from tests.support.helpers import REPO, dig_path
from tests.support.serving import ServeProcess, clean_env

# Commands not run, and why: each starts a server that runs until it is stopped.
EXEMPT = {
    "scripts/serve": "runs until ^C; this module starts the same server itself, on free ports",
    "r53emu serve": "runs until ^C; this module starts such a server itself, on free ports",
}

EXAMPLES = shell_examples()
SETUP = setup_steps()


def exemption(command: str) -> str | None:
    return next((why for start, why in EXEMPT.items() if command.startswith(start)), None)


def fresh_env() -> dict[str, str]:
    """A new terminal's environment: no virtualenv active, no R53EMU_* configuration."""
    venv_bins = {str(Path(sys.prefix) / "bin"), str(REPO / ".venv" / "bin")}
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("R53EMU_") and key not in ("VIRTUAL_ENV", "PYTHONHOME")
    }
    path = os.environ.get("PATH", os.defpath).split(os.pathsep)
    env["PATH"] = os.pathsep.join(entry for entry in path if entry not in venv_bins)
    return env


@pytest.fixture(scope="module")
def readme_server() -> Iterator[tuple[int, int]]:
    """What `scripts/serve` runs, on free ports: (DNS port, admin port)."""
    argv = [sys.executable, "-m", "r53emu", "serve", "--zones", "zones", "--port", "0"]
    server = ServeProcess(argv, clean_env(), cwd=REPO)
    try:
        _, port = server.wait_listening()
        admin = server.wait_for_line(r"admin API on http://127\.0\.0\.1:(\d+)/")
        yield port, int(admin.group(1))
    finally:
        server.kill()


def localize(command: str, port: int, admin: int) -> str:
    """The command aimed at this module's server instead of scripts/serve's ports."""
    command = re.sub(r"-p 5353\b", f"-p {port}", command)
    return re.sub(r"(localhost|127\.0\.0\.1):8053\b", rf"\g<1>:{admin}", command)


def needs_venv() -> None:
    if (REPO / ".venv" / "bin" / "activate").exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("the README's set-up activates .venv, which scripts/setup creates")
    pytest.skip("no .venv in the repository (scripts/setup creates it)")


def test_readme_sets_up_the_r53emu_command() -> None:
    """The README's `r53emu ...` commands need the command on PATH: it says how."""
    assert any(e.command.startswith("r53emu ") for e in EXAMPLES)
    assert SETUP == [". .venv/bin/activate"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_readme_command(example: Example, readme_server: tuple[int, int]) -> None:
    """The command, run as written after the README's set-up, prints what the README shows."""
    why = exemption(example.command)
    if why is not None:
        pytest.skip(why)
    if example.command.startswith("dig "):
        dig_path()
    if SETUP:
        needs_venv()
    command = localize(example.command, *readme_server)
    script = "\n".join(["set -e", *SETUP, command])
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=REPO,
        env=fresh_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, f"{example.command!r} failed:\n{result.stdout}"
    assert_shows(result.stdout, example.expected, example.command)


def test_commands_fail_without_the_setup() -> None:
    """The check is real: without the README's set-up, a fresh shell has no `r53emu`."""
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", "command -v r53emu"],
        cwd=REPO,
        env=fresh_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode == 0 and not result.stdout.startswith(str(REPO)):
        pytest.skip(f"r53emu is installed on this machine's PATH as well: {result.stdout}")
    assert result.returncode != 0, result.stdout
