"""The event loop r53emu runs on: uvloop where it is installed, else asyncio's own.

uvloop cuts the per-wakeup cost of the loop several times over (docs/performance.md, Anchors: a
precomputed-bytes responder answers ~270k q/s on uvloop against ~54k on asyncio), which is what
both the DNS listeners and a thousand health-check tasks spend their time on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory when uvloop imports, else None (asyncio's default loop)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
