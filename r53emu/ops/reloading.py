"""Reloading the zones while serving: on request (SIGHUP, POST /reload) and when files change.

The files are read and checked in a worker thread while the old zones keep answering; what they
make (the catalog and its locator) is handed to `install`, which swaps it in within one turn of
the event loop, so no query sees a mix. Invalid files keep the last good zones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import watchfiles

from r53emu.geo.locator import Locator
from r53emu.model.catalog import Catalog
from r53emu.ops.metrics import Metrics
from r53emu.ops.zoneview import zone_summary
from r53emu.zonefiles.errors import ZoneLoadError
from r53emu.zonefiles.loader import ZONE_SUFFIXES, load_catalog

logger = logging.getLogger("r53emu")

WATCH_DEBOUNCE_MS = 300  # an editor's save is often several writes: reload once they settle

# Takes the new catalog, its locator and the directory they came from, and serves them.
Install = Callable[[Catalog, Locator, Path], None]


@dataclass(frozen=True)
class ReloadResult:
    """A reload that took effect: the zones and health checks now served."""

    catalog: Catalog

    def summary(self) -> dict[str, Any]:
        zones = sorted(self.catalog.zones.values(), key=lambda zone: zone.name[::-1])
        return {
            "zones": [zone_summary(zone) for zone in zones],
            "health_checks": len(self.catalog.health_checks),
        }


class ZoneReloader:
    """Loads `zones` again when asked or (once `watch` is started) when a zone file changes."""

    def __init__(
        self,
        zones: Path,
        make_locator: Callable[[Catalog], Locator],
        install: Install,
        metrics: Metrics,
    ) -> None:
        self.zones = zones
        self._make_locator = make_locator
        self._install = install
        self._metrics = metrics
        self._lock = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None
        self._stop_watching = asyncio.Event()

    async def reload(self, zones: Path | None = None) -> ReloadResult:
        """Load the zones directory again (or `zones`, which then becomes the directory that
        later reloads read; a running watcher keeps watching the one it started with); if
        valid, install it.

        Invalid files raise `ZoneLoadError` (each error logged as file:line: field: message,
        and counted in the metrics); a database that cannot be opened raises `ValueError`.
        Either way the old zones stay.
        """
        directory = self.zones if zones is None else zones
        async with self._lock:
            try:
                catalog = await asyncio.to_thread(load_catalog, directory)
                locator = await asyncio.to_thread(self._make_locator, catalog)
            except (ZoneLoadError, ValueError) as exc:
                self._metrics.reload_failures.inc()
                errors = exc.errors if isinstance(exc, ZoneLoadError) else [str(exc)]
                for error in errors:
                    logger.error("reload: %s", error)
                logger.error(
                    "reload refused: %d error(s) in %s; still serving the last good zones",
                    len(errors),
                    directory,
                )
                raise
            self.zones = directory
            self._install(catalog, locator, directory)
            self._metrics.reloads.inc()
            logger.info(
                "reloaded %s: %d zone(s), %d health check(s)",
                directory,
                len(catalog.zones),
                len(catalog.health_checks),
            )
            return ReloadResult(catalog)

    async def reload_logged(self) -> None:
        """`reload`, for callers that only want it logged (SIGHUP, the file watcher)."""
        with contextlib.suppress(ZoneLoadError, ValueError):
            await self.reload()

    def watch(self) -> None:
        """Start reloading whenever a zone file in the directory (or the one zone file served)
        is written, added or removed."""
        self._stop_watching = asyncio.Event()  # a fresh one: stop() sets it for good
        self._watcher = asyncio.get_running_loop().create_task(
            self._watch(self.zones), name="r53emu zone watcher"
        )

    async def stop(self) -> None:
        """Stop watching; returns once the watcher has ended."""
        if self._watcher is not None:
            self._stop_watching.set()
            await self._watcher
            self._watcher = None

    async def _watch(self, zones: Path) -> None:
        # One zone file is watched through its directory: an editor that saves by writing a
        # new file and renaming it over the old one replaces what a watch on the file follows.
        directory = zones.parent if zones.is_file() else zones
        wanted = str(zones.resolve()) if zones.is_file() else None

        def is_zone_file(_change: watchfiles.Change, path: str) -> bool:
            if wanted is not None:
                return str(Path(path).resolve()) == wanted
            return path.endswith(ZONE_SUFFIXES)

        try:
            async for _changes in watchfiles.awatch(
                directory,
                watch_filter=is_zone_file,
                stop_event=self._stop_watching,
                debounce=WATCH_DEBOUNCE_MS,
                step=50,
            ):
                await self.reload_logged()
        except Exception:  # e.g. the directory was removed: serving goes on, unwatched
            logger.exception("stopped watching %s; SIGHUP or POST /reload still reload it", zones)
