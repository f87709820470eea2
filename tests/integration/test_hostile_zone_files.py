"""Hostile zone files, loaded the ways users load them: `r53emu check` and a running server's
`POST /reload`.

Each file of an attack run hung, crashed or flooded the loader: nested aliases (billion laughs),
nesting past Python's recursion limit (YAML, JSON, chains of aliases), 20,000 values in one
record set, a chain of aliases that loaded but made every query a SERVFAIL, an answer too large
for any DNS message, a symbolic link to a file outside the zones directory, a 50 MB value quoted
whole into errors, and a file too large to read. Each is now refused with `file:line: ...` (no
traceback): `check` exits 1, the reload answers 422, both well within a few seconds, and the
server goes on answering from the last good zones.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.rcode
import pytest

from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer
from tests.support.helpers import query, write_zones
from tests.support.serving import R53EMU, clean_env

GOOD = "zone: good.test\nrecord_sets:\n  - {name: www, type: A, ttl: 60, records: [192.0.2.1]}\n"
CHECK_SECONDS = 10.0  # `r53emu check`: the interpreter's start and imports, then the load
RELOAD_SECONDS = 3.0  # POST /reload of one hostile file (each loads in well under a second)
QUERY_SECONDS = 0.5
MAX_RESPONSE = 20_000  # bytes of a 422 reply: a few errors, each quoting at most a prefix
SECRET = "hunter2-must-not-leak"


def laughs(levels: int, extra: str) -> str:
    lines = ["zone: laughs.test", "l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join([*lines, extra]) + "\n"


def chain(length: int) -> str:
    sets = [
        f"  - {{name: c{i}, type: A, alias: {{name: c{i + 1}.chain.test}}}}\n"
        for i in range(length)
    ]
    sets.append(f"  - {{name: c{length}, type: A, ttl: 60, records: [192.0.2.1]}}\n")
    return "zone: chain.test\nrecord_sets:\n" + "".join(sets)


def many_values(count: int) -> str:
    values = "".join(f"      - 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n" for i in range(count))
    return (
        "zone: many.test\nrecord_sets:\n  - name: www\n    type: A\n    ttl: 60\n    records:\n"
        + values
    )


def oversized_answer() -> str:
    """Eight multivalue TXT record sets of 31,000 characters: 250 KB in one answer."""
    values = ", ".join(f"'{chr(97 + i) * 3875}'" for i in range(8))
    return "zone: big.test\nrecord_sets:\n" + "".join(
        f"  - {{name: big, type: TXT, ttl: 60, set_identifier: m{i}, "
        f"multivalue_answer_routing_policy: true, records: [{values}]}}\n"
        for i in range(8)
    )


@dataclass(frozen=True)
class Case:
    """A hostile file: its name, how to make it in a zones directory, and the error expected
    (a regular expression for the whole line after `file:`)."""

    file: str
    make: Callable[[Path, Path], None]  # (zones directory, the file's path)
    error: str


def text(content: str) -> Callable[[Path, Path], None]:
    def make(zones: Path, path: Path) -> None:
        path.write_text(content, encoding="utf-8")

    return make


def outside_link(zones: Path, path: Path) -> None:
    secret = zones.parent / f"{zones.name}-outside" / "secret.yaml"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text(f"zone: secret.test\npassword: {SECRET}\n", encoding="utf-8")
    path.symlink_to(secret)


def huge_value(zones: Path, path: Path) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.write("zone: flood.test\nrecord_sets:\n  - {name: t, type: ")
        file.write("x" * (50 * 2**20))
        file.write(", ttl: 1, records: [a]}\n")


def huge_file(zones: Path, path: Path) -> None:
    path.write_text("zone: huge.test\n", encoding="utf-8")
    os.truncate(path, 200 * 2**20)  # sparse: never written, and never read


DEEP = r"mappings and lists nested more than 100 deep \(r53emu's bound; .*\)"
EXPANDED = r"aliases expand the file to more than 10,000,000 values \(r53emu's bound; .*\)"
CASES = {
    "billion-laughs-tag": Case("laughs.yaml", text(laughs(9, "b: !!str y")), rf"9: {EXPANDED}"),
    "billion-laughs-duplicate": Case(
        "laughs.yaml", text(laughs(9, "b: 1\nb: 2")), rf"9: {EXPANDED}"
    ),
    "yaml-600-deep": Case(
        "deep.yaml", text("zone: deep.test\nx: " + "[" * 600 + "]" * 600), rf"2: {DEEP}"
    ),
    "json-5000-deep": Case(
        "deep.test.json",
        text('{"ResourceRecordSets":\n' + "[" * 5000 + "]" * 5000 + "}\n"),
        rf"2: {DEEP}",
    ),
    "chain-1500": Case(
        "chain.yaml",
        text(chain(1500)),
        r"3: record_sets\[0\]\.alias: the alias chain starting at c0\.chain\.test\. A is 1500 "
        r"aliases long \(.*\); r53emu follows at most 32 aliases in a chain \(.*\)",
    ),
    "values-20000": Case(
        "many.yaml",
        text(many_values(20_000)),
        r"6: record_sets\[0\]\.records: 20000 values \(at most 400 per record set\)",
    ),
    "chain-600": Case(
        "chain.yaml",
        text(chain(600)),
        r"3: record_sets\[0\]\.alias: the alias chain starting at c0\.chain\.test\. A is 600 .*",
    ),
    "answer-over-65535": Case(
        "big.yaml",
        text(oversized_answer()),
        r"3: record_sets\[0\]: the answer for big\.big\.test\. TXT could be 249,932 bytes with "
        r"the apex NS records; a DNS message holds at most 65,535 bytes \(.*\)",
    ),
    "link-outside": Case(
        "leak.yaml",
        outside_link,
        r"1: a symbolic link to a file outside the zones directory: not read \(.*\)",
    ),
    "value-50mb": Case(
        "flood.yaml",
        huge_value,
        r"3: record_sets\[0\]\.type: 'x{60}'\.\.\. \(52,428,800 characters\) is not a Route 53 "
        r"record type \(.*\)",
    ),
    "file-200mb": Case(
        "huge.yaml",
        huge_file,
        r"1: the file is 209,715,200 bytes; r53emu reads zone files of at most 67,108,864 bytes "
        r"\(64 MiB, r53emu's bound: --max-zone-file-mb\)",
    ),
}


def assert_refused(lines: list[str], path: Path, case: Case) -> None:
    """Exactly the one expected error, for the hostile file, and nothing of the linked file."""
    assert [line for line in lines if line.startswith(f"{path}:")] == lines, lines
    assert len(lines) == 1, lines
    assert re.fullmatch(re.escape(f"{path}:") + case.error, lines[0]), lines[0]
    assert SECRET not in lines[0]


@pytest.mark.parametrize("name", list(CASES))
def test_check_refuses_the_file_with_its_line(tmp_path: Path, name: str) -> None:
    """`r53emu check` exits 1 with the error on stdout and the count on stderr, no traceback,
    within CHECK_SECONDS (the interpreter's start included)."""
    case = CASES[name]
    zones = write_zones(tmp_path / "zones", {"good.yaml": GOOD})
    path = zones / case.file
    case.make(zones, path)
    started = time.perf_counter()
    done = subprocess.run(
        [*R53EMU, "check", str(zones)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert_refused(done.stdout.splitlines(), path, case)
    # (a load that takes over a second also shows its progress on stderr)
    assert done.stderr.splitlines()[-1] == f"1 error(s) in {zones}"
    assert seconds < CHECK_SECONDS


def post(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BackgroundServer, Path]]:
    """A server of good.test whose zones directory the tests add hostile files to."""
    zones = write_zones(tmp_path_factory.mktemp("served") / "zones", {"good.yaml": GOOD})
    config = ServerConfig(zones=zones, address="127.0.0.1", port=0, admin_port=0, watch=False)
    with BackgroundServer(config) as running:
        yield running, zones


def answers_good(server: BackgroundServer, tcp: bool = False) -> None:
    """www.good.test answers its A record, within QUERY_SECONDS."""
    started = time.perf_counter()
    reply = query(server.address, "www.good.test", "A", tcp=tcp, timeout=2.0)
    assert time.perf_counter() - started < QUERY_SECONDS
    assert reply.rcode() == dns.rcode.NOERROR
    assert [rdata.to_text() for rrset in reply.answer for rdata in rrset] == ["192.0.2.1"]


@pytest.mark.parametrize("name", list(CASES))
def test_reload_refuses_the_file_and_the_last_good_zones_answer(
    server: tuple[BackgroundServer, Path], name: str
) -> None:
    """POST /reload answers 422 with the one error (a short reply, whatever the file holds),
    quickly, and DNS keeps answering from the zones it had, over UDP and TCP."""
    running, zones = server
    assert running.server.admin is not None
    case = CASES[name]
    path = zones / case.file
    case.make(zones, path)
    try:
        started = time.perf_counter()
        status, body = post(f"http://127.0.0.1:{running.server.admin.port}/reload")
        seconds = time.perf_counter() - started
        assert status == 422
        assert len(body) < MAX_RESPONSE
        refused: dict[str, Any] = json.loads(body)
        assert refused["error"] == "1 error(s): the last good zones are still served"
        assert_refused(refused["errors"], path, case)
        assert seconds < RELOAD_SECONDS
        answers_good(running)
        answers_good(running, tcp=True)
    finally:
        path.unlink()
