"""Running `r53emu serve` as a user does: a real subprocess whose log tests read as it comes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import dns.exception
import dns.message
import pytest

from tests.support.helpers import query

R53EMU = (sys.executable, "-m", "r53emu")
STARTUP_TIMEOUT = 30.0  # seconds; generous for a loaded CI machine, never waited when healthy


def clean_env(overrides: Mapping[str, str] = {}) -> dict[str, str]:
    """This process's environment without R53EMU_* variables, plus `overrides`; the admin API
    on a free port (unless overridden), so that servers never contend for port 8053."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("R53EMU_")}
    env["R53EMU_ADMIN_PORT"] = "0"
    env.update(overrides)
    return env


class ServeProcess:
    """An `r53emu serve` subprocess whose stderr log is collected line by line as it comes."""

    def __init__(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None
    ) -> None:
        self.process = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                with self._changed:
                    self.lines.append(line.rstrip("\n"))
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()  # EOF: the process has exited or closed its output

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def dns_address(self) -> tuple[str, int]:
        """Where the server answers DNS, from its start line."""
        found = self.wait_for_line(r"listening on 127\.0\.0\.1:(\d+) \(UDP and TCP\)")
        return "127.0.0.1", int(found.group(1))

    def admin_address(self) -> tuple[str, int]:
        """Where its admin API listens, from its start line."""
        found = self.wait_for_line(r"admin API on http://127\.0\.0\.1:(\d+)/")
        return "127.0.0.1", int(found.group(1))

    def wait_for_line(self, pattern: str, timeout: float = STARTUP_TIMEOUT) -> re.Match[str]:
        """The first log line matching `pattern`; fails if the process exits without one."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    found = compiled.search(line)
                    if found:
                        return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._reader.is_alive():
                    pytest.fail(f"no log line matching {pattern!r}; output:\n{self.output}")
                self._changed.wait(remaining)

    def wait_listening(self) -> tuple[str, int]:
        """(host, port) from the `listening on` line, once a real query gets an answer there."""
        found = self.wait_for_line(r"listening on \[?([0-9a-fA-F.:]+?)\]?:(\d+) \(UDP and TCP\)")
        host, port = found.group(1), int(found.group(2))
        wait_answering(("127.0.0.1" if host == "0.0.0.0" else host, port))
        return host, port

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Send `signum` and return the exit code (the log is complete afterwards)."""
        self.process.send_signal(signum)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)


def wait_answering(address: tuple[str, int], attempts: int = 100) -> dns.message.Message:
    """Poll the server with a real query (short timeouts, bounded) until it answers."""
    for _attempt in range(attempts):
        try:
            return query(address, "readiness.invalid.", "SOA", timeout=0.2)
        except dns.exception.Timeout:
            continue
    pytest.fail(f"no answer from {address} after {attempts} attempts")


StartServe = Callable[..., ServeProcess]


@pytest.fixture
def serve() -> Iterator[StartServe]:
    """Start `ServeProcess`es (same arguments); any still running at the end is killed."""
    started: list[ServeProcess] = []

    def start(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> ServeProcess:
        process = ServeProcess(argv, env, cwd)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
