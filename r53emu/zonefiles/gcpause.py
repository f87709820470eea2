"""Pausing Python's cyclic garbage collector while zones load.

Loading builds hundreds of thousands of small objects that all stay alive, so every collection
the allocations trigger scans a growing heap for nothing: measured on 10k record sets, the
collector made loading twice as slow (2.0 s against 1.1 s; 12.9 s against 5.6 s for 50k) and,
during a reload in a worker thread, held the GIL for up to 240 ms at a time, stalling the event
loop that answers queries. The zone model has no reference cycles, so reference counting frees
everything it needs to; the collector resumes when the outermost load ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # loads in progress (threads may load at once: tests run several servers)
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Within this block (and any other thread's), the cyclic collector does not run."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
