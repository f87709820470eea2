"""Run an `R53Emu` in a background thread, for synchronous callers (tests, the pytest plugin).

The server is bound before `start()` returns (like dnspython's nanonameserver), so the caller
can query `address` at once.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from r53emu.app import R53Emu, ServerConfig
from r53emu.model import Catalog


class BackgroundServer:
    """`with BackgroundServer(config) as server: dig @server.address[0] -p server.address[1]`."""

    def __init__(self, config: ServerConfig, catalog: Catalog | None = None) -> None:
        self.server = R53Emu(config, catalog)
        self._loop = asyncio.new_event_loop()
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
