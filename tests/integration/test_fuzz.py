"""The fuzz harness (fuzz/, docs/fuzzing.md) as CI runs it: every corpus input replayed, a short
run of each target from a fixed seed, and proof that the harness fails when an invariant breaks.

The corpus inputs go through the expensive checks too (a running server over UDP and TCP for
queries; raw, half-closed and aiohttp requests for the admin API). Inputs of a bug not fixed yet
(`fuzz.openbugs.OPEN_BUGS`) are skipped, naming the bug. The short runs are bounded by a number of
inputs (so each run tries the same inputs: the seed fixes them) and by a time cap; the whole
file stays within about a minute on two cores.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from fuzz import __main__ as cli
from fuzz import openbugs
from fuzz.admin_target import TRACEBACKS, AdminTarget, Response, _check_response
from fuzz.engine import CORPUS, FATAL, Broken, Case, Found, Target, run
from fuzz.openbugs import known_bug, open_bug_inputs
from fuzz.query_target import BUNDLED_ZONES, Corrupt, QueryTarget
from fuzz.zone_target import ZoneTarget
from r53emu.model.catalog import Catalog

SEED = 13
RUNS = {"query": 1200, "zones": 300, "admin": 1500}  # inputs per target in the short run
CAP = 15.0  # seconds: a short run stops there whatever its count (a slow machine)
OPEN = open_bug_inputs()


def corpus_names(directory: str, suffixes: Sequence[str]) -> list[str]:
    return sorted(
        f"{directory}/{path.name}"
        for path in (CORPUS / directory).iterdir()
        if path.suffix in suffixes
    )


@pytest.fixture(scope="module")
def query_target() -> Iterator[QueryTarget]:
    target = QueryTarget()
    yield target
    target.close()


@pytest.fixture(scope="module")
def zones_target() -> Iterator[ZoneTarget]:
    target = ZoneTarget()
    yield target
    target.close()


@pytest.fixture(scope="module")
def admin_target() -> Iterator[AdminTarget]:
    target = AdminTarget()
    yield target
    target.close()


def replay(target: Target, name: str, data: bytes) -> None:
    """Check one corpus input the expensive way; skip it if it shows an open bug."""
    if name in OPEN:
        pytest.skip(f"open bug {OPEN[name].slug}: {OPEN[name].what}")
    try:
        target.check(Case(name, data), deep=True)
    except Broken as broken:
        bug = known_bug(target.name, broken.invariant, broken.detail)
        if bug is None:
            raise
        pytest.skip(f"open bug {bug.slug} (met on this input too): {bug.what}")


# --- every corpus input -------------------------------------------------------------------------


@pytest.mark.parametrize("name", corpus_names("query", (".bin",)))
def test_query_corpus(query_target: QueryTarget, name: str) -> None:
    replay(query_target, name, (CORPUS / name).read_bytes())


@pytest.mark.parametrize("name", corpus_names("zones", (".yaml", ".yml", ".json")))
def test_zones_corpus(zones_target: ZoneTarget, name: str) -> None:
    replay(zones_target, name, (CORPUS / name).read_bytes())


@pytest.mark.parametrize("path", sorted(BUNDLED_ZONES.iterdir()), ids=lambda path: path.name)
def test_bundled_zones_are_seeds_that_hold(zones_target: ZoneTarget, path: Path) -> None:
    replay(zones_target, f"bundled/{path.name}", path.read_bytes())


@pytest.mark.parametrize("name", corpus_names("admin", (".http",)))
def test_admin_corpus(admin_target: AdminTarget, name: str) -> None:
    replay(admin_target, name, (CORPUS / name).read_bytes())


def test_every_open_bug_names_inputs_of_the_corpus() -> None:
    """Each open bug's inputs exist (so the tests above skip real files, and replay them once
    the bug's entry is removed)."""
    assert [name for name in OPEN if not (CORPUS / name).is_file()] == []


# --- a short seeded run of each target ----------------------------------------------------------


def shown(found: list[Found]) -> str:
    return "\n\n".join(
        f"{each.target} seed {each.seed} iteration {each.iteration}: {each.invariant}\n"
        f"{each.detail[:2000]}\nsaved to {each.saved}"
        for each in found
    )


@pytest.mark.parametrize("which", list(RUNS))
def test_a_short_seeded_run_breaks_no_invariant(
    request: pytest.FixtureRequest, which: str, tmp_path: Path
) -> None:
    """From SEED, RUNS[which] mutants (the corpus not replayed again: the tests above did):
    no new failure; bugs already known are counted apart."""
    target: Target = request.getfixturevalue(f"{which}_target")
    started = time.monotonic()
    report = run(
        target, seed=SEED, iterations=RUNS[which], seconds=CAP, replay=[], save_dir=tmp_path
    )
    assert report.found == [], shown(report.found)
    assert report.tried == RUNS[which] or time.monotonic() - started >= CAP
    assert len(report.outcomes) >= 20, sorted(report.outcomes)


def test_the_same_seed_tries_the_same_inputs(zones_target: ZoneTarget) -> None:
    """The mutants are a function of the seed (and the corpus) alone."""

    def mutants(seed: int) -> list[bytes]:
        rng = random.Random(seed)
        pool = zones_target.corpus()
        return [zones_target.mutate(rng.choice(pool), rng, pool).data for _ in range(200)]

    assert mutants(5) == mutants(5)
    assert mutants(5) != mutants(6)


# --- the harness fails when an invariant breaks -------------------------------------------------


def answer_responses_too(packet: bytes, reply: bytes | None) -> bytes | None:
    """A broken fast path: it answers packets with QR=1 (a response: they get no reply)."""
    if reply is None and len(packet) >= 12:
        return packet[:2] + bytes([packet[2] | 0x80, 0x05]) + bytes(8)
    return reply


def ttl_plus_one(packet: bytes, reply: bytes | None) -> bytes | None:
    """A broken fast path: the first TTL of 60 s it sends is 61."""
    return None if reply is None else reply.replace(b"\x00\x00\x00\x3c", b"\x00\x00\x00\x3d", 1)


@pytest.mark.parametrize(
    ("corrupt", "invariant"),
    [(answer_responses_too, "reply-to-no-query"), (ttl_plus_one, "fast-slow")],
)
def test_a_broken_handler_is_reported_and_its_input_saved(
    tmp_path: Path, corrupt: Corrupt, invariant: str
) -> None:
    target = QueryTarget(corrupt=corrupt)
    try:
        report = run(target, seed=SEED, iterations=300, replay=[], save_dir=tmp_path)
    finally:
        target.close()
    assert len(report.found) == 1  # the run stops at the first failure
    found = report.found[0]
    assert (found.target, found.invariant, found.seed) == ("query", invariant, SEED)
    assert found.saved is not None
    assert found.saved.read_bytes() == found.case.data
    written = found.saved.with_suffix(found.saved.suffix + ".txt").read_text()
    assert f"invariant: {invariant}" in written
    assert f"seed: {SEED} (iteration {found.iteration}" in written
    assert f"--target query --replay {found.saved}" in written


def test_a_loader_that_raises_or_hangs_is_reported(tmp_path: Path) -> None:
    """Another exception than ZoneLoadError is a failure; so is a load past its bound, which
    ends the run even with keep_going (the stuck thread cannot be stopped)."""

    def raising(directory: Path) -> Catalog:
        raise KeyError("record_sets")

    def hanging(directory: Path) -> Catalog:
        time.sleep(1.0)
        raise AssertionError("not reached in time")

    loads: list[tuple[Callable[[Path], Catalog], str]] = [(raising, "exception"), (hanging, "hang")]
    for load, invariant in loads:
        target = ZoneTarget(load=load, load_seconds=0.2)
        try:
            report = run(target, seed=SEED, iterations=5, save_dir=tmp_path, keep_going=True)
        finally:
            target.close()
        assert report.found, invariant
        assert report.found[0].invariant == invariant
        assert report.found[0].iteration == -1  # the first corpus input already
        if invariant in FATAL:
            assert len(report.found) == 1
        else:
            assert "KeyError: 'record_sets'" in report.found[0].detail


def test_admin_responses_that_break_the_rules_are_failures() -> None:
    for response, invariant in [
        (Response(500, {}, b"500 Internal Server Error"), "status-5xx"),
        (Response(400, {}, TRACEBACKS[0] + b"\n  File ..."), "traceback-in-body"),
        (Response(200, {"content-type": "application/json"}, b"{"), "bad-json"),
    ]:
        with pytest.raises(Broken) as caught:
            _check_response(response)
        assert caught.value.invariant == invariant
    _check_response(Response(404, {"content-type": "application/json"}, b'{"error": "x"}'))


def test_failures_of_an_open_bug_are_known_not_new(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure matching an open bug's target, invariant and pattern is known, not new (the
    list is empty today: every bug found is fixed; this one is made up)."""
    bug = openbugs.KnownBug(
        "made-up", "a set as a mapping key", ("zones",), (), frozenset({"exception"}), "unhashable"
    )
    monkeypatch.setattr(openbugs, "OPEN_BUGS", (bug,))
    assert known_bug("zones", "exception", "TypeError: unhashable type: 'set'") is bug
    assert known_bug("zones", "exception", "KeyError: 'x'") is None
    assert known_bug("admin", "exception", "TypeError: unhashable type: 'set'") is None


def test_the_command_line_runs_and_summarizes(tmp_path: Path) -> None:
    lines: list[str] = []
    argv = ["--target", "zones", "--iterations", "20", "--seed", "1"]
    assert cli.main([*argv, "--save-failures", str(tmp_path)], out=lines.append) == 0
    assert any(line.startswith("zones: ") and " inputs (" in line for line in lines), lines
    with pytest.raises(SystemExit):
        cli.main(["--target", "all", "--replay", str(tmp_path)], out=lines.append)
