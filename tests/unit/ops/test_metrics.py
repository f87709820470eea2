"""The gauges of r53emu.ops.metrics read from the server's objects: the reply cache's size and
the event loop's tasks (the query counts are checked through the admin API in tests/integration/).
"""

from __future__ import annotations

import asyncio
import random
import struct
import threading
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from r53emu.geo.locator import Locator
from r53emu.ops.metrics import Metrics, loop_tasks
from r53emu.server.handler import QueryHandler
from r53emu.zonefiles.loader import load_catalog

ZONE = """\
zone: gauges.test
record_sets:
  - {name: www, type: A, ttl: 60, records: [192.0.2.1, 192.0.2.2]}
  - {name: txt, type: TXT, ttl: 60, records: ['"hello"']}
"""
GAUGES = ("r53emu_reply_cache_entries", "r53emu_reply_cache_bytes", "r53emu_event_loop_tasks")


def packet(name: str, qtype: int = 1) -> bytes:
    question = b"".join(bytes((len(label),)) + label for label in name.encode().split(b"."))
    return (
        struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0)
        + question
        + b"\0"
        + struct.pack("!HH", qtype, 1)
    )


@pytest.fixture
def handler(tmp_path: Path) -> QueryHandler:
    (tmp_path / "gauges.yaml").write_text(ZONE)
    catalog = load_catalog(tmp_path)
    built = QueryHandler(catalog, random.Random(1))
    built.locator = Locator(catalog.client_locations)
    return built


def gauges(text: bytes) -> dict[str, float]:
    """The values of the gauges of GAUGES present in an exposition."""
    return {
        family.name: family.samples[0].value
        for family in text_string_to_metric_families(text.decode())
        if family.name in GAUGES
    }


def test_the_cache_gauges_follow_the_reply_cache(handler: QueryHandler) -> None:
    cache = handler.replies
    assert cache is not None
    metrics = Metrics(handler.stats, cache)
    assert gauges(metrics.render()) == {
        "r53emu_reply_cache_entries": 0,
        "r53emu_reply_cache_bytes": 0,
    }
    for name, qtype in (("www.gauges.test", 1), ("txt.gauges.test", 16), ("no.gauges.test", 1)):
        assert handler.handle(packet(name, qtype), "127.0.0.1", "udp") is not None
    assert len(cache) == 3
    assert cache.bytes > 3 * 100  # entries, keys and replies: hundreds of bytes each
    assert gauges(metrics.render()) == {
        "r53emu_reply_cache_entries": 3,
        "r53emu_reply_cache_bytes": cache.bytes,
    }


def test_without_a_cache_there_are_no_cache_gauges(handler: QueryHandler) -> None:
    """A `Metrics` not given the cache says nothing of it (rather than a flat, false 0)."""
    assert gauges(Metrics(handler.stats).render()) == {}


def test_render_gives_the_task_count_of_the_last_render_async(handler: QueryHandler) -> None:
    """Only the loop's own thread may walk its tasks: `render`, in any thread, says what the last
    `render_async` counted, and nothing before the first."""
    assert loop_tasks() is None
    metrics = Metrics(handler.stats)
    assert gauges(metrics.render()) == {}

    async def scrape_with_tasks() -> float:
        stop = asyncio.Event()
        waiting = [asyncio.create_task(stop.wait()) for _ in range(3)]
        await asyncio.sleep(0)
        counted = gauges(await metrics.render_async())["r53emu_event_loop_tasks"]
        stop.set()
        await asyncio.gather(*waiting)
        return counted

    counted = asyncio.run(scrape_with_tasks())
    assert counted >= 3
    found: list[dict[str, float]] = []
    worker = threading.Thread(target=lambda: found.append(gauges(metrics.render())))
    worker.start()
    worker.join()
    assert found == [{"r53emu_event_loop_tasks": counted}]  # the three are done, but not counted


@pytest.mark.asyncio
async def test_the_tasks_gauge_counts_the_loops_tasks_but_the_scrapes(
    handler: QueryHandler,
) -> None:
    metrics = Metrics(handler.stats, handler.replies)
    before = gauges(await metrics.render_async())["r53emu_event_loop_tasks"]
    assert before == loop_tasks()  # the test's own task left out in both
    stop = asyncio.Event()
    waiting = [asyncio.create_task(stop.wait()) for _ in range(5)]
    await asyncio.sleep(0)
    try:
        assert gauges(await metrics.render_async())["r53emu_event_loop_tasks"] == before + 5
    finally:
        stop.set()
        await asyncio.gather(*waiting)
    assert gauges(await metrics.render_async())["r53emu_event_loop_tasks"] == before


@pytest.mark.asyncio
async def test_render_async_and_render_on_the_loop_agree(handler: QueryHandler) -> None:
    """Even when a task ends between the two (a scrape's connection closing, a probe)."""
    metrics = Metrics(handler.stats, handler.replies)
    assert handler.handle(packet("www.gauges.test"), "127.0.0.1", "udp") is not None
    stop = asyncio.Event()
    passing = asyncio.create_task(stop.wait())
    await asyncio.sleep(0)
    served = await metrics.render_async()
    stop.set()
    await passing
    assert served == metrics.render()
