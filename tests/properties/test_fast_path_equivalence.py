"""The fast path answers what the slow path answers, over generated zones (issue 7, point 3).

Hypothesis draws a whole zones directory (tests/support/zonegen_strategies.py: every routing policy,
aliases, wildcards, delegations, health checks, a CIDR collection, client locations), loads it
with the real loader, and draws a sequence of queries and health changes: names that exist,
below them, that do not, in no zone, in mixed case; many types and classes; with and without
EDNS (payloads below 512 to 65535, DO, unknown flags and options, version 1), ECS from located
subnets and elsewhere at every prefix, RD/CD/AD/Z, a few opcodes and packet shapes, several
client addresses, UDP and TCP. Questions repeat with other envelopes, and each query is sent
again, so the reply cache answers most of them.

A fast handler (`cache_replies=True`) and a slow one (`cache_replies=False`) get the same
sequence on the same catalog, locator and health views. The slow handler is the reference: its
random generator is an `ExhaustiveRandom`, which walks every outcome of every draw the lookup
makes (weighted and multivalue picks), so each query's *possible* slow replies are known
exactly. Every fast reply must be one of them, compared on ID, the whole header word (QR,
opcode, AA, TC, RD, RA, Z, AD, CD, rcode), the extended rcode, EDNS version, flags and payload,
the options (ECS with its scope), the question as echoed, and each section as a multiset of
records (owner case and each record's own TTL included; order free, since values and additional
records come in random order), and a UDP reply must fit the client's size. A query whose answer
involves no draw has exactly one possible reply, so for it the comparison is plain equality.
Where draws happen it is as strict as the randomness allows: each fast reply must be a possible
one, and when at most `MAX_COUNTED` replies are possible the query is sent `DRAWS` more times
and each reply must come about as often as its exact probability (known from the enumeration)
says, so a fast path that favours or never gives an outcome fails too. No query may log an
internal error on either path.
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
import logging
import math
import random
import struct
import tempfile
from collections import Counter
from collections.abc import Iterator, MutableSequence, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import dns.edns
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from r53emu.geo.locator import Locator
from r53emu.health.snapshot import HealthSnapshot, initial_statuses
from r53emu.model.catalog import Catalog
from r53emu.server.handler import QueryHandler
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import write_zones
from tests.support.zonegen_strategies import ZoneDirectory, zone_directories

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

T = TypeVar("T")

COMMON_TYPES = ("A", "A", "AAAA", "TXT", "ANY", "CNAME", "MX", "NS", "SOA")
OTHER_TYPES = ("SRV", "CAA", "PTR", "DS", "HTTPS", "NULL", "TYPE666", "AXFR", "IXFR")
CLASSES = ("IN",) * 16 + ("ANY", "ANY", "CH", "HS", "NONE")
CLIENTS = (
    "127.0.0.1",
    "::1",
    "198.51.100.7",
    "198.51.100.70",
    "203.0.113.9",
    "2001:db8:1::5",
    "::ffff:198.51.100.7",
    "81.169.145.1",  # the built-in data places it in DE (only ever data: no packet is sent)
)
# ECS addresses outside the generated subnets: unlocated ones, some the built-in data places,
# and an IPv4-mapped IPv6 address.
ELSEWHERE = (
    "192.0.2.77",
    "127.0.0.1",
    "81.169.145.9",
    "8.8.8.8",
    "1.0.0.1",
    "2a01:238::1",
    "2001:db8:ffff::1",
    "::ffff:198.51.100.9",
)
PAYLOADS = (0, 100, 511, 512, 1232, 1400, 4096, 8192, 65535)
SHAPES = ("plain", "plain", "plain", "plain", "trailing-bytes", "extra-record")
HEADER_FLAGS = (dns.flags.RD, dns.flags.CD, dns.flags.AD, 0x0040)  # 0x0040: the Z bit
UNKNOWN_OPTION = dns.edns.OptionType.make(65001)
UDP_PLAIN_LIMIT, EDNS_PAYLOAD = 512, 4096
RANDOM_POLICIES = ("weighted", "multivalue")
MAX_RUNS = 5000  # slow-path runs to enumerate one query's outcomes (the zones stay far below)
DRAWS = 200  # fast replies to a drawn question, to compare how often each reply comes
MAX_COUNTED = 8  # more possible replies than this are too rare each to count in DRAWS


# --- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    name: str  # as sent, case included
    rdtype: dns.rdatatype.RdataType
    rdclass: dns.rdataclass.RdataClass


@dataclass(frozen=True)
class Edns:
    version: int
    payload: int
    dnssec_ok: bool
    unknown_flags: int  # EDNS flag bits no RFC defines: the reply must clear them
    client_subnet: tuple[str, int] | None  # address, source prefix
    unknown_option: bool


@dataclass(frozen=True)
class Envelope:
    """Everything of a query but its question."""

    ident: int
    flags: int
    opcode: dns.opcode.Opcode
    edns: Edns | None
    client: str
    transport: str
    shape: str  # "plain", "trailing-bytes" after the message, or an "extra-record" before OPT


@dataclass(frozen=True)
class Ask:
    """Send one query `repeats` times to the fast handler (the repeats hit its cache)."""

    question: Question
    envelope: Envelope
    repeats: int

    def wire(self) -> bytes:
        question, envelope = self.question, self.envelope
        message = dns.message.make_query(question.name, question.rdtype, question.rdclass)
        message.id = envelope.ident
        message.flags = envelope.flags
        message.set_opcode(envelope.opcode)
        edns = envelope.edns
        if edns is not None:
            options: list[dns.edns.Option] = []
            if edns.client_subnet is not None:
                options.append(dns.edns.ECSOption(*edns.client_subnet))
            if edns.unknown_option:
                options.append(dns.edns.GenericOption(UNKNOWN_OPTION, b"r53emu"))
            ednsflags = (dns.flags.DO if edns.dnssec_ok else 0) | edns.unknown_flags
            message.use_edns(edns.version, ednsflags, edns.payload, options=options)
        if envelope.shape == "extra-record":
            message.additional.append(dns.rrset.from_text("x.example.", 0, "IN", "A", "192.0.2.1"))
        packet = message.to_wire()
        return packet + b"\0\1junk" if envelope.shape == "trailing-bytes" else packet

    def udp_limit(self) -> int:
        """The largest UDP reply the query allows (semantics §2.8)."""
        edns = self.envelope.edns
        if edns is None:
            return UDP_PLAIN_LIMIT
        return max(UDP_PLAIN_LIMIT, min(edns.payload, EDNS_PAYLOAD))


@dataclass(frozen=True)
class HealthChange:
    """Give both handlers a new health view (every check's status)."""

    statuses: tuple[tuple[str, bool], ...]


Step = Ask | HealthChange


@dataclass(frozen=True)
class Scenario:
    zones: ZoneDirectory
    seed: int  # the fast handler's random generator
    steps: tuple[Step, ...]


def mixed_case(name: str, flips: Sequence[bool]) -> str:
    return "".join(c.upper() if flips[i % len(flips)] else c for i, c in enumerate(name))


def question_of(
    name_and_type: tuple[str, str], flips: Sequence[bool], rdclass: dns.rdataclass.RdataClass
) -> Question:
    name, rdtype = name_and_type
    return Question(mixed_case(name, flips), dns.rdatatype.from_text(rdtype), rdclass)


def questions(zones: ZoneDirectory) -> st.SearchStrategy[Question]:
    """The name and type of a group drawn at random (weighted, multivalue), of a routed group,
    of any group, or any name with any type."""
    any_type = st.one_of(st.sampled_from(COMMON_TYPES), st.sampled_from(OTHER_TYPES))
    groups = [(owner, rtype) for owner, rtype, _ in zones.groups]
    routed = [(owner, rtype) for owner, rtype, policy in zones.groups if policy != "simple"]
    drawn = [(o, rtype) for o, rtype, policy in zones.groups if policy in RANDOM_POLICIES]
    name_and_type = st.one_of(
        st.sampled_from(drawn or routed or groups),
        st.sampled_from(routed or groups),
        st.sampled_from(groups),
        st.tuples(st.sampled_from(zones.names), any_type),
    )
    return st.builds(
        question_of,
        name_and_type,
        st.lists(st.booleans(), min_size=1, max_size=4),
        st.sampled_from(CLASSES).map(dns.rdataclass.from_text),
    )


@st.composite
def client_subnets(draw: st.DrawFn, located: Sequence[str]) -> tuple[str, int]:
    """An ECS address and source prefix: inside a located subnet or elsewhere, any prefix."""
    if draw(st.booleans()) and located:
        network = ipaddress.ip_network(draw(st.sampled_from(located)))
        offset = draw(st.integers(0, min(network.num_addresses - 1, 2**16)))
        address = network.network_address + offset
    else:
        address = ipaddress.ip_address(draw(st.sampled_from(ELSEWHERE)))
    usual = (0, 20, 24, 26, 32) if address.version == 4 else (0, 32, 48, 56, 64, 120, 128)
    prefix = draw(st.one_of(st.sampled_from(usual), st.integers(0, address.max_prefixlen)))
    return str(address), prefix


def edns_options(located: Sequence[str]) -> st.SearchStrategy[Edns]:
    return st.builds(
        Edns,
        version=st.sampled_from((0,) * 19 + (1,)),
        payload=st.sampled_from(PAYLOADS),
        dnssec_ok=st.booleans(),
        unknown_flags=st.sampled_from((0, 0, 0, 0x4000, 0x0001)),
        client_subnet=st.one_of(st.none(), client_subnets(located)),
        unknown_option=st.booleans(),
    )


def envelopes(located: Sequence[str]) -> st.SearchStrategy[Envelope]:
    return st.builds(
        Envelope,
        ident=st.integers(0, 0xFFFF),
        flags=st.lists(st.sampled_from(HEADER_FLAGS), unique=True).map(sum),
        opcode=st.sampled_from((dns.opcode.QUERY,) * 58 + (dns.opcode.NOTIFY, dns.opcode.UPDATE)),
        edns=st.one_of(st.none(), edns_options(located), edns_options(located)),
        client=st.sampled_from(CLIENTS),
        transport=st.sampled_from(("udp", "tcp")),
        shape=st.sampled_from(SHAPES),
    )


def health_changes(check_ids: Sequence[str]) -> st.SearchStrategy[HealthChange]:
    statuses = st.lists(st.booleans(), min_size=len(check_ids), max_size=len(check_ids))
    return statuses.map(lambda values: HealthChange(tuple(zip(check_ids, values, strict=True))))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A zones directory and a sequence of queries over a small pool of questions, so the same
    question comes back in other envelopes (other IDs, flags, EDNS, clients, transports); after
    each health change the whole sequence is asked again, so cached answers meet new health."""
    zones = draw(zone_directories())
    pool = draw(st.lists(questions(zones), min_size=1, max_size=6))
    ask = st.builds(Ask, st.sampled_from(pool), envelopes(zones.subnets), st.integers(1, 3))
    asks = draw(st.lists(ask, min_size=1, max_size=10))
    changes = draw(st.lists(health_changes(zones.check_ids), max_size=3)) if zones.check_ids else []
    steps: list[Step] = list(asks)
    for change in changes:
        steps += [change, *asks]
    return Scenario(zones, draw(st.integers(0, 2**32 - 1)), tuple(steps))


# --- the reference: every reply the slow path can give ------------------------------------------


class ExhaustiveRandom(random.Random):
    """A random generator that walks every outcome of the draws made with it, and knows how
    likely each one is.

    Each draw the lookup makes is a decision with a known number of branches and the chance
    of each: `choice` (one of n, evenly), `choices` with weights (one of the members whose
    weight is not 0, by weight), `sample` (one of the combinations, evenly; the order within is
    random anyway). Replaying a path of decisions reproduces a run; `advance` moves to the next
    path like an odometer, until every combination was taken; `chance` is the probability of
    the path just run. `shuffle` keeps the order, since replies are compared with order-free
    sections. Any other use (a policy that starts drawing differently) is recorded in
    `misuse`, so the test fails saying so rather than enumerating too little.
    """

    def __init__(self) -> None:
        super().__init__(0)
        self._path: list[int] = []
        self._widths: list[int] = []
        self._depth = 0
        self.chance = 1.0
        self.misuse: list[str] = []

    def start(self) -> None:
        """Forget the last query's paths: the next run takes the first branch of every draw."""
        self._path, self._widths, self._depth, self.chance = [], [], 0, 1.0

    def advance(self) -> bool:
        """Check the run just made and move to the next path; False when none is left."""
        if self._depth != len(self._path):
            self.misuse.append(f"a replay made {self._depth} draws, not {len(self._path)}")
        while self._path and self._path[-1] + 1 >= self._widths[-1]:
            self._path.pop()
            self._widths.pop()
        self._depth, self.chance = 0, 1.0
        if not self._path:
            return False
        self._path[-1] += 1
        return True

    def _decide(self, chances: Sequence[float]) -> int:
        """The branch this path takes among branches of the given probabilities."""
        if not chances:
            self.misuse.append("a draw among no choice")
            return 0
        if self._depth == len(self._path):
            self._path.append(0)
            self._widths.append(len(chances))
        elif self._widths[self._depth] != len(chances):
            self.misuse.append("a replayed draw had another number of choices")
        decision = self._path[self._depth]
        self._depth += 1
        self.chance *= chances[decision]
        return decision

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        if not seq:
            raise IndexError("Cannot choose from an empty sequence")
        return seq[self._decide([1 / len(seq)] * len(seq))]

    def choices(
        self,
        population: SupportsLenAndGetItem[T],
        weights: Sequence[float | Fraction] | None = None,
        *,
        cum_weights: Sequence[float | Fraction] | None = None,
        k: int = 1,
    ) -> list[T]:
        if cum_weights is not None:
            weights = [high - low for low, high in itertools.pairwise([0, *cum_weights])]
        if weights is None:
            weights = [1.0] * len(population)
        eligible = [i for i, weight in enumerate(weights) if weight > 0]
        total = sum(weights[i] for i in eligible)
        chances = [float(weights[i] / total) for i in eligible]
        return [population[eligible[self._decide(chances)]] for _ in range(k)]

    def sample(self, population: Sequence[T], k: int, *, counts: Any = None) -> list[T]:
        if counts is not None:
            self.misuse.append("sample() with counts")
        combinations = list(itertools.combinations(range(len(population)), k))
        chosen = combinations[self._decide([1 / len(combinations)] * len(combinations))]
        return [population[i] for i in chosen]

    def shuffle(self, x: MutableSequence[Any]) -> None:
        """Keep the order: sections are compared as multisets, so all orders are one outcome."""

    def random(self) -> float:
        self.misuse.append("random() (a continuous draw cannot be enumerated)")
        return 0.0

    def getrandbits(self, k: int) -> int:
        self.misuse.append(f"getrandbits({k})")
        return 0

    def _randbelow(self, n: int) -> int:
        self.misuse.append(f"_randbelow({n}) (through randrange, randint or the like)")
        return 0


@dataclass
class SlowReply:
    """One reply the slow path can give, and how likely it is."""

    reply: bytes | None
    probability: float


Summary = tuple[object, ...] | None


@functools.lru_cache(maxsize=4096)  # parsing costs ~1 ms; the same bytes come back often
def summary(reply: bytes | None) -> Summary:
    """What a client sees in a reply, with section order left out (values, additional records
    and multivalue record sets come in random order)."""
    if reply is None:
        return None
    message = dns.message.from_wire(reply, one_rr_per_rrset=True)
    ident, header = struct.unpack_from("!HH", reply)

    def records(section: list[dns.rrset.RRset]) -> tuple[str, ...]:
        return tuple(sorted(rrset.to_text() for rrset in section))

    return (
        ident,
        header,  # QR, opcode, AA, TC, RD, RA, Z, AD, CD and the low rcode bits
        message.rcode(),  # with the extended bits from OPT
        tuple((q.name.to_text(), q.rdtype, q.rdclass) for q in message.question),
        message.edns,
        message.ednsflags,
        message.payload,
        tuple(sorted((option.otype, option.to_wire()) for option in message.options)),
        records(message.answer),
        records(message.authority),
        records(message.additional),
    )


Possible = dict[Summary, SlowReply]


def possible_replies(slow: QueryHandler, ask: Ask) -> Possible:
    """Every reply the slow handler can give to `ask`, by summary, with its probability."""
    explorer = slow.rng
    assert isinstance(explorer, ExhaustiveRandom)
    explorer.start()
    packet, replies = ask.wire(), dict[Summary, SlowReply]()
    for _ in range(MAX_RUNS):
        reply = slow.handle(packet, ask.envelope.client, ask.envelope.transport)
        replies.setdefault(summary(reply), SlowReply(reply, 0.0)).probability += explorer.chance
        if not explorer.advance():
            assert not explorer.misuse, (
                f"the slow path drew in a way not enumerated: {explorer.misuse}"
            )
            return replies
    raise AssertionError(f"more than {MAX_RUNS} outcomes for one query: make the zones smaller")


def outcome_of(possible: Possible) -> str:
    """How a query was answered (for the statistics of what the examples covered)."""
    reply = next(iter(possible.values())).reply
    if reply is None:
        return "dropped"
    message = dns.message.from_wire(reply)
    if message.flags & dns.flags.TC:
        return "truncated"
    if message.answer:
        return "answer"
    kind = "referral" if message.authority and not message.flags & dns.flags.AA else "empty"
    return f"{dns.rcode.to_text(message.rcode())} {kind}"


def text_of(packet: bytes | None) -> str:
    if packet is None:
        return "(no reply: dropped)"
    try:
        return dns.message.from_wire(packet).to_text()
    except Exception as exc:  # a broken reply is shown as bytes
        return f"unreadable ({exc}): {packet.hex()}"


def check_reply(ask: Ask, attempt: int, reply: bytes | None, possible: Possible) -> None:
    """The fast reply is one the slow path can give, and fits the client's UDP size."""
    envelope = ask.envelope
    if reply is not None and envelope.transport == "udp":
        assert len(reply) <= ask.udp_limit(), f"{len(reply)}-byte UDP reply:\n{text_of(reply)}"
    if summary(reply) in possible:
        return
    shown = "\n--- or\n".join(text_of(slow.reply) for slow in list(possible.values())[:3])
    raise AssertionError(
        f"the fast path's reply #{attempt + 1} differs from every reply of the slow path "
        f"({len(possible)} possible)\n"
        f"query from {envelope.client} over {envelope.transport}:\n{text_of(ask.wire())}\n"
        f"--- fast reply:\n{text_of(reply)}\n--- slow replies:\n{shown}"
    )


def check_frequencies(fast: QueryHandler, ask: Ask, possible: Possible) -> None:
    """A drawn answer: asked `DRAWS` times, the fast path gives each possible reply about as
    often as the slow path would (within 6 standard deviations, plus 3 for the rare ones), so
    no outcome is favoured or left out."""
    packet, envelope = ask.wire(), ask.envelope
    counts: Counter[Summary] = Counter()
    for attempt in range(DRAWS):
        reply = fast.handle(packet, envelope.client, envelope.transport)
        check_reply(ask, attempt, reply, possible)
        counts[summary(reply)] += 1
    for key, slow in possible.items():
        expected = DRAWS * slow.probability
        spread = 6 * math.sqrt(expected * (1 - slow.probability)) + 3
        assert abs(counts[key] - expected) <= spread, (
            f"the fast path gave this reply {counts[key]} times in {DRAWS}, the slow path "
            f"would about {expected:.1f} times (p = {slow.probability:.4f})\n"
            f"query from {envelope.client} over {envelope.transport}:\n{text_of(packet)}\n"
            f"--- reply:\n{text_of(slow.reply)}"
        )


# --- handlers and the property ------------------------------------------------------------------


def handler(catalog: Catalog, rng: random.Random, cache_replies: bool) -> QueryHandler:
    built = QueryHandler(catalog, rng, cache_replies=cache_replies)
    built.locator = Locator(catalog.client_locations, None, None)
    built.health = HealthSnapshot(initial_statuses(catalog.health_checks))
    return built


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def internal_errors() -> Iterator[list[logging.LogRecord]]:
    """The errors r53emu logs meanwhile (an internal error becomes a logged SERVFAIL)."""
    collector = _Collect()
    logger = logging.getLogger("r53emu")
    logger.addHandler(collector)
    try:
        yield collector.records
    finally:
        logger.removeHandler(collector)


def run(scenario: Scenario) -> None:
    """Play the scenario on a fast and a slow handler; raise at the first disagreement."""
    with tempfile.TemporaryDirectory() as directory:
        catalog = load_catalog(scenario.zones.write(Path(directory)))
    fast = handler(catalog, random.Random(scenario.seed), cache_replies=True)
    slow = handler(catalog, ExhaustiveRandom(), cache_replies=False)
    counted: set[tuple[bytes, str, str, int]] = set()  # frequencies checked per health view
    view = 0
    with internal_errors() as errors:
        for number, step in enumerate(scenario.steps):
            if isinstance(step, HealthChange):
                fast.health = slow.health = HealthSnapshot(dict(step.statuses))
                view += 1
                continue
            note(f"step {number}: {step}")
            possible = possible_replies(slow, step)
            event("drawn at random" if len(possible) > 1 else "one possible reply")
            event(outcome_of(possible))
            for attempt in range(step.repeats):
                reply = fast.handle(step.wire(), step.envelope.client, step.envelope.transport)
                check_reply(step, attempt, reply, possible)
            asked = (step.wire(), step.envelope.client, step.envelope.transport, view)
            if 1 < len(possible) <= MAX_COUNTED and asked not in counted:
                counted.add(asked)
                check_frequencies(fast, step, possible)
    assert not errors, "internal errors: " + "; ".join(e.getMessage() for e in errors)


@settings(
    max_examples=200,  # about 10-20 s on the 2-core machine
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario=scenarios())
def test_fast_and_slow_paths_agree_on_generated_zones(scenario: Scenario) -> None:
    """For generated zones and queries, every fast-path reply (cached or not, before and after
    health changes) is a reply the slow path can give: same ID, flags, rcode, EDNS, ECS echo,
    question and sections."""
    note(scenario.zones.text())
    run(scenario)


# --- the reference itself ------------------------------------------------------------------------

A, IN = dns.rdatatype.A, dns.rdataclass.IN
ROUTED_ZONE = """\
    health_checks:
      down: {type: RECOVERY_CONTROL, routing_control_state: "Off"}
    zone: routed.test
    record_sets:
      - {name: w, type: A, ttl: 60, records: [192.0.2.1], set_identifier: heavy,
         weighted_routing_policy: {weight: 255}}
      - {name: w, type: A, ttl: 60, records: [192.0.2.2], set_identifier: light,
         weighted_routing_policy: {weight: 1}}
      - {name: w, type: A, ttl: 60, records: [192.0.2.3], set_identifier: off,
         weighted_routing_policy: {weight: 0}}
      - {name: w, type: A, ttl: 60, records: [192.0.2.4], set_identifier: failing,
         weighted_routing_policy: {weight: 9}, health_check_id: down}
"""


def answers(possible: Possible) -> dict[tuple[str, ...], float]:
    """The values each possible reply answers with, and their probabilities."""
    found: dict[tuple[str, ...], float] = {}
    for slow in possible.values():
        assert slow.reply is not None
        message = dns.message.from_wire(slow.reply)
        values = tuple(sorted(rdata.to_text() for rrset in message.answer for rdata in rrset))
        found[values] = found.get(values, 0.0) + slow.probability
    return found


def test_the_reference_knows_every_weighted_and_multivalue_answer(tmp_path: Path) -> None:
    """The slow path answers a weighted name with each healthy non-zero member in proportion
    to its weight (however light) and never with a weight-0 or failing one; a multivalue name
    with 9 healthy record sets with each of its 9 choices of 8, evenly."""
    multivalue = "".join(
        f"      - {{name: mv, type: A, ttl: 60, records: [192.0.2.{10 + n}], set_identifier: m{n},"
        " multivalue_answer_routing_policy: true}\n"
        for n in range(9)
    )
    catalog = load_catalog(write_zones(tmp_path, {"routed.yaml": ROUTED_ZONE + multivalue}))
    slow = handler(catalog, ExhaustiveRandom(), cache_replies=False)
    envelope = Envelope(7, dns.flags.RD, dns.opcode.QUERY, None, "127.0.0.1", "udp", "plain")
    weighted = possible_replies(slow, Ask(Question("w.routed.test.", A, IN), envelope, 1))
    assert answers(weighted) == pytest.approx({("192.0.2.1",): 255 / 256, ("192.0.2.2",): 1 / 256})
    multivalue_replies = possible_replies(
        slow, Ask(Question("mv.routed.test.", A, IN), envelope, 1)
    )
    everyone = {f"192.0.2.{10 + n}" for n in range(9)}
    expected = {tuple(sorted(everyone - {left_out})): 1 / 9 for left_out in everyone}
    assert answers(multivalue_replies) == pytest.approx(expected)
