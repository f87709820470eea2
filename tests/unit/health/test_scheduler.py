"""The health-check scheduler against real local targets, seen through a real server and dnspython.

Timing bounds follow Route 53's rule: a status flips after `failure_threshold` consecutive
results, one every `request_interval` seconds; the first probe starts at a random point of the
first interval (jitter). Waits poll the real answer with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from r53emu.app import ServerConfig
from r53emu.health.probes import Prober, ProbeTimeouts
from r53emu.health.scheduler import HealthScheduler, SteeringError
from r53emu.model.catalog import HealthCheckSpec, Source
from r53emu.testing.background import BackgroundServer
from tests.support.helpers import query, write_zones
from tests.support.targets import HttpTarget, TcpListener

INTERVAL = 1.0
THRESHOLD = 2
MARGIN = 1.5  # scheduling and probe time on a loaded 2-core machine
# Worst case to flip: the first probe may start up to one interval late, then THRESHOLD results.
FLIP_BOUND = INTERVAL * (THRESHOLD + 1) + MARGIN


def zone_text(web_port: int, other_port: int) -> str:
    return f"""
        health_checks:
          web: {{type: HTTP, ip_address: 127.0.0.1, port: {web_port}, resource_path: /health,
                 request_interval: {INTERVAL}, failure_threshold: {THRESHOLD}}}
          other: {{type: HTTP, ip_address: 127.0.0.1, port: {other_port},
                   request_interval: {INTERVAL}, failure_threshold: 1}}
          inverted: {{type: HTTP, ip_address: 127.0.0.1, port: {web_port},
                      request_interval: {INTERVAL}, failure_threshold: 1, invert_healthcheck: true}}
          off: {{type: HTTP, ip_address: 127.0.0.1, port: {other_port}, disabled: true,
                 request_interval: {INTERVAL}, failure_threshold: 1}}
          both: {{type: CALCULATED, child_healthchecks: [web, other], child_health_threshold: 2}}
          by-name: {{type: HTTP, fqdn: target.hc.test, port: {web_port},
                     request_interval: {INTERVAL}, failure_threshold: 1}}
          gate: {{type: RECOVERY_CONTROL, routing_control_state: "On"}}
          port-open: {{type: TCP, ip_address: 127.0.0.1, port: {web_port},
                       request_interval: {INTERVAL}, failure_threshold: 1}}
        zone: hc.test
        ttl: 60
        record_sets:
          - {{name: target, type: A, records: [127.0.0.1]}}
          - {{name: fo, type: A, records: [192.0.2.1], set_identifier: primary,
              failover_routing_policy: {{type: PRIMARY}}, health_check_id: web}}
          - {{name: fo, type: A, records: [192.0.2.2], set_identifier: secondary,
              failover_routing_policy: {{type: SECONDARY}}}}
          - {{name: wt, type: A, records: [192.0.2.11], set_identifier: checked,
              weighted_routing_policy: {{weight: 9}}, health_check_id: web}}
          - {{name: wt, type: A, records: [192.0.2.12], set_identifier: spare,
              weighted_routing_policy: {{weight: 1}}}}
          - {{name: calc, type: A, records: [192.0.2.21], set_identifier: primary,
              failover_routing_policy: {{type: PRIMARY}}, health_check_id: both}}
          - {{name: calc, type: A, records: [192.0.2.22], set_identifier: secondary,
              failover_routing_policy: {{type: SECONDARY}}}}
          - {{name: gated, type: A, records: [192.0.2.31], set_identifier: primary,
              failover_routing_policy: {{type: PRIMARY}}, health_check_id: gate}}
          - {{name: gated, type: A, records: [192.0.2.32], set_identifier: secondary,
              failover_routing_policy: {{type: SECONDARY}}}}
    """


@pytest.fixture
def targets() -> Iterator[tuple[HttpTarget, HttpTarget]]:
    with HttpTarget() as web, HttpTarget() as other:
        yield web, other


@pytest.fixture
def server(tmp_path: Path, targets: tuple[HttpTarget, HttpTarget]) -> Iterator[BackgroundServer]:
    web, other = targets
    zones = write_zones(tmp_path / "zones", {"hc.yaml": zone_text(web.port, other.port)})
    with BackgroundServer(ServerConfig(zones=zones, address="127.0.0.1", port=0, seed=1)) as bg:
        yield bg


def answers(server: BackgroundServer, name: str) -> set[str]:
    reply = query(server.address, f"{name}.hc.test", "A")
    return {rdata.to_text() for rrset in reply.answer for rdata in rrset}


def wait_for(condition: Callable[[], bool], bound: float) -> float:
    """Poll `condition` until true; return the seconds it took, or fail after `bound`."""
    start = time.monotonic()
    while not condition():
        elapsed = time.monotonic() - start
        assert elapsed < bound, f"not within {bound:.1f} s"
        time.sleep(0.05)
    return time.monotonic() - start


def test_failover_follows_the_endpoint_within_interval_times_threshold(
    server: BackgroundServer, targets: tuple[HttpTarget, HttpTarget]
) -> None:
    """A 503 takes the primary out within interval x threshold; a 200 brings it back as fast."""
    web, _ = targets
    assert answers(server, "fo") == {"192.0.2.1"}
    web.behave(status=503)
    wait_for(lambda: answers(server, "fo") == {"192.0.2.2"}, FLIP_BOUND)
    web.behave(status=200)
    wait_for(lambda: answers(server, "fo") == {"192.0.2.1"}, FLIP_BOUND)


def test_weighted_record_leaves_and_returns(
    server: BackgroundServer, targets: tuple[HttpTarget, HttpTarget]
) -> None:
    """A failing endpoint's weighted record stops answering; recovered, it answers again."""
    web, _ = targets
    web.close_port()
    wait_for(lambda: all(answers(server, "wt") == {"192.0.2.12"} for _ in range(20)), FLIP_BOUND)
    web.reopen_port()
    wait_for(lambda: any(answers(server, "wt") == {"192.0.2.11"} for _ in range(20)), FLIP_BOUND)


def test_calculated_check_follows_its_children(
    server: BackgroundServer, targets: tuple[HttpTarget, HttpTarget]
) -> None:
    """A CALCULATED check needing both children turns unhealthy when one child fails."""
    _, other = targets
    assert answers(server, "calc") == {"192.0.2.21"}
    other.behave(status=500)
    wait_for(lambda: answers(server, "calc") == {"192.0.2.22"}, FLIP_BOUND)
    status = server.health_status("both")
    assert status["healthy"] is False
    assert status["reason"] == "1 of 2 children healthy (threshold 2)"


def test_inverted_and_disabled_checks(
    server: BackgroundServer, targets: tuple[HttpTarget, HttpTarget]
) -> None:
    """An inverted check of a 200 endpoint is unhealthy; a disabled check of a 503 is healthy."""
    _, other = targets
    other.behave(status=503)
    wait_for(lambda: server.health_status("inverted")["healthy"] is False, FLIP_BOUND)
    wait_for(lambda: server.health_status("other")["healthy"] is False, FLIP_BOUND)
    disabled = server.health_status("off")
    assert disabled["healthy"] is True
    assert disabled["observations"] == []  # disabled checks are not probed
    assert disabled["reason"] == "disabled: always healthy"


def test_status_reports_route53_strings_and_the_transition(
    server: BackgroundServer, targets: tuple[HttpTarget, HttpTarget]
) -> None:
    """Observations carry Route 53 status strings; the transition has a time and a reason."""
    web, _ = targets
    web.behave(status=503)
    wait_for(lambda: server.health_status("web")["healthy"] is False, FLIP_BOUND)
    status = server.health_status("web")
    assert status["observations"][0]["status"].startswith("Failure: HTTP Status Code 503")
    assert status["last_transition"] is not None
    assert status["reason"].startswith("2 consecutive failures: Failure: HTTP Status Code 503")
    assert "/health" in {request.path for request in web.requests}  # resource_path is used


def test_fqdn_target_is_resolved_in_own_zones(
    server: BackgroundServer, targets: tuple[HttpTarget, HttpTarget]
) -> None:
    """An fqdn target resolves through r53emu's own zones; the Host header carries the name."""
    web, _ = targets
    wait_for(lambda: bool(server.health_status("by-name")["observations"]), FLIP_BOUND)
    observation = server.health_status("by-name")["observations"][0]
    assert observation["status"] == ("Success: HTTP Status Code 200, OK. Resolved IP: 127.0.0.1")
    hosts = {request.headers.get("Host") for request in web.requests}
    assert f"target.hc.test:{web.port}" in hosts


def test_tcp_check_connects_on_the_running_server(server: BackgroundServer) -> None:
    """A TCP check on the server's own loop (uvloop where it installs) succeeds on an open port."""
    wait_for(lambda: bool(server.health_status("port-open")["observations"]), FLIP_BOUND)
    observation = server.health_status("port-open")["observations"][0]
    assert observation["status"] == "Success: TCP connection established."


def test_overrides_and_switches_apply_to_the_next_query(server: BackgroundServer) -> None:
    """Forcing a check or flipping a switch changes the very next answer; clearing restores it."""
    server.set_health("web", False)
    assert answers(server, "fo") == {"192.0.2.2"}
    assert server.health_status("web")["override"] is False
    server.clear_override("web")
    assert answers(server, "fo") == {"192.0.2.1"}
    server.set_switch("gate", "Off")
    assert answers(server, "gated") == {"192.0.2.32"}
    server.set_switch("gate", "on")
    assert answers(server, "gated") == {"192.0.2.31"}
    server.set_health("gate", False)
    server.clear_overrides()
    assert answers(server, "gated") == {"192.0.2.31"}


def test_steering_errors_name_the_problem(server: BackgroundServer) -> None:
    """Unknown checks, non-switch checks and bad states are refused with a clear message."""
    with pytest.raises(SteeringError, match="no health check 'nope'"):
        server.set_health("nope", False)
    with pytest.raises(SteeringError, match="is HTTP, not a RECOVERY_CONTROL"):
        server.set_switch("web", "Off")
    with pytest.raises(SteeringError, match="'Maybe' is not one of On, Off"):
        server.set_switch("gate", "Maybe")


def test_transitions_are_logged_at_info(
    server: BackgroundServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Every status change is logged at info level with its reason."""
    caplog.set_level(logging.INFO, logger="r53emu.health")
    server.set_health("web", False)
    assert "health check web: healthy -> unhealthy (forced unhealthy by an override)" in (
        caplog.messages
    )


def _spec(check_id: str, port: int, **fields: object) -> HealthCheckSpec:
    return HealthCheckSpec(
        id=check_id,
        type="HTTP",
        source=Source("z.yaml", 1),
        ip_address="127.0.0.1",
        port=port,
        request_interval=INTERVAL,
        failure_threshold=1,
        **fields,  # type: ignore[arg-type]
    )


async def _unresolvable(_name: str) -> str | None:
    return None


@pytest.mark.asyncio
async def test_hanging_target_delays_no_other_check() -> None:
    """A check against a target that never answers doesn't slow another check down."""
    published: list[dict[str, bool]] = []
    with TcpListener() as hanging, HttpTarget() as failing:
        failing.behave(status=503)
        specs = {
            "hangs": _spec("hangs", hanging.port),
            "fails": _spec("fails", failing.port),
        }
        scheduler = HealthScheduler(
            specs,
            publish=lambda snapshot: published.append(dict(snapshot.statuses)),
            resolve_fqdn=_unresolvable,
            prober=Prober(ProbeTimeouts(connect=4.0, first_byte=5.0)),
        )
        start = time.monotonic()
        await scheduler.start()
        try:
            while not any(statuses.get("fails") is False for statuses in published):
                assert time.monotonic() - start < INTERVAL + MARGIN, "blocked by the hanging check"
                await _tick()
        finally:
            await scheduler.stop()


@pytest.mark.asyncio
async def test_reload_keeps_unchanged_checks_and_stops_removed_ones() -> None:
    """Reload: an unchanged check keeps its state, a removed one stops at once, a new one starts."""
    with HttpTarget() as web:
        kept = _spec("kept", web.port)
        removed = _spec("removed", web.port)
        scheduler = HealthScheduler(
            {"kept": kept, "removed": removed}, publish=lambda _s: None, resolve_fqdn=_unresolvable
        )
        await scheduler.start()
        try:
            start = time.monotonic()
            while not scheduler.trackers["kept"].observations:
                assert time.monotonic() - start < INTERVAL + MARGIN
                await _tick()
            kept_tracker = scheduler.trackers["kept"]
            removed_task = scheduler.tasks["removed"]
            scheduler.set_override("kept", False)
            added = _spec("added", web.port)
            scheduler.reload({"kept": kept, "added": added})
            await _tick()
            assert removed_task.cancelled()
            assert "removed" not in scheduler.statuses
            assert scheduler.trackers["kept"] is kept_tracker  # same state, observations kept
            assert scheduler.overrides == {"kept": False}
            assert "added" in scheduler.tasks
            assert scheduler.statuses["added"] is True  # new: healthy until data arrive
        finally:
            await scheduler.stop()


async def _tick() -> None:
    await asyncio.sleep(0.02)


@pytest.mark.asyncio
async def test_status_reports_the_effective_switch_state() -> None:
    """A switch without a state in its file reports the state routing uses: On, or OK."""
    specs = {
        "gate": HealthCheckSpec(id="gate", type="RECOVERY_CONTROL", source=Source("z.yaml", 1)),
        "alarm": HealthCheckSpec(id="alarm", type="CLOUDWATCH_METRIC", source=Source("z.yaml", 2)),
        "calc": HealthCheckSpec(
            id="calc", type="CALCULATED", source=Source("z.yaml", 3), child_healthchecks=("gate",)
        ),
    }
    scheduler = HealthScheduler(specs, publish=lambda _s: None, resolve_fqdn=_unresolvable)
    await scheduler.start()
    try:
        assert [scheduler.describe(check)["switch"] for check in specs] == ["On", "OK", None]
        assert scheduler.describe("gate")["reason"] == "routing control On"
        scheduler.set_switch("gate", "off")
        scheduler.set_switch("alarm", "alarm")
        assert (scheduler.describe("gate")["switch"], scheduler.describe("alarm")["switch"]) == (
            "Off",
            "ALARM",
        )
        assert scheduler.statuses == {"gate": False, "alarm": False, "calc": False}
    finally:
        await scheduler.stop()
