"""Weighted and multivalue answers follow their distributions on the wire (semantics §3.2, §3.7),
and `seed` makes a server's random choices reproducible (issue 4, item 4).

10,000 UDP queries go to a seeded server through one connected socket; a chi-square
goodness-of-fit statistic is computed here and compared with the critical value for p = 0.001.
The seed makes each run identical (never flaky), while the statistic still fails for a biased
implementation. Replies are decoded by `answer_addresses`, a minimal reader of the answer
section checked against dnspython's full parse: dnspython takes ~0.8 ms per message, which
would take 20,000 replies past this file's time budget.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.rcode
import pytest

from r53emu.app import ServerConfig
from r53emu.testing.background import BackgroundServer
from tests.support.helpers import query, write_zones

Address = tuple[str, int]

ZONE = "dist.test"
SEED = 4242
QUERIES = 10_000

# Upper-tail critical values of the chi-square distribution at p = 0.001, by degrees of
# freedom (standard tables, e.g. NIST/SEMATECH e-Handbook §1.3.6.7.4).
CHI_SQUARE_CRITICAL_P001 = {1: 10.828, 2: 13.816, 11: 31.264}

WEIGHTS = {"192.0.2.1": 1, "192.0.2.2": 2, "192.0.2.3": 7}
MULTIVALUE = [f"192.0.2.{100 + i}" for i in range(1, 13)]
PICKED = 8  # multivalue answers at most 8 records (§3.7)


def _zone() -> str:
    lines = [f"zone: {ZONE}", "record_sets:"]
    for index, (value, weight) in enumerate(WEIGHTS.items()):
        lines.append(
            f"  - {{name: weighted, type: A, ttl: 60, records: [{value}], set_identifier: "
            f"w{index}, weighted_routing_policy: {{weight: {weight}}}}}"
        )
    for index, value in enumerate(MULTIVALUE):
        lines.append(
            f"  - {{name: multi, type: A, ttl: 60, records: [{value}], set_identifier: "
            f"m{index}, multivalue_answer_routing_policy: true}}"
        )
    # The guide's example (§3.2): weights 10/20/20 with the third unhealthy -> 1/3 and 2/3.
    for index, (weight, check) in enumerate([(10, ""), (20, ""), (20, ", health_check_id: off")]):
        lines.append(
            f"  - {{name: guide, type: A, ttl: 60, records: [192.0.2.{11 + index}], "
            f"set_identifier: g{index}, weighted_routing_policy: {{weight: {weight}}}{check}}}"
        )
    lines.append(
        "  - {name: simple, type: A, ttl: 60, records: [192.0.2.51, 192.0.2.52, 192.0.2.53]}"
    )
    return "\n".join(lines) + "\n"


ACCOUNT = """\
health_checks:
  off: {type: RECOVERY_CONTROL, routing_control_state: "Off"}
"""


def _start(directory: Path, seed: int | None) -> BackgroundServer:
    config = ServerConfig(zones=directory, address="127.0.0.1", port=0, seed=seed)
    return BackgroundServer(config).start()


@pytest.fixture(scope="module")
def zones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zones(
        tmp_path_factory.mktemp("distribution") / "zones",
        {"account.yaml": ACCOUNT, "dist.test.yaml": _zone()},
    )


@pytest.fixture(scope="module")
def server(zones: Path) -> Iterator[Address]:
    """A server seeded with SEED on dist.test."""
    background = _start(zones, SEED)
    yield background.address
    background.stop()


def _skip_name(data: bytes, offset: int) -> int:
    """The offset after the domain name at `offset` (labels, ending in a root or a pointer)."""
    while True:
        length = data[offset]
        if length == 0:
            return offset + 1
        if length >= 0xC0:
            return offset + 2
        offset += 1 + length


def answer_addresses(reply: bytes) -> list[str]:
    """The A addresses of a NOERROR reply's answer section, in order (RFC 1035 §4.1)."""
    assert reply[3] & 0x0F == dns.rcode.NOERROR
    question_count, answer_count = struct.unpack_from("!HH", reply, 4)
    assert question_count == 1
    offset = _skip_name(reply, 12) + 4  # QNAME, QTYPE, QCLASS
    addresses = []
    for _ in range(answer_count):
        offset = _skip_name(reply, offset)
        rtype, _rclass, _ttl, length = struct.unpack_from("!HHIH", reply, offset)
        offset += 10
        assert rtype == 1, "only A records expected"
        assert length == 4
        addresses.append(str(ipaddress.IPv4Address(reply[offset : offset + length])))
        offset += length
    return addresses


def sample(address: Address, name: str, count: int) -> list[list[str]]:
    """Ask `name` A `count` times over one UDP socket; each answer's addresses, in order.

    The first replies are also parsed by dnspython, which must read the same addresses.
    """
    request = dns.message.make_query(f"{name}.{ZONE}", "A")
    wire = request.to_wire()
    answers = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.connect(address)
        for index in range(count):
            sock.send(wire)
            reply = sock.recv(65535)
            assert reply[:2] == wire[:2], "reply ID differs from the query's"
            answers.append(answer_addresses(reply))
            if index < 20:
                parsed = dns.message.from_wire(reply)
                assert answers[-1] == [rr.address for rrset in parsed.answer for rr in rrset]
    return answers


def chi_square(observed: Counter[str], expected: dict[str, float]) -> float:
    """Pearson's statistic sum((O - E)^2 / E) over the categories of `expected`."""
    assert set(observed) <= set(expected), f"unexpected answers: {set(observed) - set(expected)}"
    return sum((observed[key] - mean) ** 2 / mean for key, mean in expected.items())


def test_weighted_distribution(server: Address) -> None:
    """Weights 1/2/7 answer in proportion 1:2:7 over 10,000 queries (chi-square, p > 0.001)."""
    answers = sample(server, "weighted", QUERIES)
    assert all(len(answer) == 1 for answer in answers), "weighted answers one record"
    observed = Counter(answer[0] for answer in answers)
    total = sum(WEIGHTS.values())
    expected = {value: QUERIES * weight / total for value, weight in WEIGHTS.items()}
    statistic = chi_square(observed, expected)
    assert statistic < CHI_SQUARE_CRITICAL_P001[len(WEIGHTS) - 1], (statistic, observed)


def test_weighted_guide_example_unhealthy_record_is_left_out(server: Address) -> None:
    """Weights 10/20/20 with the third unhealthy answer 1/3 and 2/3 (§3.2 guide example)."""
    count = 3_000
    answers = sample(server, "guide", count)
    observed = Counter(answer[0] for answer in answers)
    expected = {"192.0.2.11": count / 3, "192.0.2.12": count * 2 / 3}
    statistic = chi_square(observed, expected)
    assert statistic < CHI_SQUARE_CRITICAL_P001[1], (statistic, observed)


def test_multivalue_distribution(server: Address) -> None:
    """12 healthy multivalue records: each answer holds 8 distinct ones, every record appears
    in 8/12 of 10,000 answers and leads in 1/12 of them (chi-square, p > 0.001)."""
    answers = sample(server, "multi", QUERIES)
    for answer in answers:
        assert len(answer) == PICKED
        assert len(set(answer)) == PICKED
    n = len(MULTIVALUE)
    # Appearances: each answer is a uniform 8-subset, so an indicator has variance p(1 - p)
    # and the 12 counts always sum to 8 per answer (negatively correlated). The counts'
    # covariance is N p (1 - p) n / (n - 1) on the sum-zero subspace, so dividing the squared
    # deviations by that (not by E) gives a chi-square statistic with n - 1 degrees of freedom.
    appearances = Counter(value for answer in answers for value in answer)
    p = PICKED / n
    variance = QUERIES * p * (1 - p) * n / (n - 1)
    assert set(appearances) == set(MULTIVALUE)
    appearance_statistic = sum(
        (appearances[value] - QUERIES * p) ** 2 / variance for value in MULTIVALUE
    )
    assert appearance_statistic < CHI_SQUARE_CRITICAL_P001[n - 1], appearances
    # Order: the answer is a random permutation, so the first record is uniform over all 12.
    leaders = Counter(answer[0] for answer in answers)
    leader_statistic = chi_square(leaders, dict.fromkeys(MULTIVALUE, QUERIES / n))
    assert leader_statistic < CHI_SQUARE_CRITICAL_P001[n - 1], leaders


# The same mixed sequence for every server: weighted, multivalue (subset and order) and the
# order of a simple record set's values all draw from the server's random generator.
SEQUENCE = ["weighted", "multi", "simple", "guide"] * 40


def answer_sequence(address: Address) -> list[list[str]]:
    """The answers to SEQUENCE, each as its answer lines in wire order (dnspython)."""
    result = []
    for name in SEQUENCE:
        reply = query(address, f"{name}.{ZONE}", "A")
        assert reply.rcode() == dns.rcode.NOERROR
        assert reply.answer, f"{name} answers"
        result.append([rr.to_text() for rrset in reply.answer for rr in rrset])
    return result


@pytest.fixture(scope="module")
def sequences(zones: Path) -> dict[str, list[list[str]]]:
    """The answer sequence of fresh servers: two seeded 7, one seeded 8, two unseeded."""
    result = {}
    for label, seed in [("7a", 7), ("7b", 7), ("8", 8), ("none a", None), ("none b", None)]:
        background = _start(zones, seed)
        try:
            result[label] = answer_sequence(background.address)
        finally:
            background.stop()
    return result


def test_same_seed_gives_the_same_answers(sequences: dict[str, list[list[str]]]) -> None:
    """Two fresh servers with the same seed answer the same query sequence identically."""
    assert sequences["7a"] == sequences["7b"]


def test_different_seeds_give_different_answers(sequences: dict[str, list[list[str]]]) -> None:
    """Servers with different seeds answer the same query sequence differently."""
    assert sequences["7a"] != sequences["8"]


def test_without_seed_answers_differ_run_to_run(sequences: dict[str, list[list[str]]]) -> None:
    """Two unseeded servers answer differently (160 random draws: equal with ~0 probability)."""
    assert sequences["none a"] != sequences["none b"]
