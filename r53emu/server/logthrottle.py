"""Rate-limited logging: at most one line per kind of event per interval, whatever comes in.

What clients send decides how often the listeners and the admin API would log (a flood of bad
requests, of connections over the cap); `LogThrottle` keeps that to one line per kind every
`interval` seconds (10 by default). The first line of a kind after a quiet spell says how many
were left out before it: `... (4,211 more like it not logged since the previous one)`. Kinds
are chosen by the code (an exception's class, a fixed name), never by the input, so their
number stays small; the table is cleared if it ever reaches `MAX_KINDS` anyway.

In `server/` (the listeners use it) rather than `ops/`: rooms import downwards only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

LOG_INTERVAL = 10.0  # seconds: at most one line per kind of event in each
MAX_KINDS = 1000


@dataclass
class _Window:
    opened: float  # when the last line of this kind was let through
    suppressed: int = 0  # lines of this kind left out since


class LogThrottle:
    """Let through one log line per kind per `interval` seconds, counting the rest."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = LOG_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval = interval
        self._clock = clock
        self._windows: dict[Hashable, _Window] = {}

    def allow(self, kind: Hashable) -> tuple[bool, int]:
        """(whether to log this one, how many of its kind were left out before it)."""
        now = self._clock()
        window = self._windows.get(kind)
        if window is not None and now - window.opened < self.interval:
            window.suppressed += 1
            return False, 0
        if len(self._windows) >= MAX_KINDS:
            self._windows.clear()
        suppressed = window.suppressed if window is not None else 0
        self._windows[kind] = _Window(opened=now)
        return True, suppressed

    def log(self, level: int, kind: Hashable, message: str, *args: object) -> None:
        """`logger.log(level, message, *args)` unless a line of `kind` went out recently."""
        if not self.logger.isEnabledFor(level):
            return
        allowed, suppressed = self.allow(kind)
        if allowed:
            self.logger.log(level, message + suffix(suppressed), *args)


def suffix(suppressed: int) -> str:
    """What to add to a line after `suppressed` of its kind were left out ('' for none); no %
    in it, so it may end a %-format message."""
    if not suppressed:
        return ""
    return f" ({suppressed:,} more like it not logged since the previous one)"
