"""Fixtures: real r53emu servers on 127.0.0.1 and free ports, started in a background thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from r53emu.app import ServerConfig
from r53emu.background import BackgroundServer
from tests.helpers import REPO, write_zones

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
