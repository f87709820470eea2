"""The authoritative-speed benchmark's tools: zone generator, dnsperf parsing, ceiling, harness.

Not a benchmark run: these pin that benchmarks/authoritative.py measures what it says it
measures (zones r53emu loads, query mixes that reach the routing branch they are named after,
dnsperf figures read right), in a few seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dns.edns
import dns.message
import dns.rcode
import pytest

from benchmarks import authoritative, zonegen
from benchmarks.authoritative import Mix, parse_dnsperf, percentile
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
