"""Coalesced wake-ups (`health.timergrid`): never early, at most a slot late, a turn a slot."""

from __future__ import annotations

import asyncio
import math

import pytest

from r53emu.health.timergrid import TimerGrid

RESOLUTION = 0.05


@pytest.mark.asyncio
async def test_sleepers_of_one_slot_wake_in_the_same_loop_turn() -> None:
    """Three sleepers due at different times within one slot wake together, at the slot's end."""
    loop = asyncio.get_running_loop()
    grid = TimerGrid(RESOLUTION)
    slot_end = (math.floor(loop.time() / RESOLUTION) + 3) * RESOLUTION
    woken: list[tuple[str, float]] = []
    turns: list[int] = []
    turn = 0

    def count_turns() -> None:
        nonlocal turn
        turn += 1
        loop.call_soon(count_turns)

    async def sleeper(name: str, due: float) -> None:
        await grid.sleep_until(due)
        woken.append((name, loop.time()))
        turns.append(turn)

    loop.call_soon(count_turns)
    dues = {"a": slot_end - 0.04, "b": slot_end - 0.02, "c": slot_end - 0.001}
    await asyncio.gather(*(sleeper(name, due) for name, due in dues.items()))
    assert len(set(turns)) == 1  # one loop turn woke all three
    for name, at in woken:
        assert at >= dues[name]
        assert at >= slot_end - 0.002  # (the loop's clock granularity)
        assert at < slot_end + RESOLUTION


@pytest.mark.asyncio
async def test_a_due_time_on_a_slot_boundary_is_not_delayed() -> None:
    loop = asyncio.get_running_loop()
    grid = TimerGrid(RESOLUTION)
    due = (math.floor(loop.time() / RESOLUTION) + 2) * RESOLUTION
    await grid.sleep_until(due)
    assert due - 0.002 <= loop.time() < due + RESOLUTION / 2


@pytest.mark.asyncio
async def test_a_past_due_time_wakes_at_once() -> None:
    loop = asyncio.get_running_loop()
    grid = TimerGrid(1.0)
    started = loop.time()
    await grid.sleep_until(started - 5)
    assert loop.time() - started < 0.1


@pytest.mark.asyncio
async def test_cancelling_one_sleeper_leaves_the_others_of_its_slot() -> None:
    loop = asyncio.get_running_loop()
    grid = TimerGrid(RESOLUTION)
    due = loop.time() + RESOLUTION
    cancelled = asyncio.create_task(grid.sleep_until(due))
    kept = asyncio.create_task(grid.sleep_until(due))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.wait_for(kept, 1.0)
    assert cancelled.cancelled()


def test_resolution_must_be_positive() -> None:
    with pytest.raises(ValueError, match="resolution must be positive"):
        TimerGrid(0)


@pytest.mark.parametrize("resolution", [0.05, 0.1, 0.25, 1.0])
def test_wake_time_is_the_first_grid_point_at_or_after_the_due_time(resolution: float) -> None:
    """Never early, never a slot late, also where float division lands just past a boundary."""
    grid = TimerGrid(resolution)
    for k in range(100_000, 101_000):
        boundary = k * resolution
        assert grid.wake_time(boundary) == boundary
        assert grid.wake_time(boundary + resolution / 3) == (k + 1) * resolution
