"""Amplification (issue 13, defect 11): what a UDP client beyond loopback gets, through a real
server whose guard is applied to loopback too (`--amplification-guard all`), since tests can
only send from 127.0.0.0/8.

* ANY over UDP is one HINFO "RFC8482" "" record (RFC 8482 §4.2), kept by the reply cache apart
  from Route 53's full answer; over TCP, every record set.
* No UDP reply is more than 10 times its query: larger ones come back TC=1, and a client that
  retries over TCP (dnspython's `udp_with_fallback`, as resolvers do) gets the whole answer.
  Every name and type of the bundled zones is swept: guarded, the worst ratio is at most 10;
  unguarded (the loopback default: Route 53's full answers) it is well above, which shows the
  sweep can fail.
* Over `--rate-limit` replies per second to one /24, every second reply is a bare TC=1 and the
  others are dropped; TCP is not limited; a second later the prefix is answered again.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import pytest

from r53emu.answer.lookup import lookup
from r53emu.app import ServerConfig
from r53emu.model import names
from r53emu.server.handler import QueryHandler
from r53emu.testing.background import BackgroundServer
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import REPO, query, rrset_texts, write_zones
from tests.support.serving import R53EMU, StartServe, clean_env

Address = tuple[str, int]
LONG = "0123456789" * 9
BIG_VALUES = ", ".join(f"'\"{i} {LONG}\"'" for i in range(5))
SWEEP_TYPES = ("A", "AAAA", "TXT", "MX", "NS", "SOA", "SRV", "CAA", "CNAME", "PTR", "ANY")

ZONE = f"""\
zone: amplify.test
ttl: 300
record_sets:
  - {{name: www, type: A, records: [192.0.2.1]}}
  - {{name: big, type: TXT, records: [{BIG_VALUES}]}}
  - {{name: multi, type: A, records: [192.0.2.1, 192.0.2.2, 192.0.2.3]}}
  - {{name: multi, type: AAAA, records: ["2001:db8::1", "2001:db8::2"]}}
  - {{name: multi, type: TXT, records: ['"one"', '"two"']}}
  - {{name: multi, type: MX, records: ["10 mx.amplify.test."]}}
"""


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zones(tmp_path_factory.mktemp("amplify") / "zones", {"amplify.yaml": ZONE})


def _server(zones: Path, guard: str, rate: int) -> Iterator[BackgroundServer]:
    config = ServerConfig(
        zones=zones, address="127.0.0.1", port=0, amplification_guard=guard, rate_limit=rate
    )
    with BackgroundServer(config) as server:
        yield server


@pytest.fixture(scope="module")
def guarded(zones: Path) -> Iterator[BackgroundServer]:
    """Guarded as a client beyond loopback is, without the rate limit (the sweep is fast)."""
    yield from _server(zones, "all", 0)


@pytest.fixture(scope="module")
def unguarded(zones: Path) -> Iterator[BackgroundServer]:
    """The default: loopback clients are not guarded."""
    yield from _server(zones, "beyond-loopback", 100)


def test_any_over_udp_is_one_hinfo_record(guarded: BackgroundServer) -> None:
    reply = query(guarded.address, "multi.amplify.test", "ANY", use_edns=0, payload=4096)
    assert reply.rcode() == 0
    assert reply.flags & dns.flags.AA
    assert [rrset.to_text() for rrset in reply.answer] == [
        'multi.amplify.test. 3600 IN HINFO "RFC8482" ""'
    ]


def test_any_over_tcp_keeps_every_record_set(guarded: BackgroundServer) -> None:
    reply = query(guarded.address, "multi.amplify.test", "ANY", tcp=True)
    types = {dns.rdatatype.to_text(rrset.rdtype) for rrset in reply.answer}
    assert types == {"A", "AAAA", "TXT", "MX"}


def test_any_at_a_missing_name_is_still_nxdomain(guarded: BackgroundServer) -> None:
    reply = query(guarded.address, "nothing.amplify.test", "ANY")
    assert reply.rcode() == dns.rcode.NXDOMAIN
    assert [rrset.rdtype for rrset in reply.authority] == [dns.rdatatype.SOA]


def test_unguarded_loopback_gets_route53s_full_any(unguarded: BackgroundServer) -> None:
    reply = query(unguarded.address, "multi.amplify.test", "ANY", use_edns=0, payload=4096)
    assert {dns.rdatatype.to_text(rrset.rdtype) for rrset in reply.answer} == {
        "A",
        "AAAA",
        "TXT",
        "MX",
    }


def test_large_reply_is_truncated_and_whole_over_tcp(guarded: BackgroundServer) -> None:
    request = dns.message.make_query("big.amplify.test", "TXT", use_edns=0, payload=4096)
    packet = request.to_wire()
    host, port = guarded.address
    reply_bytes = _udp(guarded.address, packet)
    assert len(reply_bytes) <= 10 * len(packet)
    reply = dns.message.from_wire(reply_bytes)
    assert reply.flags & dns.flags.TC
    assert reply.answer == []
    retried, used_tcp = dns.query.udp_with_fallback(request, host, port=port, timeout=5)
    assert used_tcp
    assert len(retried.answer[0]) == 5


def test_small_reply_is_whole(guarded: BackgroundServer) -> None:
    reply = query(guarded.address, "www.amplify.test", "A", use_edns=0, payload=4096)
    assert not reply.flags & dns.flags.TC
    assert [rrset.to_text() for rrset in reply.answer] == ["www.amplify.test. 300 IN A 192.0.2.1"]


def _sweep_questions() -> list[tuple[str, str]]:
    catalog = load_catalog(REPO / "zones")
    owners = {names.to_text(name) for zone in catalog.zones.values() for name in zone.nodes} | {
        "big.amplify.test.",
        "multi.amplify.test.",
        "www.amplify.test.",
    }
    return [(owner, rtype) for owner in sorted(owners) for rtype in SWEEP_TYPES]


def _worst_ratio(server: BackgroundServer, questions: list[tuple[str, str]]) -> float:
    worst = 0.0
    for owner, rtype in questions:
        for edns in (False, True):
            owner_text = owner.replace("*", "star")
            packet = dns.message.make_query(
                owner_text, rtype, use_edns=0 if edns else None, payload=4096
            ).to_wire()
            reply = _udp(server.address, packet)
            worst = max(worst, len(reply) / len(packet))
    return worst


@pytest.fixture(scope="module")
def both_zones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sweep") / "zones"
    directory.mkdir()
    for path in sorted((REPO / "zones").iterdir()):
        (directory / path.name).write_bytes(path.read_bytes())
    (directory / "amplify.yaml").write_text(ZONE, encoding="utf-8")
    return directory


def test_no_guarded_reply_is_over_ten_times_its_query(both_zones: Path) -> None:
    """Every owner name of the bundled zones (and of the zone above), every common type, with
    and without EDNS 4096: at most 10x guarded, and more than that unguarded."""
    questions = _sweep_questions()
    for server in _server(both_zones, "all", 0):
        assert _worst_ratio(server, questions) <= 10
    for server in _server(both_zones, "off", 0):
        assert _worst_ratio(server, questions) > 10


def test_rate_limit_slips_and_drops_then_recovers(
    zones: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rate, burst = 20, 200
    packet = dns.message.make_query("www.amplify.test", "A").to_wire()
    for server in _server(zones, "all", rate):
        caplog.set_level(logging.WARNING, logger="r53emu.guard")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(server.address)
            started = time.monotonic()
            for _ in range(burst):
                sock.send(packet)
            elapsed = time.monotonic() - started
            replies = _collect(sock, seconds=1.0)
        whole = [reply for reply in replies if not reply.flags & dns.flags.TC]
        slipped = [reply for reply in replies if reply.flags & dns.flags.TC]
        assert rate <= len(whole) <= rate + rate * elapsed + 2
        assert all(reply.answer == [] and len(reply.question) == 1 for reply in slipped)
        over = burst - len(whole)
        assert abs(len(slipped) - over / 2) <= 2  # every second one over the limit
        assert "UDP replies to 127.0.0.0/24 over 20 per second" in caplog.text
        metrics = server.server.metrics.render().decode()
        assert f'r53emu_udp_rate_limited_total{{action="truncated"}} {len(slipped)}.0' in metrics
        assert (
            f'r53emu_udp_rate_limited_total{{action="dropped"}} {over - len(slipped)}.0' in metrics
        )
        # TCP is not limited; a second later UDP is answered again.
        tcp = query(server.address, "www.amplify.test", "A", tcp=True)
        assert tcp.answer[0].to_text() == "www.amplify.test. 300 IN A 192.0.2.1"
        time.sleep(1.1)
        again = query(server.address, "www.amplify.test", "A")
        assert not again.flags & dns.flags.TC
        assert again.answer[0].to_text() == "www.amplify.test. 300 IN A 192.0.2.1"


def test_cli_says_whom_the_guard_applies_to(serve: StartServe, zones: Path) -> None:
    process = serve(
        [
            *R53EMU,
            "serve",
            "--zones",
            str(zones),
            "--port",
            "0",
            "--amplification-guard",
            "all",
            "--rate-limit",
            "5",
        ],
        clean_env(),
    )
    host, port = process.wait_listening()
    process.wait_for_line(
        r"every UDP client: ANY answered as RFC 8482 recommends, replies at most 10x their "
        r"query, 5 replies/s per /24 or /56 \(--amplification-guard, --rate-limit\)"
    )
    reply = query((host, port), "multi.amplify.test", "ANY")
    assert reply.answer[0].to_text() == 'multi.amplify.test. 3600 IN HINFO "RFC8482" ""'


def _udp(address: Address, packet: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(packet, address)
        reply, _ = sock.recvfrom(65535)
    return reply


def _collect(sock: socket.socket, seconds: float) -> list[dns.message.Message]:
    """Every reply arriving within `seconds` of the last one."""
    replies = []
    sock.settimeout(seconds)
    while True:
        try:
            replies.append(dns.message.from_wire(sock.recv(65535)))
        except TimeoutError:
            return replies


@pytest.mark.parametrize("cap", [40, 120, 300, 600, 1200, 5000])
@pytest.mark.parametrize(
    ("name", "rtype"),
    [("www", "A"), ("big", "TXT"), ("multi", "A"), ("multi", "ANY"), ("nothing", "A")],
)
@pytest.mark.parametrize("payload", [None, 1232, 4096])
def test_cached_guarded_replies_are_what_the_slow_path_sends(
    zones: Path, cap: int, name: str, rtype: str, payload: int | None
) -> None:
    """The reply cache cuts a reply at the guard's cap exactly where the slow path does."""
    catalog = load_catalog(zones)
    fast = QueryHandler(catalog, random.Random(1))
    slow = QueryHandler(catalog, random.Random(1), cache_replies=False)
    packet = dns.message.make_query(
        f"{name}.amplify.test", rtype, use_edns=0 if payload else None, payload=payload or 512
    ).to_wire()
    fast.handle(packet, "127.0.0.1", "udp")  # the cache learns Route 53's answer
    fast.handle(packet, "127.0.0.1", "udp", cap)  # and, for ANY, the guard's
    got = fast.handle(packet, "127.0.0.1", "udp", cap)
    expected = slow.handle(packet, "127.0.0.1", "udp", cap)
    assert got is not None
    assert expected is not None
    assert len(got) == len(expected)
    assert got[:12] == expected[:12]
    mine, theirs = dns.message.from_wire(got), dns.message.from_wire(expected)
    assert mine.question == theirs.question
    for section in ("answer", "authority", "additional"):
        assert rrset_texts(getattr(mine, section)) == rrset_texts(getattr(theirs, section))


def test_the_guards_any_is_cached_apart_from_route53s(zones: Path) -> None:
    """The RFC 8482 reply is kept for guarded clients and Route 53's full one for the others,
    both answered from the cache (no lookup: the handler's lookup is not called again)."""
    calls = []

    def counting(*args: Any) -> Any:
        calls.append(args)
        return lookup(*args)

    handler = QueryHandler(load_catalog(zones), random.Random(1), resolve=counting)
    packet = dns.message.make_query("multi.amplify.test", "ANY", use_edns=0, payload=4096)
    wire = packet.to_wire()
    for _ in range(3):
        minimal = handler.handle(wire, "127.0.0.1", "udp", 10 * len(wire))
        full = handler.handle(wire, "127.0.0.1", "udp")
        assert minimal is not None
        assert full is not None
        assert [r.rdtype for r in dns.message.from_wire(minimal).answer] == [dns.rdatatype.HINFO]
        assert len(dns.message.from_wire(full).answer) == 4
    assert len(calls) == 2
