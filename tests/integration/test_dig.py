"""What a user sees with `dig` against a real server (semantics §2.1, §2.8, §2.10).

Skipped when `dig` is missing, except under CI (env CI=true), where a missing `dig` fails.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import dns.rcode
import pytest

from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer
from tests.support.helpers import dig_path, query, write_zones

Address = tuple[str, int]

pytestmark = pytest.mark.dig

ZONE = """\
zone: dig.test
ttl: 300
record_sets:
  - {name: www, type: A, ttl: 60, records: [192.0.2.10, 192.0.2.11]}
  - {name: "@", type: TXT, records: ['"hello from r53emu"']}
"""

WWW_ANSWERS = [
    re.compile(r"^www\.dig\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.10$", re.MULTILINE),
    re.compile(r"^www\.dig\.test\.\s+60\s+IN\s+A\s+192\.0\.2\.11$", re.MULTILINE),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Address]:
    """A real server on the dig.test zone for the whole module."""
    dig_path()
    directory = write_zones(tmp_path_factory.mktemp("dig") / "zones", {"dig.yaml": ZONE})
    with BackgroundServer(ServerConfig(zones=Path(directory), address="127.0.0.1", port=0)) as bg:
        yield bg.address


def dig(address: Address, *args: str) -> str:
    """Run `dig @host -p port ARGS` (one try, so a failure is quick) and return its output."""
    host, port = address
    command = [dig_path(), f"@{host}", "-p", str(port), "+tries=1", "+time=3", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    return result.stdout + result.stderr


def _flags(output: str) -> list[str]:
    found = re.search(r";; flags: ([a-z ]*);", output)
    assert found is not None, output
    return found.group(1).split()


def test_dig_norecurse_answer(server: Address) -> None:
    """`dig NAME A +norecurse` shows NOERROR, flags `qr aa`, `udp: 4096` and both answer lines."""
    output = dig(server, "www.dig.test", "A", "+norecurse")
    assert "status: NOERROR" in output
    assert _flags(output) == ["qr", "aa"]
    assert "; EDNS: version: 0, flags:; udp: 4096" in output
    for line in WWW_ANSWERS:
        assert line.search(output), output
    assert "ANSWER: 2, AUTHORITY: 4, ADDITIONAL: 1" in output


def test_dig_default_recursion_desired(server: Address) -> None:
    """Plain `dig NAME A` (RD=1) shows flags `qr aa rd`, no `ra`, and dig's recursion warning."""
    output = dig(server, "www.dig.test", "A")
    assert "status: NOERROR" in output
    assert _flags(output) == ["qr", "aa", "rd"]
    assert "WARNING: recursion requested but not available" in output
    assert "udp: 4096" in output
    for line in WWW_ANSWERS:
        assert line.search(output), output


def test_dig_over_tcp(server: Address) -> None:
    """`dig +tcp` gets the same answer over TCP."""
    output = dig(server, "www.dig.test", "A", "+tcp")
    assert "status: NOERROR" in output
    assert _flags(output) == ["qr", "aa", "rd"]
    assert "(TCP)" in output
    for line in WWW_ANSWERS:
        assert line.search(output), output


def test_dig_nxdomain(server: Address) -> None:
    """A missing name shows `status: NXDOMAIN` with the zone's SOA in the authority section."""
    output = dig(server, "nope.dig.test", "A")
    assert "status: NXDOMAIN" in output
    assert _flags(output) == ["qr", "aa", "rd"]
    assert re.search(
        r"^dig\.test\.\s+900\s+IN\s+SOA\s+ns-\S+ awsdns-hostmaster\.amazon\.com\. 1 7200 900 "
        r"1209600 86400$",
        output,
        re.MULTILINE,
    ), output


def test_dig_refused_outside_hosted_zones(server: Address) -> None:
    """A name in no hosted zone shows `status: REFUSED` without `aa`."""
    output = dig(server, "www.example.invalid", "A")
    assert "status: REFUSED" in output
    assert _flags(output) == ["qr", "rd"]


def test_dig_subnet_is_echoed_with_scope_0(server: Address) -> None:
    """`dig +subnet=192.0.2.0/24` shows `CLIENT-SUBNET: 192.0.2.0/24/0` in the reply."""
    output = dig(server, "www.dig.test", "A", "+subnet=192.0.2.0/24")
    assert "status: NOERROR" in output
    assert "; CLIENT-SUBNET: 192.0.2.0/24/0" in output
    for line in WWW_ANSWERS:
        assert line.search(output), output


def test_dig_noedns_has_no_opt(server: Address) -> None:
    """`dig +noedns` gets a reply without an OPT pseudosection."""
    output = dig(server, "www.dig.test", "A", "+noedns")
    assert "status: NOERROR" in output
    assert "OPT PSEUDOSECTION" not in output
    assert "ADDITIONAL: 0" in output


def test_dig_edns_version_1_gets_badvers(server: Address) -> None:
    """`dig +edns=1 +noednsnegotiation` shows `status: BADVERS` and an OPT of `version: 0`."""
    output = dig(server, "www.dig.test", "A", "+edns=1", "+noednsnegotiation")
    assert "status: BADVERS" in output
    assert "; EDNS: version: 0, flags:; udp: 4096" in output
    assert "ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1" in output


def test_dig_axfr_is_refused(server: Address) -> None:
    """`dig ZONE AXFR` fails ("Transfer failed."): zone transfers are REFUSED."""
    output = dig(server, "dig.test", "AXFR")
    assert "Transfer failed." in output
    assert "awsdns-hostmaster" not in output  # no SOA (or anything else) was transferred
    # dig does not print the rcode of a failed transfer; ask over TCP to see it.
    reply = query(server, "dig.test", "AXFR", tcp=True)
    assert reply.rcode() == dns.rcode.REFUSED


def test_dig_against_the_bundled_zones(bundled_server: Address) -> None:
    """The README's first `dig` against the bundled zones gets an authoritative answer."""
    output = dig(bundled_server, "www.example.test", "A", "+norecurse")
    assert "status: NOERROR" in output
    assert _flags(output) == ["qr", "aa"]
    answer = r"^www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.\d+$"
    assert re.search(answer, output, re.MULTILINE), output
