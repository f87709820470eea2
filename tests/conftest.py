"""Fixtures: real r53emu servers on 127.0.0.1 and free ports, started in a background thread.

Async tests of the modules that talk to sockets through the loop's own transports (probes, the
scheduler) run twice: on asyncio's loop and on uvloop, the loop the server itself uses where it
installs; their transports differ (uvloop's sockets are pseudo-sockets, for one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from r53emu.app import ServerConfig
from r53emu.server.eventloop import loop_factory
from r53emu.testing.background import BackgroundServer
from tests.support.helpers import REPO, write_zones
from tests.support.serving import serve  # noqa: F401  (the fixture, for every test module)

BOTH_LOOPS_MODULES = frozenset({"test_probes.py", "test_scheduler.py", "test_timergrid.py"})


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    factories: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
        "asyncio": asyncio.new_event_loop
    }
    uvloop_factory = loop_factory()
    if uvloop_factory is not None and item.path.name in BOTH_LOOPS_MODULES:
        factories["uvloop"] = uvloop_factory
    return factories


ServeZones = Callable[[dict[str, str]], tuple[str, int]]


@pytest.fixture
def serve_zones(tmp_path: Path) -> Iterator[ServeZones]:
    """Start a server on the given zone files (`{file name: YAML}`); return its (host, port)."""
    servers: list[BackgroundServer] = []

    def start(files: dict[str, str]) -> tuple[str, int]:
        directory = write_zones(tmp_path / f"zones{len(servers)}", files)
        server = BackgroundServer(ServerConfig(zones=directory, address="127.0.0.1", port=0))
        server.start()
        servers.append(server)
        return server.address

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def bundled_server() -> Iterator[tuple[str, int]]:
    """A server on the repository's own `zones/` directory, shared by the whole session."""
    server = BackgroundServer(ServerConfig(zones=REPO / "zones", address="127.0.0.1", port=0))
    server.start()
    yield server.address
    server.stop()
