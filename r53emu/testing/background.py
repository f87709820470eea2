"""Run an `R53Emu` in a background thread, for synchronous callers (tests, the pytest plugin).

The server is bound before `start()` returns (like dnspython's nanonameserver), so the caller
can query `address` at once.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from r53emu.app import R53Emu, ServerConfig
from r53emu.health.scheduler import HealthScheduler
from r53emu.model.catalog import Catalog
from r53emu.ops.reloading import ReloadResult
from r53emu.server.eventloop import loop_factory

T = TypeVar("T")


class BackgroundServer:
    """`with BackgroundServer(config) as server: dig @server.address[0] -p server.address[1]`."""

    def __init__(self, config: ServerConfig, catalog: Catalog | None = None) -> None:
        self.server = R53Emu(config, catalog)
        self._loop = (loop_factory() or asyncio.new_event_loop)()
        self._thread = threading.Thread(target=self._loop.run_forever, name="r53emu", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def start(self) -> BackgroundServer:
        """Start the loop thread and the server; re-raises load and bind errors here."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self.server.start(), self._loop)
        try:
            future.result(timeout=60)
        except BaseException:
            self._shutdown_loop()
            raise
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=30)
        self._shutdown_loop()

    # --- steering, from any thread: each call returns once routing sees the change ----------

    def reload(self, zones: Path | None = None) -> ReloadResult:
        """Reload the zones directory, or serve `zones` instead (`R53Emu.reload`); raises
        `ZoneLoadError` if invalid (the previous zones keep serving)."""
        reloading = self.server.reload(zones)
        return asyncio.run_coroutine_threadsafe(reloading, self._loop).result(timeout=60)

    def seed(self, seed: int | None) -> None:
        """Restart the answers' random choices from `seed` (None: unseeded)."""

        async def reseed() -> None:
            self.server.handler.rng = random.Random(seed)

        asyncio.run_coroutine_threadsafe(reseed(), self._loop).result(timeout=30)

    def set_health(self, check_id: str, healthy: bool) -> None:
        """Force a health check healthy or unhealthy (until `clear_override`)."""
        self._in_loop(lambda scheduler: scheduler.set_override(check_id, healthy))

    def clear_override(self, check_id: str) -> None:
        self._in_loop(lambda scheduler: scheduler.clear_override(check_id))

    def clear_overrides(self) -> None:
        self._in_loop(lambda scheduler: scheduler.clear_overrides())

    def clear_switches(self) -> None:
        """Undo every `set_switch`: the zone files' switch states apply again."""
        self._in_loop(lambda scheduler: scheduler.clear_switches())

    def set_switch(self, check_id: str, state: str) -> None:
        """Flip a RECOVERY_CONTROL (On/Off) or CLOUDWATCH_METRIC (OK/ALARM/...) check."""
        self._in_loop(lambda scheduler: scheduler.set_switch(check_id, state))

    def health_status(self, check_id: str) -> dict[str, Any]:
        """The check's status, observations, last transition and reason."""
        return self._in_loop(lambda scheduler: scheduler.describe(check_id))

    def _in_loop(self, call: Callable[[HealthScheduler], T]) -> T:
        async def run() -> T:
            scheduler = self.server.health_checks
            assert scheduler is not None, "start() first"
            return call(scheduler)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    def _shutdown_loop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
        if not self._loop.is_closed():
            self._loop.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
