"""The fuzzing loop every target shares: replay the corpus, then mutate, check and keep.

A target (`Target`) knows its inputs (`Case`: a file name, whose suffix says the format, and
bytes), how to mutate one, and how to check one: `check` returns a short outcome label or raises
`Broken` naming the invariant broken. `run` replays every corpus input unchanged, then, from a
`random.Random(seed)`, picks a parent from the pool (the corpus and every input that gave an
outcome not seen before), mutates it and checks the child; a share of the children (`deep_every`)
and every corpus input are also checked the expensive way (`deep`: through a real server). The
inputs tried are a function of the seed (and the corpus): `--seed S --iterations N` repeats a
run.

A broken invariant is saved under `save_dir` (the input, and a `.txt` report beside it) and ends
the run unless `keep_going`; one of a bug not fixed yet (`fuzz.openbugs`) is counted as known,
not saved. A check that hangs is caught by a watchdog thread: it writes the input and the stacks
of every thread, then ends the process (exit status 3), since a stuck thread cannot be stopped.
"""

from __future__ import annotations

import faulthandler
import hashlib
import logging
import os
import random
import re
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from fuzz.openbugs import known_bug

CORPUS = Path(__file__).resolve().parent / "corpus"
POOL_LIMIT = 4_000  # inputs kept for mutation (the corpus, then new outcomes)
HANG_EXIT = 3
FATAL = frozenset({"harness-error", "hang"})  # failures that end a run even with keep_going


@dataclass(frozen=True, slots=True)
class Case:
    """One input: a file name (its suffix tells the format) and its bytes."""

    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix or ".bin"


class Broken(Exception):
    """An invariant does not hold for the input just checked."""

    def __init__(self, invariant: str, detail: str) -> None:
        super().__init__(f"{invariant}: {detail}")
        self.invariant = invariant
        self.detail = detail


class Target(Protocol):
    name: str
    hang_seconds: float  # a check that takes longer than this is a hang

    def corpus(self) -> list[Case]: ...

    def mutate(self, case: Case, rng: random.Random, pool: Sequence[Case]) -> Case: ...

    def check(self, case: Case, deep: bool) -> str: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Found:
    target: str
    seed: int
    iteration: int  # -1: a corpus input or a file given to replay
    invariant: str
    detail: str
    case: Case
    saved: Path | None


@dataclass
class Report:
    target: str
    tried: int = 0
    replayed: int = 0
    seconds: float = 0.0
    outcomes: set[str] = field(default_factory=set)
    found: list[Found] = field(default_factory=list)
    known: dict[str, int] = field(default_factory=dict)  # failures of OPEN_BUGS, by slug
    known_examples: dict[str, str] = field(default_factory=dict)  # the first of each, shown

    def line(self) -> str:
        rate = self.tried / self.seconds if self.seconds > 0 else 0.0
        counts = ", ".join(f"{slug} x{count}" for slug, count in sorted(self.known.items()))
        known = f", known open bugs seen: {counts}" if counts else ""
        return (
            f"{self.target}: {self.tried} inputs ({self.replayed} from the corpus) in "
            f"{self.seconds:.1f} s, {rate:,.0f}/s, {len(self.outcomes)} distinct outcomes, "
            f"{len(self.found)} failure(s){known}"
        )


def load_corpus(directory: Path, suffixes: Sequence[str]) -> list[Case]:
    """The corpus files of one target, in name order (their names relative to CORPUS)."""
    if not directory.is_dir():
        return []
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in suffixes)
    return [Case(_corpus_name(p), p.read_bytes()) for p in files]


def _corpus_name(path: Path) -> str:
    try:
        return path.resolve().relative_to(CORPUS).as_posix()
    except ValueError:
        return path.name


def run(
    target: Target,
    *,
    seed: int,
    seconds: float | None = None,
    iterations: int | None = None,
    replay: Sequence[Case] | None = None,
    deep_every: int = 50,
    save_dir: Path | None = None,
    keep_going: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Replay `replay` (the target's corpus when None), then fuzz until `seconds` have passed
    or `iterations` children were checked (whichever comes first; neither: replay only)."""
    report = Report(target.name)
    started = time.monotonic()
    deadline = None if seconds is None else started + seconds
    cases = target.corpus() if replay is None else list(replay)
    seen_failures: set[str] = set()
    with _watchdog(target, save_dir) as watching:

        def attempt(case: Case, deep: bool, iteration: int) -> bool:
            """Check one input; False when the run must stop."""
            watching(case, seed, iteration)
            try:
                report.outcomes.add(target.check(case, deep))
                return True
            except Broken as broken:
                invariant, detail = broken.invariant, broken.detail
            except Exception:
                invariant, detail = "harness-error", traceback.format_exc()
            finally:
                watching(None, seed, iteration)
            return failed(case, invariant, detail, iteration)

        def failed(case: Case, invariant: str, detail: str, iteration: int) -> bool:
            """Count or save a failure; False when the run must stop."""
            bug = known_bug(target.name, invariant, detail)
            if bug is not None:
                report.known[bug.slug] = report.known.get(bug.slug, 0) + 1
                first_line = detail.splitlines()[0][:200] if detail else ""
                report.known_examples.setdefault(
                    bug.slug, f"{case.name}: {invariant}: {first_line}"
                )
                return True
            first_line = detail.splitlines()[0] if detail else ""
            signature = invariant + re.sub(r"\d+|'[^']*'", "N", first_line)[:120]
            if signature in seen_failures:
                return True
            seen_failures.add(signature)
            saved = save_failure(save_dir, target.name, seed, iteration, invariant, detail, case)
            report.found.append(Found(target.name, seed, iteration, invariant, detail, case, saved))
            if progress is not None:
                progress(f"{target.name}: {invariant} (saved to {saved})")
            return keep_going and invariant not in FATAL

        going = True
        for case in cases:
            report.tried += 1
            report.replayed += 1
            going = attempt(case, True, -1)
            if not going or (deadline is not None and time.monotonic() > deadline):
                break
        rng = random.Random(seed)
        pool = list(cases) or target.corpus()
        corpus_size = len(pool)
        iteration = 0
        while going and pool and (seconds is not None or iterations is not None):
            if iterations is not None and iteration >= iterations:
                break
            if deadline is not None and time.monotonic() > deadline:
                break
            parent = pool[-1 - rng.randrange(min(64, len(pool)))] if rng.random() < 0.3 else None
            parent = parent or rng.choice(pool)
            try:
                child = target.mutate(parent, rng, pool)
            except Exception:  # the harness's own bug: reported with the parent it mutated
                failed(parent, "harness-error", "mutating:\n" + traceback.format_exc(), iteration)
                break
            deep = rng.randrange(deep_every) == 0 if deep_every else False
            before = len(report.outcomes)
            report.tried += 1
            going = attempt(child, deep, iteration)
            if len(report.outcomes) > before:
                if len(pool) >= POOL_LIMIT:
                    pool[corpus_size + rng.randrange(len(pool) - corpus_size)] = child
                else:
                    pool.append(child)
            iteration += 1
    report.seconds = time.monotonic() - started
    return report


def save_failure(
    save_dir: Path | None,
    target: str,
    seed: int,
    iteration: int,
    invariant: str,
    detail: str,
    case: Case,
) -> Path:
    """Write the input (and a report beside it, `.txt`); its path."""
    directory = save_dir or Path(tempfile.gettempdir()) / "r53emu-fuzz-failures"
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(case.data).hexdigest()[:12]
    stem = f"{target}-{re.sub(r'[^a-z0-9-]', '-', invariant.lower())}-{digest}"
    path = directory / (stem + case.suffix)
    path.write_bytes(case.data)
    where = "a corpus input" if iteration < 0 else f"iteration {iteration}"
    path.with_suffix(path.suffix + ".txt").write_text(
        f"target: {target}\nseed: {seed} ({where}; input {case.name})\n"
        f"invariant: {invariant}\n\n{detail}\n\n"
        f"replay: .venv/bin/python -m fuzz --target {target} --replay {path}\n",
        encoding="utf-8",
    )
    return path


Watching = Callable[[Case | None, int, int], None]


@contextmanager
def _watchdog(target: Target, save_dir: Path | None) -> Iterator[Watching]:
    """Tell it the input being checked (None: none); past `target.hang_seconds` on one input
    it saves the input, prints every thread's stack and ends the process."""
    current: list[tuple[Case, int, int, float]] = []
    done = threading.Event()

    def watching(case: Case | None, seed: int, iteration: int) -> None:
        current[:] = [] if case is None else [(case, seed, iteration, time.monotonic())]

    def watch() -> None:
        while not done.wait(0.5):
            snapshot = list(current)
            if not snapshot:
                continue
            case, seed, iteration, since = snapshot[0]
            if time.monotonic() - since < target.hang_seconds:
                continue
            detail = f"one check took over {target.hang_seconds:g} s (the stacks: stderr)"
            saved = save_failure(save_dir, target.name, seed, iteration, "hang", detail, case)
            print(f"{target.name}: hang: input saved to {saved}", file=sys.stderr, flush=True)
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            logging.shutdown()
            os._exit(HANG_EXIT)

    thread = threading.Thread(target=watch, name=f"fuzz-watchdog-{target.name}", daemon=True)
    thread.start()
    try:
        yield watching
    finally:
        done.set()
        thread.join(timeout=5)


class LogCollector(logging.Handler):
    """Keeps the records of the loggers it is attached to (at `level` and above)."""

    def __init__(self, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []
        self._lock_records = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock_records:
            self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        with self._lock_records:
            taken, self.records = self.records, []
        return taken


@contextmanager
def collecting(names: Sequence[str], level: int = logging.WARNING) -> Iterator[LogCollector]:
    """A `LogCollector` on each named logger (their levels lowered to `level` meanwhile)."""
    collector = LogCollector(level)
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(collector)
        if logger.getEffectiveLevel() > level:
            logger.setLevel(level)
    try:
        yield collector
    finally:
        for logger, old in zip(loggers, levels, strict=True):
            logger.removeHandler(collector)
            logger.setLevel(old)


def shown(record: logging.LogRecord) -> str:
    """A log record as one would read it: logger, level, message and traceback, if any."""
    text = f"{record.name} {record.levelname}: {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + "".join(traceback.format_exception(*record.exc_info))
    return text
