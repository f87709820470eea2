"""The API's state kept in `--state-dir`: every accepted change journaled before its reply.

A change is an operation that changes state (`CHANGING`) and succeeded. The journal keeps what
is needed to make it again exactly: the operation's name, its parameters as boto3 gave them, and
the ids and times the state drew while doing it (`ApiZones` draws them from its `IdSource` and
clock, which `DurableZones` records). At start, `DurableZones.open` replays every journaled
change through the same operations, with those ids and times given back in order: the state is
what the clients were told, to the id. A replay that fails, or draws what was not recorded, means
the files are not what r53emu wrote: `StateFileError`, and the server does not start.

The entry is appended and fsynced (`statefiles.StateDir`) before the reply is sent: a crash
loses only changes nobody was told of. Should the append fail (a full disk), the change stays
in memory but unacknowledged: the client gets InternalFailure and every later change is refused
(ServiceUnavailable) until the server restarts from what the disk holds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from r53emu.api.errors import ApiError
from r53emu.api.hostedzones import ApiZones
from r53emu.api.ids import IdSource
from r53emu.api.operations import OPERATIONS, Params
from r53emu.api.statefiles import StateDir, StateFileError

CHANGING = frozenset(
    {"CreateHostedZone", "UpdateHostedZoneComment", "DeleteHostedZone", "ChangeResourceRecordSets"}
)
Drawn = list[tuple[str, str]]  # ("zone" | "change" | "time", the value), in the order drawn


class _Recorder:
    """Ids and times drawn from the real sources, noted while an operation runs."""

    def __init__(self, ids: IdSource, clock: Callable[[], datetime]) -> None:
        self._ids, self._clock = ids, clock
        self.drawn: Drawn = []

    def zone_id(self) -> str:
        return self._note("zone", self._ids.zone_id())

    def change_id(self) -> str:
        return self._note("change", self._ids.change_id())

    def request_id(self) -> str:
        return self._ids.request_id()  # not state: never journaled

    def now(self) -> datetime:
        moment = self._clock()
        self.drawn.append(("time", moment.isoformat()))
        return moment

    def _note(self, kind: str, value: str) -> str:
        self.drawn.append((kind, value))
        return value


class _Replay:
    """The ids and times one journaled change drew, given back in the same order."""

    def __init__(self, drawn: Drawn, ids: IdSource) -> None:
        self._drawn, self._ids = list(drawn), ids

    def zone_id(self) -> str:
        return self._next("zone")

    def change_id(self) -> str:
        return self._next("change")

    def request_id(self) -> str:
        return self._ids.request_id()

    def now(self) -> datetime:
        return datetime.fromisoformat(self._next("time"))

    def _next(self, kind: str) -> str:
        if not self._drawn or self._drawn[0][0] != kind:
            raise ValueError(f"it draws a {kind} the journal did not record")
        return self._drawn.pop(0)[1]

    def finished(self) -> bool:
        return not self._drawn


class DurableZones:
    """`ApiZones` whose accepted changes are journaled in a state directory (see the module
    docstring). `changed` is the dispatcher's hook (`ApiDispatcher(on_change=...)`)."""

    def __init__(self, zones: ApiZones, state: StateDir) -> None:
        self.zones = zones
        self.state = state
        self._recorder = _Recorder(zones.ids, zones.clock)
        zones.ids, zones.clock = self._recorder, self._recorder.now
        self.broken: str | None = None  # why changes are refused (a failed append)

    @classmethod
    def open(cls, zones: ApiZones, directory: Path) -> DurableZones:
        """Replay `directory`'s journal into `zones` (which must be empty) and keep journaling."""
        state = StateDir(directory)
        loaded = state.load()
        journal = state.directory / f"journal-{state.generation}.log"
        real_ids, real_clock = zones.ids, zones.clock
        try:
            for number, entry in enumerate(loaded.entries, start=1):
                _replay(zones, entry, real_ids, journal, number)
        finally:
            zones.ids, zones.clock = real_ids, real_clock
        return cls(zones, state)

    def starting(self, operation: str) -> None:
        """Called before an operation runs: refuse changes once the journal failed."""
        self._recorder.drawn = []
        if operation in CHANGING and self.broken is not None:
            raise ApiError("ServiceUnavailable", self.broken, 503, sender=False)

    def changed(self, operation: str, params: Params) -> None:
        """Journal a change that succeeded; raises (InternalFailure) if it cannot be kept."""
        if operation not in CHANGING:
            return
        entry = {"op": operation, "params": params, "drawn": self._recorder.drawn}
        try:
            self.state.append(entry)
        except OSError as exc:
            self.broken = (
                f"r53emu could not write its state directory ({exc.strerror or exc}): changes "
                "are refused until it restarts"
            )
            raise ApiError("InternalFailure", self.broken, 500, sender=False) from exc

    def close(self) -> None:
        self.state.close()


def _replay(zones: ApiZones, entry: Any, ids: IdSource, journal: Path, number: int) -> None:
    if not isinstance(entry, dict) or entry.get("op") not in CHANGING:
        raise StateFileError(journal, number, "not a change r53emu journaled")
    replay = _Replay([tuple(pair) for pair in entry.get("drawn", ())], ids)
    zones.ids, zones.clock = replay, replay.now
    try:
        OPERATIONS[entry["op"]](zones, entry["params"])
        if not replay.finished():
            raise ValueError("it draws less than the journal recorded")
    except (ApiError, ValueError, KeyError, TypeError) as exc:
        raise StateFileError(journal, number, f"replaying {entry['op']} failed: {exc}") from exc
