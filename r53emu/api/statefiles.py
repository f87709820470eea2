"""The files of `--state-dir`: a snapshot and a journal, so that nothing acknowledged is lost.

Every change the API accepts is appended to the journal, one line, and fsynced before its HTTP
response is sent; now and then the whole state is written as a snapshot (a temporary file,
fsynced, renamed over the last one, the directory fsynced) and a new journal begun. A crash at
any instant leaves one of these states on disk:

- in the middle of an append: the journal's last line is torn (no newline, or a checksum that
  does not match its text). That change was never acknowledged: the line is dropped on start
  (and cut off, so the next append starts a whole line);
- in the middle of a snapshot: the temporary file is left over and the last snapshot and its
  journal are intact: the temporary file is removed on start;
- between the snapshot's rename and the start of the new journal: the snapshot names the journal
  that follows it (`generation`), which does not exist yet: an empty one. The old journal, whose
  changes the snapshot holds, is removed.

Anything else is corruption (a bad line before the last one, a snapshot that does not read, a
journal of a generation no snapshot names): `StateFileError` names the file and the line, and the
server refuses to start rather than start from less than it acknowledged.

Each line is `<crc32 as 8 hex digits> <JSON>`; the snapshot is `{"generation": N, "crc32": ...,
"state": ...}` with the checksum of the state's canonical JSON. What a state or an entry holds
is the caller's (JSON values); this module only keeps them safe.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

SNAPSHOT = "snapshot.json"
_JOURNAL = "journal-{generation}.log"
_TEMPORARY = ".snapshot.json.tmp"


class StateFileError(Exception):
    """A state file that is not what r53emu wrote: the server must not start from it."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")
        self.path, self.line, self.reason = path, line, reason


@dataclass(frozen=True)
class Loaded:
    """What a state directory held: the snapshot's state (None: none yet) and the journal's
    entries after it, in order."""

    state: Any | None
    entries: tuple[Any, ...]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _line(entry: Any) -> bytes:
    text = _canonical(entry)
    return b"%08x %s\n" % (zlib.crc32(text), text)


class StateDir:
    """A state directory: `load` it once at start, then `append` each accepted change and
    `snapshot` the whole state now and then (see the module docstring)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.generation = 0
        self._journal: BinaryIO | None = None
        self.journal_bytes = 0  # of the current journal: when to snapshot is the caller's call

    def load(self) -> Loaded:
        """The state on disk (made if the directory is new); cleans up what a crash left."""
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / _TEMPORARY).unlink(missing_ok=True)
        state, self.generation = self._read_snapshot()
        journal = self._journal_path(self.generation)
        entries, good_bytes = _read_journal(journal) if journal.exists() else ((), 0)
        for stale in self.directory.glob("journal-*.log"):
            if stale != journal:
                if not _older(stale, self.generation):
                    raise StateFileError(stale, None, "a journal no snapshot names")
                stale.unlink()
        self._open_journal(journal, good_bytes)
        return Loaded(state, tuple(entries))

    def append(self, entry: Any) -> None:
        """Add one change to the journal, on disk (fsynced) when this returns."""
        assert self._journal is not None, "load first"
        line = _line(entry)
        self._journal.write(line)
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self.journal_bytes += len(line)

    def snapshot(self, state: Any) -> None:
        """Write the whole state and start a new journal (the old one's changes are in it)."""
        generation = self.generation + 1
        document = {
            "generation": generation,
            "crc32": zlib.crc32(_canonical(state)),
            "state": state,
        }
        temporary = self.directory / _TEMPORARY
        with temporary.open("wb") as out:
            out.write(_canonical(document))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.directory / SNAPSHOT)
        _fsync_directory(self.directory)
        old = self._journal_path(self.generation)
        self.close()
        self.generation = generation
        self._open_journal(self._journal_path(generation), 0)
        old.unlink(missing_ok=True)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def _journal_path(self, generation: int) -> Path:
        return self.directory / _JOURNAL.format(generation=generation)

    def _open_journal(self, path: Path, good_bytes: int) -> None:
        journal = path.open("ab")
        if journal.tell() != good_bytes:
            journal.truncate(good_bytes)  # a torn last line: never acknowledged
        self._journal = journal
        self.journal_bytes = good_bytes
        _fsync_directory(self.directory)

    def _read_snapshot(self) -> tuple[Any | None, int]:
        path = self.directory / SNAPSHOT
        if not path.exists():
            return None, 0
        try:
            document = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise StateFileError(path, None, f"not a snapshot r53emu wrote ({exc})") from None
        if not isinstance(document, Mapping) or set(document) != {"generation", "crc32", "state"}:
            raise StateFileError(path, None, "not a snapshot r53emu wrote (unexpected fields)")
        generation, crc, state = document["generation"], document["crc32"], document["state"]
        if not isinstance(generation, int) or zlib.crc32(_canonical(state)) != crc:
            raise StateFileError(path, None, "its checksum does not match its content")
        return state, generation


def _read_journal(path: Path) -> tuple[list[Any], int]:
    """The journal's entries and the length of its whole lines (a torn last one excluded)."""
    data = path.read_bytes()
    entries: list[Any] = []
    good = 0
    lines = list(_lines(data))
    for number, (start, end, whole) in enumerate(lines, start=1):
        entry = _entry(data[start:end]) if whole else _TORN
        if entry is _TORN:
            if number == len(lines):
                break  # torn by a crash while appending: never acknowledged
            raise StateFileError(path, number, "a damaged line before the last one")
        entries.append(entry)
        good = end + 1
    return entries, good


_TORN: Any = object()


def _entry(line: bytes) -> Any:
    crc, _, text = line.partition(b" ")
    try:
        if len(crc) != 8 or int(crc, 16) != zlib.crc32(text):
            return _TORN
        return json.loads(text)
    except ValueError:
        return _TORN


def _lines(data: bytes) -> Iterator[tuple[int, int, bool]]:
    """(start, end, ends with a newline) of each line."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            yield start, len(data), False
            return
        yield start, end, True
        start = end + 1


def _older(journal: Path, generation: int) -> bool:
    number = journal.name.removeprefix("journal-").removesuffix(".log")
    return number.isdigit() and int(number) < generation


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
