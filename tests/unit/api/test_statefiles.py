"""The state directory's snapshot and journal (r53emu.api.statefiles): what was appended is
there after a crash at any instant, a torn last line is dropped, and damage is an error naming
the file and line, never a silent loss."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from r53emu.api.statefiles import SNAPSHOT, StateDir, StateFileError


def reopened(directory: Path) -> tuple[object, tuple[object, ...]]:
    """What a restart finds (the directory closed again)."""
    state = StateDir(directory)
    loaded = state.load()
    state.close()
    return loaded.state, loaded.entries


def test_entries_and_snapshots_come_back_in_order(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "state")
    assert state.load().state is None
    for n in range(3):
        state.append({"change": n})
    state.snapshot({"zones": ["a"], "upto": 2})
    state.append({"change": 3})
    state.close()
    assert reopened(tmp_path / "state") == ({"zones": ["a"], "upto": 2}, ({"change": 3},))
    again = StateDir(tmp_path / "state")
    again.load()
    again.append({"change": 4})
    again.close()
    assert reopened(tmp_path / "state")[1] == ({"change": 3}, {"change": 4})
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["journal-1.log", SNAPSHOT]


def test_a_torn_last_line_is_dropped_and_cut_off(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.load()
    state.append({"change": 1})
    state.append({"change": 2, "pad": "x" * 50})
    state.close()
    journal = tmp_path / "journal-0.log"
    journal.write_bytes(journal.read_bytes()[:-20])  # the crash tore the second append
    assert reopened(tmp_path)[1] == ({"change": 1},)
    again = StateDir(tmp_path)
    again.load()
    again.append({"change": 3})
    again.close()
    assert reopened(tmp_path)[1] == ({"change": 1}, {"change": 3})


def test_damage_before_the_last_line_is_an_error_naming_it(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.load()
    for n in range(3):
        state.append({"change": n})
    state.close()
    journal = tmp_path / "journal-0.log"
    lines = journal.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"change":1', b'"change":7')
    journal.write_bytes(b"\n".join(lines))
    with pytest.raises(StateFileError) as raised:
        StateDir(tmp_path).load()
    assert str(raised.value) == f"{journal}:2: a damaged line before the last one"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"generation": 1, "crc', "not a snapshot r53emu wrote"),
        (b'{"generation": 1, "crc32": 5, "state": {}}', "its checksum does not match"),
        (b'{"zones": []}', "unexpected fields"),
    ],
)
def test_a_snapshot_that_does_not_read_stops_the_start(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / SNAPSHOT).write_bytes(content)
    with pytest.raises(StateFileError, match=reason) as raised:
        StateDir(tmp_path).load()
    assert str(raised.value).startswith(str(tmp_path / SNAPSHOT))


def test_a_crash_during_a_snapshot_keeps_the_last_one_and_its_journal(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.load()
    state.append({"change": 1})
    state.snapshot({"upto": 1})
    state.append({"change": 2})
    state.close()
    (tmp_path / ".snapshot.json.tmp").write_bytes(b'{"generation": 2, "cr')  # torn
    assert reopened(tmp_path) == ({"upto": 1}, ({"change": 2},))
    assert not (tmp_path / ".snapshot.json.tmp").exists()


def test_a_crash_after_the_rename_starts_the_named_journal(tmp_path: Path) -> None:
    """The snapshot of generation 1 is in place but the old journal is still there and the new
    one not yet: the old one's changes are in the snapshot, so it goes."""
    state = StateDir(tmp_path)
    state.load()
    state.append({"change": 1})
    state.close()
    old = (tmp_path / "journal-0.log").read_bytes()
    state = StateDir(tmp_path)
    state.load()
    state.snapshot({"upto": 1})
    state.close()
    (tmp_path / "journal-1.log").unlink()
    (tmp_path / "journal-0.log").write_bytes(old)
    assert reopened(tmp_path) == ({"upto": 1}, ())
    assert not (tmp_path / "journal-0.log").exists()


def test_a_journal_no_snapshot_names_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "journal-5.log").write_bytes(b"")
    with pytest.raises(StateFileError, match="a journal no snapshot names"):
        StateDir(tmp_path).load()


WRITER = """
import sys
from pathlib import Path
from r53emu.api.statefiles import StateDir
state = StateDir(Path(sys.argv[1]))
loaded = state.load()
n = len(loaded.entries) + (loaded.state or {}).get("count", 0)
while True:
    state.append({"change": n, "pad": "x" * (n % 300)})
    n += 1
    print(n, flush=True)  # acknowledged: on disk
    if n % 97 == 0:
        state.snapshot({"count": n})
"""


def test_sigkill_at_any_instant_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """A writer appending (and snapshotting now and then) is killed at random instants, 12
    times; each restart finds every change it acknowledged, in order, and nothing torn."""
    rng = random.Random(7)
    directory = tmp_path / "state"
    acknowledged = 0
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    for _ in range(12):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(directory)],
            stdout=subprocess.PIPE,
            env=env,
        )
        assert writer.stdout is not None
        first = writer.stdout.readline()  # started and appending
        assert first
        time.sleep(rng.uniform(0.0, 0.15))
        writer.send_signal(signal.SIGKILL)
        said = [first, *writer.stdout.read().split()]
        writer.stdout.close()
        writer.wait()
        acknowledged = max(acknowledged, int(said[-1]))
        state = StateDir(directory)
        loaded = state.load()
        state.close()
        count = (loaded.state or {}).get("count", 0)
        changes = [entry["change"] for entry in loaded.entries]
        assert changes == list(range(count, count + len(changes)))
        assert count + len(changes) >= acknowledged
    assert acknowledged > 100
    assert json.loads((directory / SNAPSHOT).read_bytes())["generation"] > 1
