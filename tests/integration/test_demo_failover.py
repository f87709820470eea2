"""The bundled failover demo works as the README tells it: start the target, stop it, dig."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer
from tests.support.helpers import REPO, query
from tests.support.targets import HttpTarget


def test_demo_failover_follows_the_target(tmp_path: Path) -> None:
    """web.example.test answers its primary while the demo target answers, else its secondary.

    The bundled zones are copied with the demo check pointed at a free port and a 1 s interval
    (the bundled 8080 and 10 s stay as the README shows them); nothing else changes.
    """
    zones = tmp_path / "zones"
    shutil.copytree(REPO / "zones", zones)
    account = zones / "account.yaml"
    text = account.read_text(encoding="utf-8")
    assert "port: 8080" in text
    assert "request_interval: 10" in text
    with HttpTarget() as target:
        demo = text.replace("port: 8080", f"port: {target.port}")
        account.write_text(demo.replace("request_interval: 10", "request_interval: 1"))
        with BackgroundServer(ServerConfig(zones=zones, address="127.0.0.1", port=0)) as server:

            def web() -> str:
                reply = query(server.address, "web.example.test", "A")
                return str(reply.answer[0][0])

            assert web() == "192.0.2.81"
            target.close_port()
            _wait(lambda: web() == "192.0.2.89")
            target.reopen_port()
            _wait(lambda: web() == "192.0.2.81")
            assert server.health_status("demo-http")["observations"][0]["status"] == (
                "Success: HTTP Status Code 200, OK"
            )


def _wait(condition: Callable[[], bool], bound: float = 4.0) -> None:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < bound, f"not within {bound} s"
        time.sleep(0.05)
