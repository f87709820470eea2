"""Progress of a long zone load, shown on standard error: `loading zones: 412 files, 61,000 record
sets, 2.1 s` (the command line's; `load_catalog` calls a `LoadProgress` after each file)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PROGRESS_AFTER = 1.0  # seconds of loading before progress is shown, and between two updates


class ProgressLine:
    """Progress on standard error: on a terminal one line, rewritten in place after a carriage
    return; elsewhere (a log file, a pipe) one line per update."""

    def __init__(self) -> None:
        self._terminal = sys.stderr.isatty()
        self._width = 0  # of the line on the terminal, to blank out what a shorter one leaves

    def show(self, line: str) -> None:
        if self._terminal:
            sys.stderr.write("\r" + line.ljust(self._width))
            self._width = max(self._width, len(line))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def end(self) -> None:
        if self._terminal and self._width:
            sys.stderr.write("\n")
            sys.stderr.flush()


class LoadProgress:
    """`load_catalog`'s progress callback: `loading zones: 412 files, 61,000 record sets, 2.1 s`.

    Shown once loading has taken more than `PROGRESS_AFTER` seconds, then at most once per that
    many seconds, and a last time by `done` if the counts moved since. A load that is quick
    shows nothing.
    """

    def __init__(
        self, show: Callable[[str], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._show = show
        self._clock = clock
        self._started = clock()
        self._shown_at: float | None = None
        self._counts = (0, 0)
        self._shown_counts = (0, 0)

    def __call__(self, files: int, record_sets: int) -> None:
        self._counts = (files, record_sets)
        now = self._clock()
        if now - self._started < PROGRESS_AFTER:
            return
        if self._shown_at is not None and now - self._shown_at < PROGRESS_AFTER:
            return
        self._emit(now)

    def done(self) -> None:
        if self._shown_at is not None and self._counts != self._shown_counts:
            self._emit(self._clock())

    def _emit(self, now: float) -> None:
        files, record_sets = self._counts
        plural = "" if files == 1 else "s"
        self._show(
            f"loading zones: {files:,} file{plural}, {record_sets:,} record sets, "
            f"{now - self._started:.1f} s"
        )
        self._shown_at = now
        self._shown_counts = self._counts


@contextmanager
def load_progress(
    show: Callable[[str], None], end: Callable[[], None] = lambda: None
) -> Iterator[LoadProgress]:
    """A `LoadProgress` for one load; its last line is shown (and `end` called) however the
    load ends, so that errors print below it."""
    progress = LoadProgress(show)
    try:
        yield progress
    finally:
        progress.done()
        end()
