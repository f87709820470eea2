"""Coalesced wake-ups: sleepers due within the same slot of a time grid wake in one loop turn.

A thousand health checks at a 10 s interval, each on its own timer, wake the event loop a
hundred times a second, and each lone wake-up runs the probe code cold. `TimerGrid` rounds each
due time up to the next multiple of its `resolution` and keeps one loop timer per occupied
slot, so probes due close together start in the same loop turn, the idea behind the kernel's
timer slack. Measured with benchmarks/health_scheduler.py (1,000 checks, no queries), a 50 ms
grid took the scheduler from 3.6 % to 2.3 % of a core, with DNS latency under load unchanged.
A sleeper never wakes early and at most `resolution` seconds late.

`await grid.sleep_until(when)` (loop time); `grid.wake_time(when)` says when that will be.
Cancelling one sleeper leaves the others of its slot alone; a slot whose sleepers are all gone
still fires once, harmlessly.
"""

from __future__ import annotations

import asyncio
import math


class TimerGrid:
    """One loop timer per occupied slot of `resolution` seconds; see the module docstring."""

    def __init__(self, resolution: float) -> None:
        if resolution <= 0:
            raise ValueError(f"resolution must be positive, not {resolution!r}")
        self.resolution = resolution
        self._slots: dict[int, list[asyncio.Future[None]]] = {}

    async def sleep_until(self, when: float) -> None:
        """Sleep until loop time `when`, rounded up to the grid."""
        loop = asyncio.get_running_loop()
        slot = self._slot(when)
        waiters = self._slots.get(slot)
        if waiters is None:
            waiters = self._slots[slot] = []
            loop.call_at(slot * self.resolution, self._fire, slot)
        waiter: asyncio.Future[None] = loop.create_future()
        waiters.append(waiter)
        await waiter

    def wake_time(self, when: float) -> float:
        """When a sleeper due at `when` wakes: the first grid point at or after it."""
        return self._slot(when) * self.resolution

    def _slot(self, when: float) -> int:
        slot = math.ceil(when / self.resolution)
        if (slot - 1) * self.resolution >= when:  # the division rounded up past a boundary
            slot -= 1
        return slot

    def _fire(self, slot: int) -> None:
        for waiter in self._slots.pop(slot, ()):
            if not waiter.done():  # a cancelled sleeper's future is done already
                waiter.set_result(None)
