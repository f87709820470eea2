"""Attacks on the query log and the zone watcher of a running server; each ends with a normal
query that must get a correct, quick answer.

The query log: written to /dev/full (every flush fails with ENOSPC), to a pipe whose reader has
gone, or an observer that raises: queries are still answered. The watcher: files created and
deleted at once (as `git checkout` does), the zones directory removed and made again, a reload
that fails with an unexpected exception, a file written in two parts: later edits are served,
and a half-written file never is.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dns.exception
import dns.rcode
import pytest

from r53emu.app import ServerConfig
from r53emu.ops import reloading
from r53emu.server.queryevents import QueryEvent
from r53emu.testing.background import BackgroundServer
from r53emu.zonefiles.errors import ZoneLoadError
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import query, write_zones
from tests.support.reload_zones import WATCH_BOUND, version
from tests.support.serving import R53EMU, STARTUP_TIMEOUT, StartServe, clean_env, wait_answering

QUICK = 1.0  # seconds: the longest one answer may take here (a healthy one takes milliseconds)


def www_version(address: tuple[str, int]) -> int | None:
    """The version www.reload.test's answer comes from; None if it has no answer (NXDOMAIN)."""
    reply = query(address, "www.reload.test", "A", timeout=QUICK)
    if reply.rcode() == dns.rcode.NXDOMAIN:
        return None
    assert reply.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(reply.rcode())
    (rrset,) = reply.answer
    numbers = {int(rdata.to_text().rsplit(".", 1)[1]) for rdata in rrset}
    assert numbers == {rrset.ttl // 100}, f"a mixed answer: {reply}"
    return rrset.ttl // 100


def answers_quickly(address: tuple[str, int], expected: int) -> None:
    """A normal query gets the answer of version `expected`, within QUICK."""
    started = time.monotonic()
    assert www_version(address) == expected
    assert time.monotonic() - started < QUICK


def wait_for(condition: Callable[[], bool], bound: float = WATCH_BOUND) -> float:
    """Seconds until `condition()` held; fails after `bound`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < bound, f"not within {bound} s"
        time.sleep(0.05)
    return time.monotonic() - started


def reload_counts(server: BackgroundServer) -> tuple[float, float]:
    """(reloads, failed reloads) so far."""
    metrics = server.server.metrics
    return metrics.reloads._value.get(), metrics.reload_failures._value.get()


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[tuple[BackgroundServer, Path]]:
    """A server watching a zones directory that serves version 1."""
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    config = ServerConfig(zones=zones, address="127.0.0.1", port=0, watch=True)
    with BackgroundServer(config) as server:
        answers_quickly(server.address, 1)
        yield server, zones


# --- the query log ------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_query_log_on_dev_full_costs_no_answer(serve: StartServe, tmp_path: Path) -> None:
    """`--query-log /dev/full`: every write fails (ENOSPC at flush); 100 queries in a row are
    answered correctly and quickly, the log says once that the query log failed, and the
    server exits cleanly (nothing buffered fails again at close)."""
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    argv = [*R53EMU, "serve", "--zones", str(zones), "--port", "0", "--query-log", "/dev/full"]
    server = serve([*argv, "--no-watch"], clean_env())
    _, port = server.wait_listening()
    address = ("127.0.0.1", port)
    started = time.monotonic()
    for number in range(100):
        asked = time.monotonic()
        reply = query(address, "www.reload.test", "A", tcp=number % 3 == 0, timeout=QUICK)
        assert reply.rcode() == dns.rcode.NOERROR
        assert len(reply.answer[0]) == 2
        assert time.monotonic() - asked < QUICK
    assert time.monotonic() - started < 10.0
    answers_quickly(address, 1)
    assert server.stop() == 0
    failed = [line for line in server.lines if "query log: cannot write" in line]
    assert len(failed) == 1, server.output
    assert "/dev/full" in failed[0]
    assert "No space left" in failed[0]
    assert "Traceback" not in server.output


def test_a_query_log_piped_into_a_reader_that_exits_costs_no_answer(tmp_path: Path) -> None:
    """`--query-log -` piped into a reader that reads one line and exits: later queries are
    answered, the log says once that the query log failed, the server exits cleanly."""
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    log = tmp_path / "server.log"
    argv = [*R53EMU, "serve", "--zones", str(zones), "--port", "0", "--query-log", "-"]
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*argv, "--no-watch"],
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        found = None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while found is None:
            assert time.monotonic() < deadline, log.read_text()
            assert process.poll() is None, log.read_text()
            for line in log.read_text().splitlines():
                if "listening on 127.0.0.1:" in line:
                    found = int(line.split("127.0.0.1:")[1].split()[0])
            time.sleep(0.05)
        address = ("127.0.0.1", found)
        wait_answering(address)
        assert process.stdout is not None
        assert '"query_name"' in process.stdout.readline()  # the reader reads one line...
        process.stdout.close()  # ...and exits
        for number in range(50):
            reply = query(address, "www.reload.test", "A", tcp=number % 2 == 0, timeout=QUICK)
            assert reply.rcode() == dns.rcode.NOERROR
            assert len(reply.answer[0]) == 2
        answers_quickly(address, 1)
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert output.count("query log: cannot write to standard output") == 1, output
    assert "Traceback" not in output


def test_an_observer_that_raises_costs_no_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An observer that raises on every query (UDP and TCP, first answers and the reply
    cache's): every query is answered, the observers after it are still told, the failures
    are counted, and the failure is logged once."""
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    config = ServerConfig(zones=zones, address="127.0.0.1", port=0)
    told: list[QueryEvent] = []

    def broken(event: QueryEvent) -> None:
        raise RuntimeError("an observer that always fails")

    def also_broken(event: QueryEvent) -> None:
        raise RecursionError("another one")

    with caplog.at_level(logging.ERROR, logger="r53emu"), BackgroundServer(config) as server:
        handler = server.server.handler
        handler.observers[:0] = [broken, also_broken]
        handler.observers.append(told.append)
        for number in range(60):
            answers_quickly(server.address, 1)
            reply = query(server.address, f"n{number}.reload.test", "A", tcp=number % 2 == 0)
            assert reply.rcode() == dns.rcode.NXDOMAIN
    assert len(told) == 120
    assert handler.observer_failures == 240
    logged = [record for record in caplog.records if "query observer" in record.getMessage()]
    assert len(logged) == 2, [record.getMessage() for record in logged]
    assert {record.exc_info[1].__class__ for record in logged if record.exc_info} == {
        RuntimeError,
        RecursionError,
    }


# --- the zone watcher ----------------------------------------------------------------------


def test_files_created_and_deleted_at_once_do_not_stop_the_watcher(
    watched: tuple[BackgroundServer, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Zone files created and deleted at once, again and again for two seconds (as `git
    checkout` does), so that reloads race them (a file listed, then gone before it is read);
    then a real edit is served within the bound."""
    server, zones = watched
    # Read first and slowly (a tenth of a second or more): the files listed with it are gone
    # by the time the loader opens them, if they were deleted meanwhile.
    (zones / "aaa-big.yaml").write_text(
        "zone: big.test\nttl: 60\nrecord_sets:\n"
        + "".join(f"  - {{name: h{n}, type: A, records: [192.0.2.1]}}\n" for n in range(6000))
    )
    wait_for(lambda: query(server.address, "h1.big.test").rcode() == dns.rcode.NOERROR)
    storm_ends = time.monotonic() + 3.0
    with caplog.at_level(logging.INFO, logger="r53emu"):
        number = 0
        while time.monotonic() < storm_ends:
            passing = [zones / f"passing{number}-{each}.yaml" for each in range(20)]
            for path in passing:
                path.write_text(version(5).replace("reload.test", f"{path.stem}.test"))
            # Gone at once, or just after a reload without settling would list them, or just
            # after they settled: a reload lists them and they vanish while it reads.
            time.sleep((0.0, 0.1, 0.03, reloading.SETTLE_SECONDS + 0.15)[number % 4])
            for path in passing:
                path.unlink()
            number += 1
        answers_quickly(server.address, 1)
        (zones / "reload.yaml").write_text(version(2))
        wait_for(lambda: www_version(server.address) == 2)
    answers_quickly(server.address, 2)
    watcher = server.server.reloader._watcher
    assert watcher is not None
    assert not watcher.done()
    messages = [record.getMessage() for record in caplog.records]
    assert not [message for message in messages if "stopped watching" in message]
    assert not [record for record in caplog.records if record.exc_info], messages


def test_a_removed_zones_directory_is_watched_again_when_it_is_back(
    watched: tuple[BackgroundServer, Path],
) -> None:
    """The zones directory removed: the last good zones keep answering; made again with new
    zones, they are served within the bound, and later edits too."""
    server, zones = watched
    shutil.rmtree(zones)
    time.sleep(1.5)  # the watcher has seen it go
    answers_quickly(server.address, 1)
    write_zones(zones, {"reload.yaml": version(2)})
    (zones / "other.yaml").write_text(
        "zone: other.test\nttl: 60\nrecord_sets: [{name: www, type: A, records: [192.0.2.9]}]\n"
    )
    took = wait_for(lambda: www_version(server.address) == 2)
    assert query(server.address, "www.other.test").rcode() == dns.rcode.NOERROR
    (zones / "reload.yaml").write_text(version(3))
    wait_for(lambda: www_version(server.address) == 3)
    answers_quickly(server.address, 3)
    assert took < WATCH_BOUND


def test_a_replaced_zones_directory_is_watched_again(
    watched: tuple[BackgroundServer, Path],
) -> None:
    """The zones directory replaced by another (renamed over it): its zones are served, and
    its later edits too."""
    server, zones = watched
    fresh = write_zones(zones.parent / "zones.new", {"reload.yaml": version(2)})
    shutil.rmtree(zones)
    fresh.rename(zones)
    wait_for(lambda: www_version(server.address) == 2)
    (zones / "reload.yaml").write_text(version(3))
    wait_for(lambda: www_version(server.address) == 3)
    answers_quickly(server.address, 3)


@pytest.mark.parametrize(
    "failure",
    [
        OSError(24, "Too many open files"),
        FileNotFoundError(2, "No such file or directory"),
        RecursionError("maximum recursion depth exceeded"),
    ],
    ids=["EMFILE", "vanished-file", "RecursionError"],
)
def test_a_reload_that_fails_unexpectedly_does_not_stop_the_watcher(
    watched: tuple[BackgroundServer, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: Exception,
) -> None:
    """The loader raises something other than a load error, once: the failure is counted and
    logged in one line (no traceback), the reload is retried (the edit is served without
    another), and later edits are served."""
    server, zones = watched
    load = load_catalog
    calls: list[Path] = []

    def flaky(directory: Path, **kwargs: object) -> object:
        calls.append(directory)
        if len(calls) == 1:
            raise failure
        return load(directory)

    monkeypatch.setattr(reloading, "load_catalog", flaky)
    with caplog.at_level(logging.INFO, logger="r53emu"):
        (zones / "reload.yaml").write_text(version(2))
        wait_for(lambda: reload_counts(server)[1] == 1)
        wait_for(lambda: www_version(server.address) == 2)  # the retry, with no other edit
        (zones / "reload.yaml").write_text(version(3))
        wait_for(lambda: www_version(server.address) == 3)
    answers_quickly(server.address, 3)
    assert reload_counts(server)[1] == 1
    failed = [record for record in caplog.records if "reload failed" in record.getMessage()]
    assert len(failed) == 1
    assert failed[0].exc_info is None
    assert type(failure).__name__ in failed[0].getMessage()


def test_a_reload_that_fails_unexpectedly_is_a_422_from_post_reload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /reload (through R53Emu.reload) reports an unexpected failure as the load errors
    are reported: a ZoneLoadError naming the cause; the old zones keep answering."""
    zones = write_zones(tmp_path / "zones", {"reload.yaml": version(1)})
    config = ServerConfig(zones=zones, address="127.0.0.1", port=0)

    def crash(directory: Path, **kwargs: object) -> object:
        raise OSError(24, "Too many open files")

    with BackgroundServer(config) as server:
        monkeypatch.setattr(reloading, "load_catalog", crash)
        with pytest.raises(ZoneLoadError, match="Too many open files"):
            server.reload()
        answers_quickly(server.address, 1)
        assert reload_counts(server)[1] == 1


@pytest.mark.parametrize(
    "cut",
    ["{name: www, type: A, records: [192.0", "{name: mail3, type: A, records: [192.0.2.3]}"],
    ids=["invalid-yaml", "incomplete-zone"],
)
def test_a_file_written_in_two_parts_is_never_served_half_written(
    watched: tuple[BackgroundServer, Path], cut: str
) -> None:
    """A zone file written in two parts with a pause shorter than the settle time: no query
    ever sees the first part alone (an incomplete zone: www missing; invalid YAML: a failed
    reload), nothing fails, one reload serves the whole file."""
    server, zones = watched
    whole = version(3)
    split = whole.index(cut) + len(cut)
    first, second = whole[:split], whole[split:]
    seen: list[int | None] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                seen.append(www_version(server.address))
            except (AssertionError, dns.exception.DNSException) as exc:
                errors.append(exc)

    querying = threading.Thread(target=client)
    querying.start()
    try:
        with (zones / "reload.yaml").open("w") as file:
            file.write(first)
            file.flush()
            wrote_first = time.monotonic()
            time.sleep(reloading.SETTLE_SECONDS / 3)
            file.write(second)
            file.flush()
            pause = time.monotonic() - wrote_first
        wait_for(lambda: seen[-1:] == [3])
        time.sleep(reloading.SETTLE_SECONDS * 2)  # no second, late reload of anything
    finally:
        stop.set()
        querying.join(timeout=10)
    if pause >= reloading.SETTLE_SECONDS:
        pytest.skip(f"the machine made the pause {pause:.3f} s: not shorter than the settle time")
    assert errors == []
    assert set(seen) == {1, 3}  # never None: the half zone has no www
    assert seen.index(3) > 0
    assert all(number == 3 for number in seen[seen.index(3) :])
    assert reload_counts(server) == (1, 0)
