"""The authoritative-speed benchmark's tools: zone generator, dnsperf parsing, ceiling, harness.

Not a benchmark run: these pin that benchmarks/authoritative.py measures what it says it
measures (zones r53emu loads, query mixes that reach the routing branch they are named after,
dnsperf figures read right), in a few seconds.
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from benchmarks import authoritative, hostile, zonegen
from benchmarks.authoritative import Mix, parse_dnsperf, percentile
from benchmarks.zonegen import HostilePlan
from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import query, rrset_texts

# Captured from dnsperf 2.10.0 (Debian) with -v against r53emu serving a generated 1k zone.
DNSPERF_VERBOSE = """\
DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.0.1 -p 47047 -d small.txt -n 1 -c 16 -T 1 -q 100 -v -E 8:00011800c63364
[Status] Sending queries (to 127.0.0.1:47047)
[Status] Started at: Wed Nov 25 00:50:09 2026
[Status] Stopping after 1 run through file
> NOERROR s0.bench.test. A 0.001318
> NOERROR w1.bench.test. A 0.000557
> NXDOMAIN nx0.bench.test. A 0.000743
> NOERROR g0.bench.test. A 0.000469
[Status] Testing complete (end of file)

Statistics:

  Queries sent:         4
  Queries completed:    4 (100.00%)
  Queries lost:         0 (0.00%)

  Response codes:       NOERROR 3 (75.00%), NXDOMAIN 1 (25.00%)
  Average packet size:  request 53, response 191
  Run time (s):         0.002744
  Queries per second:   1457.725948

  Average Latency (s):  0.000771 (min 0.000469, max 0.001318)
  Latency StdDev (s):   0.000382

"""  # noqa: E501

# Captured from dnsperf 2.10.0 with -v -t 1 against a UDP socket that never answers.
DNSPERF_TIMEOUTS = """\
DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.0.1 -p 38970 -d two.txt -n 1 -t 1 -v
[Status] Sending queries (to 127.0.0.1:38970)
[Status] Started at: Wed Nov 25 00:50:14 2026
[Status] Stopping after 1 run through file
> T s0.bench.test. A
> T w1.bench.test. A
[Status] Testing complete (end of file)

Statistics:

  Queries sent:         2
  Queries completed:    0 (0.00%)
  Queries lost:         2 (100.00%)

  Response codes:       
  Average packet size:  request 31, response 0
  Run time (s):         0.001362
  Queries per second:   0.000000

  Average Latency (s):  0.000000 (min 0.000000, max 0.000000)
"""  # noqa: W291

# Captured from dnsperf 2.10.0 without -v (a 5 s run against benchmarks/ceiling.py).
DNSPERF_PLAIN = """\
DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.0.1 -p 49104 -d q.txt -l 5 -c 16 -T 1 -q 100
[Status] Sending queries (to 127.0.0.1:49104)
[Status] Started at: Wed Nov 25 00:44:29 2026
[Status] Stopping after 5.000000 seconds
[Status] Testing complete (time limit)

Statistics:

  Queries sent:         236501
  Queries completed:    236501 (100.00%)
  Queries lost:         0 (0.00%)

  Response codes:       NOERROR 236501 (100.00%)
  Average packet size:  request 31, response 47
  Run time (s):         5.000246
  Queries per second:   47297.872945

  Average Latency (s):  0.001661 (min 0.000025, max 0.018948)
  Latency StdDev (s):   0.002176

"""

SIZE = 1000


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> zonegen.ZonePlan:
    return zonegen.write_zones(tmp_path_factory.mktemp("bench") / "zones", SIZE)


@pytest.fixture(scope="module")
def bench_server(plan: zonegen.ZonePlan) -> Iterator[tuple[str, int]]:
    """r53emu serving the generated 1k zone, in this process (port 0 on 127.0.0.1)."""
    server = BackgroundServer(ServerConfig(zones=plan.directory, address="127.0.0.1", port=0))
    server.start()
    yield server.address
    server.stop()


# --- the zone generator ---------------------------------------------------------------------


def test_generated_zone_loads_with_exactly_the_asked_record_set_count(
    plan: zonegen.ZonePlan,
) -> None:
    """A generated zone holds exactly N record sets as r53emu counts them (SOA and NS included)."""
    catalog = load_catalog(plan.directory)
    (zone,) = catalog.zones.values()
    assert zone.record_set_count == SIZE == plan.record_sets


def test_generated_zone_has_every_routing_policy_and_the_account_sections(
    plan: zonegen.ZonePlan,
) -> None:
    """The zone holds record sets of every policy, health checks, a CIDR collection and
    client locations for the documentation ranges the ECS mixes send."""
    catalog = load_catalog(plan.directory)
    (zone,) = catalog.zones.values()
    policies = {group.policy for node in zone.nodes.values() for group in node.values()}
    assert policies == {
        "simple", "weighted", "latency", "failover", "geolocation",
        "geoproximity", "multivalue", "cidr",
    }  # fmt: skip
    assert {"RECOVERY_CONTROL", "CALCULATED", "CLOUDWATCH_METRIC", "HTTP"} == {
        spec.type for spec in catalog.health_checks.values()
    }
    assert all(spec.disabled for spec in catalog.health_checks.values() if spec.type == "HTTP"), (
        "a probed check would send traffic during the benchmark"
    )
    assert set(catalog.cidr_collections) == {"corp"}
    assert {str(rule.network) for rule in catalog.client_locations} == {
        zonegen.FRANKFURT_SUBNET, zonegen.SAN_FRANCISCO_SUBNET, zonegen.TOKYO_SUBNET,
    }  # fmt: skip


def test_r53emu_check_accepts_the_generated_directory(plan: zonegen.ZonePlan) -> None:
    """`r53emu check` validates the generated directory and reports its 1,000 record sets."""
    done = subprocess.run(
        [sys.executable, "-m", "r53emu", "check", str(plan.directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1000 record sets" in done.stdout


def test_sizes_beyond_route53s_quota_raise_the_zones_record_limit(tmp_path: Path) -> None:
    """A zone above Route 53's 10,000 record sets loads: the generator raises `record_limit`."""
    plan = zonegen.write_zones(tmp_path, 10_050)
    (zone,) = load_catalog(plan.directory).zones.values()
    assert zone.record_set_count == 10_050


def test_a_size_below_one_cycle_is_refused(tmp_path: Path) -> None:
    """Fewer record sets than one cycle of every policy is an error, not a partial zone."""
    with pytest.raises(ValueError, match="at least"):
        zonegen.write_zones(tmp_path, zonegen.CYCLE_SIZE)


# --- the query mixes reach the branch they are named after ----------------------------------


def ecs_query(address: tuple[str, int], name: str, subnet: str | None) -> dns.message.Message:
    """Ask as dnsperf does: with `-E 8:hex` the option bytes of `ecs_option`, verbatim."""
    if subnet is None:
        return query(address, name, "A")
    code, hex_value = authoritative.ecs_option(subnet).split(":")
    option = dns.edns.GenericOption(int(code), bytes.fromhex(hex_value))
    return query(address, name, "A", use_edns=0, options=[option])


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("static A", "192.0.2.1"),
        ("geolocation + ECS", "192.0.2.41"),  # Frankfurt: the DE record, not EU or default
        ("latency + ECS", "192.0.2.32"),  # Frankfurt: eu-central-1
        ("geoproximity + ECS", "192.0.2.52"),  # San Francisco: us-west-2
        ("IP-based + ECS", "192.0.2.72"),  # San Francisco: the `branch` block
        ("failover + health", "192.0.2.21"),  # f0's check is a routing control On: primary
        ("static A over TCP", "192.0.2.1"),
    ],
)
def test_each_mix_reaches_the_routing_branch_it_is_named_after(
    plan: zonegen.ZonePlan, bench_server: tuple[str, int], label: str, expected: str
) -> None:
    """The first query of each mix, sent as the benchmark sends it, gets the routed answer."""
    mix = next(mix for mix in authoritative.MIXES if mix.label == label)
    name, qtype = authoritative.query_lines(plan, mix)[0].split()
    assert qtype == "A"
    reply = ecs_query(bench_server, name, mix.subnet)
    assert rrset_texts(reply.answer) == {f"{name} 60 IN A {expected}"}


def test_failover_mix_asks_for_both_healthy_and_unhealthy_primaries(
    plan: zonegen.ZonePlan, bench_server: tuple[str, int]
) -> None:
    """Over the failover names the health checks send some answers to the secondary."""
    mix = next(mix for mix in authoritative.MIXES if mix.family == "failover")
    answers = set()
    for line in authoritative.query_lines(plan, mix)[:5]:
        reply = query(bench_server, line.split()[0], "A")
        answers |= {rdata.address for rrset in reply.answer for rdata in rrset}
    assert answers == {"192.0.2.21", "192.0.2.29"}


def test_weighted_and_multivalue_mixes_answer_from_their_record_sets(
    plan: zonegen.ZonePlan, bench_server: tuple[str, int]
) -> None:
    """Weighted names answer one of the weighted values; multivalue names up to 4 healthy ones."""
    weighted = authoritative.query_lines(plan, Mix("w", "weighted"))[0].split()[0]
    reply = query(bench_server, weighted, "A")
    assert len(reply.answer) == 1
    assert {rdata.address for rdata in reply.answer[0]} <= {"192.0.2.11", "192.0.2.12"}
    multivalue = authoritative.query_lines(plan, Mix("mv", "multivalue"))[0].split()[0]
    reply = query(bench_server, multivalue, "A")
    assert {rdata.address for rdata in reply.answer[0]} == {
        "192.0.2.61", "192.0.2.62", "192.0.2.63", "192.0.2.64",
    }  # fmt: skip


def test_nxdomain_mix_names_do_not_exist(
    plan: zonegen.ZonePlan, bench_server: tuple[str, int]
) -> None:
    """The NXDOMAIN mix asks for names below the zone that it does not hold."""
    mix = next(mix for mix in authoritative.MIXES if mix.label == "NXDOMAIN")
    for line in authoritative.query_lines(plan, mix)[:3]:
        assert query(bench_server, line.split()[0], "A").rcode() == dns.rcode.NXDOMAIN


def test_ecs_option_encodes_rfc7871_for_both_families() -> None:
    """The `-E` value is code 8 with family, source prefix, scope 0 and the truncated address."""
    assert authoritative.ecs_option("198.51.100.0/24") == "8:00011800c63364"
    assert authoritative.ecs_option("2001:db8::/32") == "8:0002200020010db8"


# --- reading dnsperf ------------------------------------------------------------------------


def test_parses_a_verbose_dnsperf_run() -> None:
    """Summary counts, rate, average latency, rcodes and p99 come from dnsperf -v output."""
    result = parse_dnsperf(DNSPERF_VERBOSE.splitlines())
    assert (result.sent, result.completed, result.lost) == (4, 4, 0)
    assert result.qps == pytest.approx(1457.725948)
    assert result.avg_latency == pytest.approx(0.000771)
    assert result.max_latency == pytest.approx(0.001318)
    assert result.run_time == pytest.approx(0.002744)
    assert result.rcodes == {"NOERROR": 3, "NXDOMAIN": 1}
    assert result.p99_latency == pytest.approx(0.001318)  # nearest rank of 4: the largest


def test_timeouts_count_as_lost_and_carry_no_latency() -> None:
    """`> T` lines add no latency; the summary's lost count and share say what was lost."""
    result = parse_dnsperf(DNSPERF_TIMEOUTS.splitlines())
    assert (result.sent, result.completed, result.lost) == (2, 0, 2)
    assert result.lost_share == 1.0
    assert result.rcodes == {}
    assert result.p99_latency is None


def test_a_run_without_verbose_lines_has_no_p99() -> None:
    """Without -v the figures come from the summary alone and p99 is unknown, not zero."""
    result = parse_dnsperf(DNSPERF_PLAIN.splitlines())
    assert (result.sent, result.lost) == (236501, 0)
    assert result.qps == pytest.approx(47297.872945)
    assert result.rcodes == {"NOERROR": 236501}
    assert result.p99_latency is None


def test_output_without_a_summary_is_an_error() -> None:
    """A failed dnsperf (usage text, no statistics) is reported, not read as zero queries."""
    with pytest.raises(ValueError, match="Queries sent"):
        parse_dnsperf(["invalid port: Exception", "Usage: dnsperf [-f family]"])


def test_percentile_is_nearest_rank() -> None:
    """p99 of 1..100 ms is 99 ms, of 1..1000 is 990; a single value is its own p99."""
    assert percentile([float(n) for n in range(100, 0, -1)], 99) == 99.0
    assert percentile([float(n) for n in range(1, 1001)], 99) == 990.0
    assert percentile([0.5], 99) == 0.5


@pytest.mark.parametrize(
    ("text", "size"), [("1k", 1000), ("10K", 10_000), ("100k", 100_000), ("2500", 2500)]
)
def test_sizes_are_read_with_k_suffixes(text: str, size: int) -> None:
    """`--sizes 1k,10k,100k` means 1,000, 10,000 and 100,000 record sets."""
    assert authoritative.parse_size(text) == size


# --- the harness: the ceiling, r53emu started and measured, one short dnsperf run -----------


def test_ceiling_answers_with_the_query_id_and_question() -> None:
    """The ceiling responder echoes ID and question and answers one A record."""
    process, port = authoritative.start_ceiling()
    try:
        reply = query(("127.0.0.1", port), "s7.bench.test.", "A")
    finally:
        process.stop()
    assert rrset_texts(reply.answer) == {"s7.bench.test. 60 IN A 192.0.2.1"}


def test_harness_measures_startup_memory_and_reload(plan: zonegen.ZonePlan) -> None:
    """r53emu started as the benchmark starts it answers, has a resident size, and reloads."""
    process, port, admin, startup = authoritative.start_r53emu(plan.directory)
    try:
        assert 0 < startup < authoritative.STARTUP_TIMEOUT
        memory = authoritative.memory_kb(process.pid)
        assert 10_000 < memory["VmRSS"] <= memory["VmHWM"]
        assert authoritative.reload_seconds(admin) > 0
        reply = query(("127.0.0.1", port), "s0.bench.test.", "A")
        assert rrset_texts(reply.answer) == {"s0.bench.test. 60 IN A 192.0.2.1"}
    finally:
        process.stop()
    assert process.popen.returncode == 0


@pytest.mark.skipif(shutil.which("dnsperf") is None, reason="dnsperf is not installed")
def test_one_second_dnsperf_run_with_ecs_is_read_end_to_end(
    plan: zonegen.ZonePlan, bench_server: tuple[str, int], tmp_path: Path
) -> None:
    """A 1 s dnsperf run of an ECS mix completes every query with NOERROR and yields a p99."""
    dnsperf = shutil.which("dnsperf")
    assert dnsperf is not None
    mix = next(mix for mix in authoritative.MIXES if mix.label == "geolocation + ECS")
    queries = tmp_path / "queries.txt"
    queries.write_text("\n".join(authoritative.query_lines(plan, mix)) + "\n")
    settings = authoritative.Settings(dnsperf, seconds=1, p99=True, workdir=tmp_path)
    result = authoritative.run_dnsperf(settings, bench_server[1], queries, mix, max_qps=2000)
    assert result.completed > 0
    assert result.lost == 0
    assert result.rcodes == {"NOERROR": result.completed}
    assert result.p99_latency is not None
    assert 0 < result.avg_latency < 1.0


@pytest.mark.skipif(shutil.which("dnsperf") is None, reason="dnsperf is not installed")
def test_reload_under_load_reports_what_a_steady_client_saw(
    plan: zonegen.ZonePlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload amid a steady dnsperf load is timed, and dnsperf's view of it is read after
    SIGINT: every query sent was answered NOERROR, none lost."""
    monkeypatch.setattr(authoritative, "LOAD_MARGIN", 0.3)
    dnsperf = shutil.which("dnsperf")
    assert dnsperf is not None
    queries = tmp_path / "queries.txt"
    queries.write_text("\n".join(authoritative.query_lines(plan, authoritative.STATIC)) + "\n")
    settings = authoritative.Settings(dnsperf, seconds=1, p99=False, workdir=tmp_path)
    process, port, admin, _ = authoritative.start_r53emu(plan.directory)
    try:
        seconds, seen = authoritative.reload_under_load(settings, port, queries, admin)
    finally:
        process.stop()
    assert seconds > 0
    assert seen.sent > 0
    assert seen.lost == 0
    assert seen.rcodes == {"NOERROR": seen.completed}
    assert 0 < seen.max_latency < 5.0  # dnsperf's timeout: a stalled server would lose queries


@pytest.mark.skipif(shutil.which("dnsperf") is None, reason="dnsperf is not installed")
def test_a_short_soak_reads_the_rss_along_the_way(
    plan: zonegen.ZonePlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The soak runs every family with ECS at full speed, reads the server's RSS several times
    and compares the last reading with the first minute's (here: the first reading)."""
    monkeypatch.setattr(authoritative, "SOAK_SAMPLE", 0.5)
    dnsperf = shutil.which("dnsperf")
    assert dnsperf is not None
    queries = tmp_path / "queries.txt"
    lines = authoritative.query_lines(plan, authoritative.SOAK)
    assert {line.split(".")[0].rstrip("0123456789") for line in lines} >= {"s", "w", "ip", "nx"}
    queries.write_text("\n".join(lines) + "\n")
    settings = authoritative.Settings(dnsperf, seconds=1, p99=False, workdir=tmp_path, soak=2)
    process, port, _admin, _ = authoritative.start_r53emu(plan.directory)
    try:
        report = authoritative.soak(settings, process.pid, port, queries, settings.soak)
    finally:
        process.stop()
    assert report.result.completed > 0
    assert report.result.lost == 0
    assert len(report.rss_mb) >= 3
    assert all(mb > 10 for _, mb in report.rss_mb)
    assert report.rss_mb_after_minute == report.rss_mb[0][1]
    assert "after the first minute" in authoritative.format_soak(report)


# --- the hostile rows (benchmarks/hostile.py) -------------------------------------------------


def _result(**fields: Any) -> authoritative.DnsperfResult:
    return authoritative.DnsperfResult(**fields)


def test_dnsperf_average_packet_sizes_are_read() -> None:
    """`Average packet size: request 53, response 191` gives the reply size of each hostile row."""
    result = parse_dnsperf(DNSPERF_VERBOSE.splitlines())
    assert (result.avg_request_bytes, result.avg_response_bytes) == (53, 191)
    assert parse_dnsperf(DNSPERF_TIMEOUTS.splitlines()).avg_response_bytes == 0


@pytest.fixture(scope="module")
def hostile_plan(plan: zonegen.ZonePlan, tmp_path_factory: pytest.TempPathFactory) -> HostilePlan:
    """The benchmark zone and the hostile zone beside it, as hostile.measure writes them."""
    directory = tmp_path_factory.mktemp("hostile") / "zones"
    zonegen.write_zones(directory, SIZE)
    return zonegen.write_hostile_zone(directory)


@pytest.fixture(scope="module")
def hostile_server(hostile_plan: HostilePlan) -> Iterator[tuple[str, int]]:
    config = ServerConfig(zones=hostile_plan.directory, address="127.0.0.1", port=0)
    server = BackgroundServer(config)
    server.start()
    yield server.address
    server.stop()


def test_wire_queries_are_what_dnspython_reads() -> None:
    """Queries built byte for byte: name, type, RD clear, and OPT with payload and ECS."""
    plain = dns.message.from_wire(hostile.wire_query("s0.bench.test.", "A", query_id=7))
    assert (plain.id, plain.flags, plain.edns) == (7, 0, -1)
    assert str(plain.question[0]) == "s0.bench.test. IN A"
    edns = dns.message.from_wire(hostile.wire_query("many.hostile.test", "ANY", 4096))
    assert (str(edns.question[0]), edns.edns, edns.payload) == (
        "many.hostile.test. IN ANY",
        0,
        4096,
    )
    assert not edns.options
    subnet = hostile.distinct_subnet(0x123456)
    ecs = dns.message.from_wire(
        hostile.wire_query("g0.bench.test", "A", 4096, hostile.ecs_data(subnet))
    )
    (option,) = ecs.options
    assert isinstance(option, dns.edns.ECSOption)
    assert (option.address, option.srclen, option.scopelen) == ("2001:db8:1234:5600::", 56, 0)


def test_ecs_data_is_the_option_dnsperf_is_given() -> None:
    """The hostile rows' ECS bytes are those of the tables' `-E 8:hex`."""
    for subnet in ("198.51.100.0/24", "2001:db8::/32", "2001:db8:ab:cd00::/56"):
        assert authoritative.ecs_option(subnet) == f"8:{hostile.ecs_data(subnet).hex()}"


def test_distinct_subnets_are_distinct_56s_in_tokyos_range() -> None:
    """Each n gives another /56 of 2001:db8::/32 (Tokyo in the client locations)."""
    tokyo = ip_network(zonegen.TOKYO_SUBNET)
    subnets = [ip_network(hostile.distinct_subnet(n)) for n in (0, 1, 255, 256, 2**24 - 1)]
    assert len(set(subnets)) == 5
    assert all(net.prefixlen == 56 and net.subnet_of(tokyo) for net in subnets)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out of range"):
        hostile.distinct_subnet(2**24)


def test_binary_records_are_length_prefixed() -> None:
    """dnsperf -B reads each message after its two-byte length."""
    assert b"".join(hostile.binary_records([b"abc", b""])) == b"\x00\x03abc\x00\x00"


def _candidate(kind: str) -> hostile.Candidate:
    return next(candidate for candidate in hostile.CANDIDATES if candidate.kind == kind)


@pytest.mark.parametrize(
    ("kind", "parent"), [("wildcard", "wild.hostile.test."), ("nxdomain", "nx.bench.test.")]
)
def test_never_repeating_candidates_ask_count_distinct_names(
    plan: zonegen.ZonePlan, hostile_plan: HostilePlan, kind: str, parent: str
) -> None:
    """The fast builder gives the queries wire_query would, each name once."""
    packets = list(hostile.candidate_queries(_candidate(kind), plan, hostile_plan, 300))
    assert len(set(packets)) == 300
    assert packets == [hostile.wire_query(f"q{n}.{parent}", "A") for n in range(300)]


def test_ecs_candidates_send_each_subnet_once(
    plan: zonegen.ZonePlan, hostile_plan: HostilePlan
) -> None:
    """geolocation + ECS cycles the g{i} names with a new /56 every query."""
    packets = list(hostile.candidate_queries(_candidate("geolocation-ecs"), plan, hostile_plan, 90))
    names = plan.owner_names("geolocation")
    assert packets == [
        hostile.wire_query(
            names[n % len(names)], "A", 4096, hostile.ecs_data(hostile.distinct_subnet(n))
        )
        for n in range(90)
    ]


def test_repeating_candidates_ask_their_one_question(
    plan: zonegen.ZonePlan, hostile_plan: HostilePlan
) -> None:
    """A fixed question is one query in the file, whatever the count; static A asks s{i}."""
    for kind, question in [
        ("any-edns", "many.hostile.test. IN ANY"),
        ("chain", "chain.hostile.test. IN A"),
    ]:
        (packet,) = hostile.candidate_queries(_candidate(kind), plan, hostile_plan, 500)
        assert str(dns.message.from_wire(packet).question[0]) == question
    static = list(hostile.candidate_queries(hostile.STATIC_CANDIDATE, plan, hostile_plan, 0))
    assert len(static) == plan.cycles


def test_hostile_zone_loads_beside_the_benchmark_zone(hostile_plan: HostilePlan) -> None:
    """r53emu check accepts the two zones together (the chain is at the alias bound, not over)."""
    done = subprocess.run(
        [sys.executable, "-m", "r53emu", "check", str(hostile_plan.directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hostile.test." in done.stdout


def test_hostile_candidates_get_the_answers_they_are_named_after(
    hostile_server: tuple[str, int],
) -> None:
    """big TXT fits EDNS 4096 whole; ANY over TCP is every record (no TC); the trees answer."""
    big = query(hostile_server, "big.hostile.test", "TXT", use_edns=0, payload=4096)
    assert not big.flags & dns.flags.TC
    assert 3500 < len(big.to_wire()) <= 4096
    assert len(big.answer[0]) == zonegen.BIG_TXT_STRINGS
    many = query(hostile_server, "many.hostile.test", "ANY", tcp=True)
    assert not many.flags & dns.flags.TC
    assert sum(len(rrset) for rrset in many.answer) == 6 * zonegen.MANY_VALUES
    for name in ("tree.hostile.test", "q1.wtree.hostile.test", "chain.hostile.test"):
        reply = query(hostile_server, name, "A")
        assert reply.rcode() == dns.rcode.NOERROR
        assert reply.answer, name
        assert reply.answer[0].rdtype == dns.rdatatype.A, name
    assert query(hostile_server, "q7.wild.hostile.test", "A").answer


def test_shares_worst_rate_and_verdicts() -> None:
    """Each rate over the faster static A run; the worst is the slowest other than static A;
    verdicts."""
    static = hostile.RateRow("static A", _result(qps=90_000.0))
    again = hostile.RateRow("static A (again, after)", _result(qps=100_000.0))
    slow = hostile.RateRow("alias chain", _result(qps=20_000.0))
    fast = hostile.RateRow("big TXT", _result(qps=60_000.0))
    rows = [static, fast, slow, again]
    baseline = hostile.static_baseline(rows)
    assert baseline is again.result
    for row in rows:
        row.share = hostile.share_of(row.result, baseline)
    assert (static.share, slow.share) == (0.9, 0.2)
    assert hostile.worst_rate(rows) is slow
    assert hostile.worst_rate([static, again]) is None
    assert hostile.static_baseline([slow]) is None
    assert hostile.share_of(slow.result, _result()) is None
    assert hostile.verdict(0.2, 0.25, at_least=True) == "misses the target"
    assert hostile.verdict(0.25, 0.25, at_least=True) == "meets the target"
    assert hostile.verdict(1.9, 2.0, at_least=False) == "meets the target"
    assert hostile.verdict(math.inf, 2.0, at_least=False) == "misses the target"
    assert hostile.verdict(None, 2.0, at_least=False) == "not measured"


def test_p99_ratios_count_lost_queries_and_use_the_lower_idle_run() -> None:
    """Over 1 % lost is a p99 at the timeout; the baseline is the lower idle p99; the worst flood
    leaves out the idle and control rows."""
    assert hostile.p99_counting_lost(_result(sent=1000, lost=10, p99_latency=0.001)) == 0.001
    assert hostile.p99_counting_lost(_result(sent=1000, lost=11, p99_latency=0.001)) == math.inf
    rows = [
        hostile.FloodRow("idle (before the floods)", _result(sent=10, p99_latency=0.0004)),
        hostile.FloodRow("control: busy loop", _result(sent=10, p99_latency=0.009)),
        hostile.FloodRow("TCP: idle connections", _result(sent=10, p99_latency=0.0006)),
        hostile.FloodRow("admin: GET", _result(sent=10, p99_latency=0.002)),
        hostile.FloodRow("idle (after the floods)", _result(sent=10, p99_latency=0.0005)),
    ]
    idle = hostile.idle_p99(rows)
    assert idle == 0.0004
    for row in rows:
        row.ratio = hostile.p99_ratio(row.result, idle)
    assert rows[2].ratio == pytest.approx(1.5)
    assert hostile.worst_flood(rows) is rows[3]
    assert hostile.p99_ratio(_result(sent=10), idle) is None
    assert hostile.p99_ratio(rows[3].result, None) is None


def test_amplification_ratio_and_the_worst_question() -> None:
    """Reply bytes over query bytes; ties go to the larger reply, then to a type other than ANY."""
    assert hostile.amplification_ratio(45, 3937) == pytest.approx(87.49, abs=0.01)
    with pytest.raises(ValueError, match="header"):
        hostile.amplification_ratio(0, 10)
    txt = hostile.Amplification("big.example.test.", "TXT", 4096, 45, 780)
    any_ = hostile.Amplification("big.example.test.", "ANY", 4096, 45, 780)
    small = hostile.Amplification("mv.example.test.", "A", None, 33, 301)
    assert hostile.worst_amplification([any_, small, txt]) is txt
    assert hostile.worst_amplification([]) is None


def test_the_sweep_asks_every_name_for_every_type_with_and_without_edns() -> None:
    """The bundled zones' names (a wildcard as amp.<parent>), the listed types and the types each
    name holds, each with EDNS 4096 and without."""
    names = dict(hostile.sweep_names(authoritative.HERE.parent / "zones"))
    assert names["big.example.test."] == {"TXT"}
    assert "amp.apps.example.test." in names
    questions = set(hostile.sweep_questions([("x.test.", {"HTTPS", "TYPE999"})]))
    assert ("x.test.", "HTTPS", None) in questions
    assert ("x.test.", "ANY", 4096) in questions
    assert len(questions) == 2 * (len(hostile.AMPLIFICATION_TYPES) + 1)


def test_the_guarded_run_needs_the_flag() -> None:
    """No --amplification-guard: not run; with it, all clients guarded, rate limit off if it can."""
    assert hostile.guard_arguments("usage: r53emu serve [--zones PATH]") is None
    assert hostile.guard_arguments("--amplification-guard {off,all}") == [
        "--amplification-guard", "all",
    ]  # fmt: skip
    assert hostile.guard_arguments("--amplification-guard WHO --rate-limit N") == [
        "--amplification-guard", "all", "--rate-limit", "0",
    ]  # fmt: skip


def test_python_client_counts_read_as_dnsperf_figures() -> None:
    """The TCP client's counts over its measured time become a DnsperfResult."""
    counts = {
        "measured_replies": 1500, "measured_seconds": 3.0, "lost": 2, "replies": 1600,
        "reply_bytes": 1600 * 58935, "latency_avg": 0.06, "latency_p99": 0.2,
        "latency_max": 0.3, "rcodes": {"NOERROR": 1600},
    }  # fmt: skip
    result = hostile.client_result(counts, 35)
    assert (result.sent, result.completed, result.lost, result.qps) == (1502, 1500, 2, 500.0)
    assert (result.avg_response_bytes, result.avg_request_bytes) == (58935, 35)
    assert result.p99_latency == 0.2
    assert hostile.client_result({}, 35).qps == 0.0
    assert hostile.client_note(counts | {"measured_cpu_seconds": 1.5}) == (
        "Python client at 50% of a core"
    )
    assert hostile.client_note({"error": "no counts"}) == "client failed: no counts"


def _report() -> hostile.HostileReport:
    report = hostile.HostileReport(1000, 3, tcp_cap=1024, admin_cap=128)
    report.rates = [
        hostile.RateRow("static A", _result(sent=9, qps=100_000.0, avg_response_bytes=187), 1.0),
        hostile.RateRow("alias chain of 32, weighted", _result(sent=9, qps=500.0), 0.005),
    ]
    report.floods = [
        hostile.FloodRow("idle (before the floods)", _result(sent=9, p99_latency=0.001), 1.0),
        hostile.FloodRow(
            "TCP: idle connections, 2x the cap",
            _result(sent=100, lost=50, p99_latency=0.001),
            math.inf,
            {"kind": "tcp-idle", "opened": 3000, "closed_by_server": 2000, "measured_seconds": 3},
        ),
    ]
    sample = hostile.Amplification("big.hostile.test.", "TXT", 4096, 45, 3937)
    guarded = hostile.Amplification("bench.test.", "SOA", None, 28, 252)
    report.amplification = [
        hostile.AmplificationRow("generated zones, loopback", sample, 10, 0, [sample]),
        hostile.AmplificationRow("generated zones, --amplification-guard all", guarded, 10, 1),
        hostile.AmplificationRow("bundled zones/, --amplification-guard all", note="not run: x"),
    ]
    return report


def test_hostile_report_prints_each_row_and_each_verdict() -> None:
    """Three parts, each row, and a verdict per target; a lost load reads as a timeout."""
    text = hostile.format_report(_report())
    assert (
        "worst: alias chain of 32, weighted, 500 q/s = 0.5% of static A's 100,000 (the faster "
        "run): misses the target"
    ) in text
    assert "worst: TCP: idle connections, 2x the cap, inf idle: misses the target" in text
    assert "timeout" in text
    assert "3,000 connections opened, 2,000 closed by the server" in text
    (loopback,) = [line for line in text.splitlines() if line.startswith("generated zones, loop")]
    assert loopback.split()[-6:] == ["big.hostile.test.", "TXT", "4096", "45", "3937", "87.5"]
    assert "meets the target" not in loopback  # no target without the guard
    (guarded,) = [line for line in text.splitlines() if line.startswith("generated zones, --")]
    assert guarded.endswith("(1 of 10 unanswered)  meets the target")
    assert "bundled zones/, --amplification-guard all    not run: x" in text


def test_hostile_json_has_every_row_and_no_infinity() -> None:
    """--json gets the rows, the worst of each part with its verdict, and "inf" for infinity."""
    figures = hostile.to_json(_report())
    text = json.dumps(figures, allow_nan=False)
    assert json.loads(text)["worst_rate"]["verdict"] == "misses the target"
    assert figures["floods"][1]["ratio_to_idle"] == "inf"
    assert figures["worst_flood"]["load"] == "TCP: idle connections, 2x the cap"
    assert figures["amplification"][0]["worst"]["ratio"] == pytest.approx(87.49, abs=0.01)
    assert figures["amplification"][1]["verdict"] == "meets the target"
    assert "verdict" not in figures["amplification"][0]
    assert figures["targets"]["amplification_with_guard_at_most"] == 10.0


def test_the_python_tcp_client_reads_whole_any_replies(hostile_server: tuple[str, int]) -> None:
    """The TCP client (dnsperf loses 59 kB replies) reads every ANY reply whole, for a second."""
    packet = hostile.wire_query("many.hostile.test.", "ANY")
    spec = {
        "kind": "tcp", "port": hostile_server[1], "connections": 2, "outstanding": 2,
        "packets": [packet.hex()], "seconds": 20, "background": False,
    }  # fmt: skip
    with hostile.FloodProcess(spec) as client:
        time.sleep(1.0)  # what the client measures
    assert "error" not in client.stats, client.stats
    result = hostile.client_result(client.stats, len(packet))
    assert result.completed > 0
    assert result.avg_response_bytes > 50_000
    assert client.stats["truncated"] == 0
    assert result.rcodes == {"NOERROR": client.stats["replies"]}


def test_an_idle_flood_reopens_what_the_server_closes(tmp_path: Path) -> None:
    """Idle connections against a server that closes each at once are opened again and counted."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)
        spec = {
            "kind": "tcp-idle",
            "port": listener.getsockname()[1],
            "connections": 3,
            "seconds": 20,
        }
        closer_done = threading.Event()

        def closer() -> None:
            while not closer_done.is_set():
                with contextlib.suppress(OSError):
                    listener.accept()[0].close()

        thread = threading.Thread(target=closer, daemon=True)
        thread.start()
        with hostile.FloodProcess(spec) as flood:
            time.sleep(0.5)
        closer_done.set()
        thread.join(timeout=10)
    assert flood.stats["opened"] > 3
    assert flood.stats["closed_by_server"] > 0


def test_settle_waits_for_quick_answers(hostile_server: tuple[str, int]) -> None:
    """An idle server is settled at once; a port where nothing answers is not, by the timeout."""
    assert hostile.settle(hostile_server[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        began = time.monotonic()
        assert not hostile.settle(silent.getsockname()[1], timeout=0.5)
    assert time.monotonic() - began < 2.0
