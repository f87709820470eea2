"""One render at a time, shared by every request waiting for it (the admin API's `/metrics`).

`Metrics.render_async` formats the text in a worker thread, so that a large exposition never
holds up the loop that answers DNS. But a thread doing Python work takes the GIL from that loop
whenever it runs: 32 clients streaming `GET /metrics` kept up to six worker threads (the default
executor's) formatting at once, and every socket call of the loop's thread (a UDP answer makes
two) waited for the GIL behind them (docs/performance.md, "Sharing the loop").

`SharedRender` runs one render at a time, and lets the next start only after a pause as long as
the last one took (the thread formats at most half of the time). A request is given the first
render that starts after it arrived, never an older one: what it reads is as fresh as if it had
been rendered for it alone, and every request that arrived meanwhile shares that render.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

MAX_PAUSE = 0.05  # seconds between two renders at most, whatever the last one took


class SharedRender:
    """Results of `render` (an async callable), one render at a time (see the module)."""

    def __init__(self, render: Callable[[], Awaitable[bytes]], max_pause: float = MAX_PAUSE):
        self._render = render
        self.max_pause = max_pause
        self.renders = 0  # renders made, since the start
        self._running: asyncio.Task[None] | None = None
        self._next: asyncio.Future[bytes] | None = None  # for the requests of the next render

    async def get(self) -> bytes:
        """A render started after this call (shared with the other calls waiting for it)."""
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if self._running is None:
                self._running = asyncio.create_task(self._renders())
        # Shielded: a request whose client went away does not cancel the others' render.
        return await asyncio.shield(self._next)

    async def _renders(self) -> None:
        result: asyncio.Future[bytes] | None = None
        try:
            while self._next is not None:
                result, self._next = self._next, None
                began = time.perf_counter()
                try:
                    body = await self._render()
                except Exception as exc:  # given to every request waiting for this render
                    result.set_exception(exc)
                    result.exception()  # retrieved here: no warning when none waits any more
                else:
                    result.set_result(body)
                self.renders += 1
                if self._next is not None:
                    await asyncio.sleep(min(time.perf_counter() - began, self.max_pause))
        finally:
            self._running = None
            for pending in (result, self._next):
                if pending is not None and not pending.done():
                    pending.cancel()  # this task was cancelled: the server stops
            self._next = None

    def close(self) -> None:
        """Stop rendering (the server stops): requests still waiting are cancelled."""
        if self._running is not None:
            self._running.cancel()
