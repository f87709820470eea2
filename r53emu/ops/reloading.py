"""Reloading the zones while serving: on request (SIGHUP, POST /reload) and when files change.

The files are read and checked in a worker thread while the old zones keep answering; what they
make (the catalog and its locator) is handed to `install`, which swaps it in within one turn of
the event loop, so no query sees a mix. Invalid files keep the last good zones; so does a reload
that fails in any other way (a file removed while it was read, too many open files): one log
line, counted as a failed reload.

The watcher reloads only once the files have settled: after a change, it waits until no zone
file has changed (name, inode, size, modification and change times) for `SETTLE_SECONDS`, and
installs what it read only if the files were still the same once read, so a file written in
parts is not loaded half-written. It survives every error: a failed reload is retried a few
times when it failed for something other than the files' contents, and a watch that fails or
loses its directory (removed, replaced) is started again, with a short back-off, once the
directory is back; the zones are then reloaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import stat
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import watchfiles

from r53emu.geo.locator import Locator
from r53emu.model.catalog import Catalog
from r53emu.ops.metrics import Metrics
from r53emu.ops.zoneview import zone_summary
from r53emu.zonefiles.errors import ZoneError, ZoneLoadError
from r53emu.zonefiles.loader import ZONE_SUFFIXES, load_catalog, zone_files
from r53emu.zonefiles.sourcefile import MAX_FILE_BYTES

logger = logging.getLogger("r53emu")

WATCH_DEBOUNCE_MS = 300  # the longest watchfiles groups changes before telling the watcher
WATCH_STEP_MS = 50  # how often watchfiles looks for more changes (and for the stop event)
WATCH_TIMEOUT_MS = 1000  # the watcher wakes at least this often: a gone directory, a retry
SETTLE_SECONDS = 0.4  # a change is loaded once no zone file has changed for this long
SETTLE_LIMIT_SECONDS = 10.0  # files that never stop changing are loaded after this anyway
RETRY_DELAYS = (1.0, 2.0, 4.0)  # a reload that failed unexpectedly is tried again after these
REWATCH_DELAYS = (1.0, 2.0, 4.0)  # a failed or lost watch is started again after these (then 4)
READ_AGAIN_LIMIT = 10  # files changed while being read: read again at most this many times

# Takes the new catalog, its locator and the directory they came from, and serves them.
Install = Callable[[Catalog, Locator, Path], None]

# The zone files as they are: (name, inode, size, mtime ns, ctime ns) of each; None if `zones`
# (the directory, or the one zone file served) is gone.
FileStates = frozenset[tuple[str, int, int, int, int]] | None


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


class ReloadCrashed(ZoneLoadError):
    """A reload that failed for something other than the files' contents (a file removed while
    it was read, too many open files, a RecursionError): one `ZoneError` naming the cause, so
    that every caller of `reload` handles it as it handles invalid files."""

    def __init__(self, directory: Path, cause: Exception) -> None:
        message = f"could not be read: {type(cause).__name__}: {cause}"
        super().__init__([ZoneError(str(directory), 0, "", message)])
        self.cause = cause


def zone_file_states(zones: Path) -> FileStates:
    """What the zone files of `zones` (a directory, or one zone file) are now."""
    try:
        if zones.is_dir():
            paths = zone_files(zones)
        else:
            zones.stat()  # the one file served: gone is None, as for a directory
            paths = [zones]
    except OSError:
        return None
    states = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue  # removed since it was listed
        if stat.S_ISREG(info.st_mode):
            states.append(
                (path.name, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
            )
    return frozenset(states)


def _identity(directory: Path) -> tuple[int, int] | None:
    """The directory's device and inode (a new one when it is replaced); None if it is gone."""
    try:
        info = directory.stat()
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


class ZoneReloader:
    """Loads `zones` again when asked or (once `watch` is started) when a zone file changes."""

    def __init__(
        self,
        zones: Path,
        make_locator: Callable[[Catalog], Locator],
        install: Install,
        metrics: Metrics,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self.zones = zones
        self.max_file_bytes = max_file_bytes
        self._make_locator = make_locator
        self._install = install
        self._metrics = metrics
        self._lock = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None
        self._stop_watching = asyncio.Event()
        self._loaded: FileStates = None  # the files the watcher last read (None: read again)
        self._retry_at: float | None = None  # when to retry a reload that failed unexpectedly
        self._retries = 0
        self._watch_failures = 0  # failed or lost watches in a row

    async def reload(self, zones: Path | None = None) -> ReloadResult:
        """Load the zones directory again (or `zones`, which then becomes the directory that
        later reloads read; a running watcher keeps watching the one it started with); if
        valid, install it.

        Invalid files raise `ZoneLoadError` (each error logged as file:line: field: message,
        and counted in the metrics); a database that cannot be opened raises `ValueError`; any
        other failure (a file removed while read, too many open files) raises `ReloadCrashed`,
        a `ZoneLoadError`, logged in one line and counted. Either way the old zones stay.
        """
        result = await self._reload(zones)
        assert result is not None, "only a check of the files declines a reload"
        return result

    async def _reload(
        self, zones: Path | None = None, unchanged: Callable[[], Awaitable[bool]] | None = None
    ) -> ReloadResult | None:
        """`reload`; with `unchanged`, asked once the files are read, None (nothing counted,
        logged or installed) if it says the files changed meanwhile."""
        directory = self.zones if zones is None else zones
        async with self._lock:
            try:
                catalog = await asyncio.to_thread(
                    load_catalog, directory, max_file_bytes=self.max_file_bytes
                )
                locator = await asyncio.to_thread(self._make_locator, catalog)
            except (ZoneLoadError, ValueError) as exc:
                if unchanged is not None and not await unchanged():
                    return None
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
            except Exception as exc:
                if unchanged is not None and not await unchanged():
                    return None
                self._metrics.reload_failures.inc()
                crashed = ReloadCrashed(directory, exc)
                logger.error("reload failed: %s; still serving the last good zones", crashed)
                logger.debug("reload failure", exc_info=True)
                raise crashed from exc
            if unchanged is not None and not await unchanged():
                locator.close()
                return None
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
        """`reload`, for callers that only want it logged (SIGHUP)."""
        with contextlib.suppress(ZoneLoadError, ValueError):
            await self.reload()

    def watch(self) -> None:
        """Start reloading whenever a zone file in the directory (or the one zone file served)
        is written, added or removed, once the files have settled."""
        self._stop_watching = asyncio.Event()  # a fresh one: stop() sets it for good
        self._loaded, self._retry_at, self._retries, self._watch_failures = None, None, 0, 0
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
        """Watch until stopped, whatever happens: a watch that fails or loses its directory is
        started again after a back-off, and the zones reloaded then (changes may be missed)."""
        # One zone file is watched through its directory: an editor that saves by writing a
        # new file and renaming it over the old one replaces what a watch on the file follows.
        one_file = zones.is_file()
        directory = zones.parent if one_file else zones
        wanted = str(zones.resolve()) if one_file else None
        root = str(directory)

        def is_zone_file(_change: watchfiles.Change, path: str) -> bool:
            if path == root:  # the directory itself: removed, most likely
                return True
            if wanted is not None:
                return str(Path(path).resolve()) == wanted
            return path.endswith(ZONE_SUFFIXES)

        restarted = False
        while not self._stop_watching.is_set():
            try:
                identity = _identity(directory)
                if identity is not None:
                    if await self._watch_directory(directory, identity, is_zone_file, restarted):
                        return
                    replaced, identity = identity, _identity(directory)
                    if identity is not None and identity != replaced:
                        logger.info("%s was replaced: watching the new one", directory)
                if identity is None:
                    if self._watch_failures == 0:
                        logger.warning(
                            "%s is gone: still serving the last good zones; watching for it "
                            "to come back",
                            directory,
                        )
                    self._watch_failures += 1
            except Exception as exc:
                if self._watch_failures == 0:
                    logger.error(
                        "watching %s failed (%s: %s); watching again shortly (SIGHUP or POST "
                        "/reload reload meanwhile)",
                        zones,
                        type(exc).__name__,
                        exc,
                    )
                else:
                    logger.debug("watching %s failed again", zones, exc_info=True)
                self._watch_failures += 1
            restarted = True
            failures = max(self._watch_failures, 1)
            delay = REWATCH_DELAYS[min(failures, len(REWATCH_DELAYS)) - 1]
            if await self._stopped_within(delay):
                return

    async def _watch_directory(
        self,
        directory: Path,
        identity: tuple[int, int],
        is_zone_file: Callable[[watchfiles.Change, str], bool],
        restarted: bool,
    ) -> bool:
        """Reload on changes until stopped (True) or the directory is gone or replaced (False).
        `restarted`: an earlier watch ended, so changes may have been missed: reload once this
        one watches."""
        pending = restarted
        async for changes in watchfiles.awatch(
            directory,
            watch_filter=is_zone_file,
            stop_event=self._stop_watching,
            debounce=WATCH_DEBOUNCE_MS,
            step=WATCH_STEP_MS,
            rust_timeout=WATCH_TIMEOUT_MS,
            yield_on_timeout=True,  # an empty set every WATCH_TIMEOUT_MS without changes
        ):
            if self._watch_failures:
                logger.info("watching %s again", directory)
                self._watch_failures = 0
            if _identity(directory) != identity:
                return False
            retry_due = self._retry_at is not None and time.monotonic() >= self._retry_at
            if changes or pending or retry_due:
                pending = False
                await self._reload_when_settled()
        return True

    async def _reload_when_settled(self) -> None:
        """Reload once the zone files have settled, unless they are what was last read."""
        zones = self.zones
        for _attempt in range(READ_AGAIN_LIMIT):
            settled = await self._settled(zones)
            if self._stop_watching.is_set():
                return
            if settled is None:
                logger.warning("%s is gone: still serving the last good zones", zones)
                return
            if settled == self._loaded:
                return  # the changes were read already (they came while settling)

            async def unchanged(settled: FileStates = settled) -> bool:
                return await asyncio.to_thread(zone_file_states, zones) == settled

            try:
                result = await self._reload(zones, unchanged)
            except ReloadCrashed:
                self._loaded = None
                self._retries += 1
                if self._retries <= len(RETRY_DELAYS):
                    self._retry_at = time.monotonic() + RETRY_DELAYS[self._retries - 1]
                else:  # not a passing trouble, it seems: the next change tries again
                    self._retry_at, self._retries = None, 0
                return
            except (ZoneLoadError, ValueError):
                pass  # logged and counted: not again until the files change
            else:
                if result is None:
                    continue  # the files changed while being read: let them settle again
            self._loaded = settled
            self._retry_at, self._retries = None, 0
            return

    async def _settled(self, zones: Path) -> FileStates:
        """The zone files' states once none has changed for SETTLE_SECONDS (or, if they keep
        changing, after SETTLE_LIMIT_SECONDS; or at once when stopped)."""
        states = await asyncio.to_thread(zone_file_states, zones)
        deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
        while not await self._stopped_within(SETTLE_SECONDS):
            now = await asyncio.to_thread(zone_file_states, zones)
            if now == states or time.monotonic() >= deadline:
                return now
            states = now
        return states

    async def _stopped_within(self, seconds: float) -> bool:
        """Wait `seconds`, or less if the watcher is stopped meanwhile; True if stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_watching.wait(), seconds)
        return self._stop_watching.is_set()
