"""Hot reload, the query log and JSON logs, through real clients.

A reload under load: one client queries without pause through 50 reloads that alternate two
versions of a zone, and never sees an error or an answer mixing them. The zones directory is
watched (a saved file is served within a bound) and `SIGHUP` reloads a running `r53emu serve`.
"""

from __future__ import annotations

import json
import signal
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dns.exception
import dns.rcode
import pytest

from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer
from tests.support.helpers import query, write_zones
from tests.support.reload_zones import WATCH_BOUND, version
from tests.support.serving import R53EMU, StartServe, clean_env

RELOADS = 50


def versions_in(address: tuple[str, int]) -> set[int]:
    """The versions an MX answer's records come from (its target, glue and TTLs)."""
    reply = query(address, "reload.test", "MX", timeout=2.0)
    assert reply.rcode() == dns.rcode.NOERROR
    seen: set[int] = set()
    for rrset in reply.answer + reply.additional:
        seen.add(rrset.ttl // 100)
        for rdata in rrset:
            text = rdata.to_text()
            seen.add(int(text.rsplit(".", 3)[0][-1]) if "mail" in text else int(text[-1]))
    return seen


def post(url: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def reloading(tmp_path: Path) -> Iterator[tuple[BackgroundServer, Path]]:
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    config = ServerConfig(zones=zones, address="127.0.0.1", port=0, admin_port=0)
    with BackgroundServer(config) as server:
        yield server, zones


def test_no_query_sees_an_error_or_a_mix_during_50_reloads(
    reloading: tuple[BackgroundServer, Path],
) -> None:
    """A client querying throughout 50 reloads gets only whole answers of one version or the
    other, and no error or timeout."""
    server, zones = reloading
    assert server.server.admin is not None
    reload_url = f"http://127.0.0.1:{server.server.admin.port}/reload"
    stop = threading.Event()
    answers: list[set[int]] = []
    failures: list[BaseException] = []

    def client() -> None:
        while not stop.is_set():
            try:
                answers.append(versions_in(server.address))
            except (AssertionError, dns.exception.DNSException) as exc:
                failures.append(exc)

    querying = threading.Thread(target=client)
    querying.start()
    try:
        for number in range(RELOADS):
            (zones / "reload.yaml").write_text(textwrap.dedent(version(1 + (number + 1) % 2)))
            assert post(reload_url)[0] == 200
            time.sleep(0.005)  # let a few queries through between reloads
    finally:
        stop.set()
        querying.join(timeout=10)
    assert failures == []
    assert len(answers) > RELOADS
    assert {frozenset(seen) for seen in answers} == {frozenset({1}), frozenset({2})}


def wait_for(condition: Callable[[], bool], bound: float) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        assert time.monotonic() < deadline, f"not within {bound} s"
        time.sleep(0.05)


def test_a_saved_zone_file_is_served_and_a_broken_one_is_not(tmp_path: Path) -> None:
    """With --watch, saving a zone file reloads it; saving a broken one keeps the last good
    zones serving (and counts the failure)."""
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    config = ServerConfig(zones=zones, address="127.0.0.1", port=0, watch=True)
    with BackgroundServer(config) as server:
        assert versions_in(server.address) == {1}
        (zones / "reload.yaml").write_text(textwrap.dedent(version(2)))
        wait_for(lambda: versions_in(server.address) == {2}, WATCH_BOUND)
        (zones / "reload.yaml").write_text("zone: reload.test\nrecord_sets: [{name: x}]\n")
        wait_for(lambda: server.server.metrics.reload_failures._value.get() == 1, WATCH_BOUND)
        assert versions_in(server.address) == {2}
        (zones / "other.yaml").write_text(
            "zone: other.test\nttl: 60\nrecord_sets: [{name: www, type: A, records: [192.0.2.9]}]\n"
        )
        (zones / "reload.yaml").write_text(textwrap.dedent(version(1)))
        wait_for(lambda: query(server.address, "www.other.test").rcode() == 0, WATCH_BOUND)
        assert versions_in(server.address) == {1}


def test_one_watched_zone_file_reloads_when_saved_by_rename(tmp_path: Path) -> None:
    """A watched single zone file follows an editor that saves by renaming a new file over it,
    again and again; the files beside it are not served."""
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    (zones / "other.yaml").write_text("zone: other.test\nrecord_sets: []\n")
    served = zones / "reload.yaml"
    config = ServerConfig(zones=served, address="127.0.0.1", port=0, watch=True)
    with BackgroundServer(config) as server:
        assert versions_in(server.address) == {1}
        for number in (2, 1, 2):
            saved = zones / ".reload.yaml.swp"
            saved.write_text(textwrap.dedent(version(number)))
            saved.replace(served)  # a new inode where the watched file was
            wait_for(lambda n=number: versions_in(server.address) == {n}, WATCH_BOUND)
        assert query(server.address, "www.other.test").rcode() == dns.rcode.REFUSED


def test_sighup_reloads_a_running_server(serve: StartServe, tmp_path: Path) -> None:
    """`kill -HUP` makes `r53emu serve` reload its zones directory (watching turned off)."""
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    env = clean_env({"R53EMU_WATCH": "false"})
    server = serve([*R53EMU, "serve", "--zones", str(zones), "--port", "0"], env)
    _, port = server.wait_listening()
    assert versions_in(("127.0.0.1", port)) == {1}
    (zones / "reload.yaml").write_text(textwrap.dedent(version(2)))
    time.sleep(0.5)  # a watcher (if one ran despite --no-watch) would have reloaded by now
    assert versions_in(("127.0.0.1", port)) == {1}
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: versions_in(("127.0.0.1", port)) == {2}, WATCH_BOUND)
    server.wait_for_line(r"reloaded .*: 1 zone\(s\), 0 health check\(s\)")
    assert server.stop() == 0


def test_query_log_has_route53s_fields_one_json_line_per_query(tmp_path: Path) -> None:
    """--query-log FILE: one JSON object per query, written as it is answered, with Route 53's
    query-log fields plus the policy and set identifier chosen."""
    zones = write_zones(
        tmp_path / "zones",
        {
            "log.yaml": """
                zone: log.test
                id: Z0LOGTEST
                ttl: 60
                record_sets:
                  - {name: www, type: A, records: [192.0.2.1], set_identifier: heavy,
                     weighted_routing_policy: {weight: 1}}
                  - {name: www, type: A, records: [192.0.2.2], set_identifier: never,
                     weighted_routing_policy: {weight: 0}}
            """
        },
    )
    log = tmp_path / "queries.log"
    config = ServerConfig(zones=zones, address="127.0.0.1", port=0, query_log=str(log))
    with BackgroundServer(config) as server:
        query(server.address, "WWW.log.test", "A")
        lines = log.read_text().splitlines()  # flushed: readable while the server runs
        assert len(lines) == 1
        ecs = dns.edns.ECSOption("198.51.100.0", 24)
        query(server.address, "nope.log.test", "AAAA", tcp=True, use_edns=0, options=[ecs])
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert set(first) == {
        "version",
        "timestamp",
        "hosted_zone_id",
        "zone",
        "query_name",
        "query_type",
        "response_code",
        "protocol",
        "edge_location",
        "resolver_ip",
        "edns_client_subnet",
        "policy",
        "set_identifiers",
    }
    assert first["timestamp"].endswith("Z")
    assert {key: first[key] for key in first if key not in ("timestamp", "version")} == {
        "hosted_zone_id": "Z0LOGTEST",
        "zone": "log.test.",
        "query_name": "WWW.log.test",
        "query_type": "A",
        "response_code": "NOERROR",
        "protocol": "UDP",
        "edge_location": "r53emu",
        "resolver_ip": "127.0.0.1",
        "edns_client_subnet": None,
        "policy": "weighted",
        "set_identifiers": ["heavy"],
    }
    assert (second["query_name"], second["query_type"], second["response_code"]) == (
        "nope.log.test",
        "AAAA",
        "NXDOMAIN",
    )
    assert (second["protocol"], second["edns_client_subnet"], second["policy"]) == (
        "TCP",
        "198.51.100.0/24",
        None,
    )


def test_query_log_to_stdout_and_json_logs(serve: StartServe, tmp_path: Path) -> None:
    """`--query-log -` writes query lines to standard output; `--log-format json` makes every
    log line a JSON object; `--admin-port 0` prints the admin URL it picked."""
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    argv = [*R53EMU, "serve", "--zones", str(zones), "--port", "0", "--query-log", "-"]
    server = serve([*argv, "--log-format", "json"], clean_env())
    found = server.wait_for_line(r'"message": "listening on 127\.0\.0\.1:(\d+) \(UDP and TCP\)"')
    port = int(found.group(1))
    admin = server.wait_for_line(r"admin API on http://127\.0\.0\.1:(\d+)/")
    with urllib.request.urlopen(f"http://127.0.0.1:{admin.group(1)}/healthz", timeout=5) as reply:
        assert json.loads(reply.read())["status"] == "ok"
    query(("127.0.0.1", port), "www.reload.test", "A")
    logged = server.wait_for_line(r'^\{"version": .*"query_name": "www\.reload\.test"')
    assert json.loads(logged.string)["response_code"] == "NOERROR"
    assert server.stop() == 0
    for line in server.lines:
        record = json.loads(line)  # every line, logs and queries alike, is JSON
        assert "message" in record or "query_name" in record
