"""Cached replies say what freshly rendered ones say (hypothesis, over the bundled zones).

For generated questions (every owner name of the bundled zones and names around them, in mixed
case, many types, with and without EDNS, DO, ECS, RD and CD, from several client addresses), a
handler with the reply cache answers each question twice (the second reply comes from the cache
when no random choice made the answer) and a handler without it answers once; both replies must
have the same rcode, flags, EDNS (ECS scope included) and sections (as sets: values of a record
set come in random order). Health changes must reach cached answers at once.
"""

from __future__ import annotations

import random
from collections import Counter
from functools import cache
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from r53emu.geo.locator import Locator
from r53emu.health.snapshot import HealthSnapshot
from r53emu.model import names
from r53emu.model.catalog import Catalog
from r53emu.server.handler import QueryHandler
from r53emu.server.replycache import RANDOM_POLICIES
from r53emu.server.wire import ParsedQuery, parse_query
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import REPO

TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "SRV", "CAA", "PTR", "HTTPS", "ANY"]
SUBNETS = [
    "198.51.100.0/24",
    "203.0.113.7/32",
    "2001:db8::/48",
    "192.0.2.0/24",
    "198.51.100.200/32",
]
CLIENTS = ["127.0.0.1", "198.51.100.7", "203.0.113.9", "2001:db8::5", "192.0.2.44"]


@cache
def catalog() -> Catalog:
    return load_catalog(REPO / "zones")


@cache
def known_names() -> list[str]:
    owners = [
        names.to_text(name)
        for zone in catalog().zones.values()
        for name in zone.nodes
        if names.WILDCARD not in name
    ]
    extra = [f"nope.{names.to_text(zone)}" for zone in catalog().zones]
    extra += ["x.y.apps.example.test.", "deep.sub.example.test.", "www.outside.test.", "."]
    return sorted(owners) + extra


def handler(cache_replies: bool) -> QueryHandler:
    built = QueryHandler(catalog(), random.Random(5), cache_replies=cache_replies)
    built.locator = Locator(catalog().client_locations, None, None)
    return built


def mixed_case(name: str, flips: list[bool]) -> str:
    return "".join(char.upper() if flips[i % len(flips)] else char for i, char in enumerate(name))


questions = st.builds(
    lambda name, flips, rtype, edns, do, subnet, rd, cd, client: (
        mixed_case(name, flips),
        rtype,
        edns,
        do,
        subnet,
        rd,
        cd,
        client,
    ),
    st.sampled_from(known_names()),
    st.lists(st.booleans(), min_size=1, max_size=5),
    st.sampled_from(TYPES),
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(SUBNETS)),
    st.booleans(),
    st.booleans(),
    st.sampled_from(CLIENTS),
)

Question = tuple[str, str, bool, bool, str | None, bool, bool, str]


def wire_query(question: Question) -> bytes:
    name, rtype, edns, do, subnet, rd, cd, _client = question
    options = []
    if edns and subnet is not None:
        address, prefix = subnet.split("/")
        options.append(dns.edns.ECSOption(address, int(prefix)))
    query = dns.message.make_query(
        name,
        rtype,
        use_edns=0 if edns else None,
        want_dnssec=edns and do,
        options=options,
    )
    query.flags = (dns.flags.RD if rd else 0) | (dns.flags.CD if cd else 0)
    return query.to_wire()


def summary(reply_bytes: bytes | None) -> tuple[object, ...]:
    assert reply_bytes is not None
    reply = dns.message.from_wire(reply_bytes)

    def section(rrsets: list[dns.rrset.RRset]) -> frozenset[str]:
        return frozenset(line for rrset in rrsets for line in rrset.to_text().splitlines())

    return (
        reply.id,
        reply.flags,
        reply.rcode(),
        reply.question[0].name.to_text(),  # case included: the question is echoed as sent
        reply.edns,
        reply.ednsflags,
        reply.payload,
        tuple(sorted(option.to_text() for option in reply.options)),
        section(reply.answer),
        section(reply.authority),
        section(reply.additional),
        [rrset.name.to_text() for rrset in reply.answer],  # owner case echoed
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=questions)
def test_cached_and_fresh_replies_agree(question: Question) -> None:
    packet, client = wire_query(question), question[-1]
    fast, slow = handler(True), handler(False)
    first = fast.handle(packet, client, "udp")  # both first replies are drawn alike (same seed)
    fresh = slow.handle(packet, client, "udp")
    again = fast.handle(packet, client, "udp")
    assert summary(first) == summary(fresh)
    assert fast.replies is not None
    parsed = parse_query(packet)
    assert isinstance(parsed, ParsedQuery)
    policies = {decision.policy for decision in slow.answer(parsed, client, "udp").why}
    if policies & RANDOM_POLICIES:
        event("drawn at random: compared once (distribution tests below)")
        return
    event("cached" if len(fast.replies) else "not cacheable")
    assert summary(again) == summary(fresh)


@cache
def parents() -> list[str]:
    """Every name of the bundled zones (owners, empty non-terminals, apexes) and one that is
    not there: the parents of the names asked below."""
    held = {
        names.to_text(name)
        for zone in catalog().zones.values()
        for name in zone.existing
        if names.WILDCARD not in name
    }
    return sorted(held | {f"nope.{names.to_text(zone)}" for zone in catalog().zones})


@cache
def child_labels(parent: str) -> list[str]:
    """The first labels of the names held right under `parent` (and hosted zones' apexes)."""
    key = names.lower(names.parse(parent))
    held = {name for zone in catalog().zones.values() for name in zone.existing}
    held |= set(catalog().zones)
    return sorted(name[0].decode() for name in held if name[1:] == key and name[0] != b"*")


LABEL_CHARACTERS = st.sampled_from("abcxyzQRS019-")
shared_questions = st.builds(
    lambda parent, pick, made, warm, flips, rtype, edns, subnet, client: (
        parent,
        pick,
        made,
        warm,
        flips,
        rtype,
        edns,
        subnet,
        client,
    ),
    st.sampled_from(parents()),
    st.integers(min_value=0, max_value=50),
    st.text(LABEL_CHARACTERS, min_size=1, max_size=6),
    st.text(LABEL_CHARACTERS, min_size=1, max_size=6),
    st.lists(st.booleans(), min_size=1, max_size=4),
    st.sampled_from([t for t in TYPES if t != "ANY"]),
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(SUBNETS)),
    st.sampled_from(CLIENTS),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(question=shared_questions)
def test_names_sharing_a_reply_get_what_the_lookup_gives_each(question: tuple) -> None:
    """A reply made for one name the zone does not hold serves the parent's other names of its
    first label's length (r53emu.server.sharedreplies): for a name asked after another of the
    same length, the cached reply is what a fresh lookup says, case as sent; a label of a name
    the zone holds (mixed case) never gets the shared reply."""
    parent, pick, made, warm, flips, rtype, edns, subnet, client = question
    held = child_labels(parent)
    label = held[pick % len(held)] if held and pick < 20 else made
    label = mixed_case(label, flips)
    warm = (warm * len(label))[: len(label)]
    if warm.lower() == label.lower():
        warm = ("q" if label[0] != "q" else "r") + warm[1:]
    fast, slow = handler(True), handler(False)

    def query(first: str) -> bytes:
        return wire_query((f"{first}.{parent}", rtype, edns, False, subnet, True, False, client))

    fast.handle(query(warm), client, "udp")
    packet = query(label)
    cached, fresh = fast.handle(packet, client, "udp"), slow.handle(packet, client, "udp")
    parsed = parse_query(packet)
    assert isinstance(parsed, ParsedQuery)
    policies = {decision.policy for decision in slow.answer(parsed, client, "udp").why}
    if policies & RANDOM_POLICIES:
        event("drawn at random: not compared")
        return
    event("held label" if label.lower() in held else "not held")
    assert summary(cached) == summary(fresh)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_the_cache_serves_repeated_simple_questions(transport: str) -> None:
    """A simple record's second query is served from the cache (and agrees with the first)."""
    fast = handler(True)
    packet = wire_query(
        ("WWW.example.test.", "A", True, False, "198.51.100.0/24", True, False, "127.0.0.1")
    )
    first = fast.handle(packet, "127.0.0.1", transport)
    assert fast.replies is not None
    assert len(fast.replies) == 1
    assert summary(fast.handle(packet, "127.0.0.1", transport)) == summary(first)


def test_a_health_change_reaches_cached_failover_answers() -> None:
    """A failover answer cached while the primary is healthy changes with the next snapshot."""
    fast = handler(True)
    packet = wire_query(("web.example.test.", "A", False, False, None, True, False, "127.0.0.1"))
    healthy = summary(fast.handle(packet, "127.0.0.1", "udp"))
    assert summary(fast.handle(packet, "127.0.0.1", "udp")) == healthy
    assert fast.replies is not None
    assert len(fast.replies) == 1
    fast.health = HealthSnapshot({"demo-http": False})
    unhealthy = summary(fast.handle(packet, "127.0.0.1", "udp"))
    assert unhealthy[8] != healthy[8]  # the answer section: the secondary now
    slow = handler(False)
    slow.health = fast.health
    assert summary(slow.handle(packet, "127.0.0.1", "udp")) == unhealthy


def test_location_answers_are_kept_per_client() -> None:
    """A geolocation answer is cached per client subnet, each with its own answer and scope."""
    fast = handler(True)
    replies = {}
    for subnet in ("198.51.100.0/26", "198.51.100.64/26", "198.51.100.0/26"):
        packet = wire_query(("geo.example.test.", "A", True, False, subnet, True, False, "::1"))
        replies.setdefault(subnet, []).append(summary(fast.handle(packet, "::1", "udp")))
    assert fast.replies is not None
    assert len(fast.replies) == 2
    first, again = replies["198.51.100.0/26"]
    assert first[1:] == again[1:]  # all but the query ID
    assert first[8] != replies["198.51.100.64/26"][0][8]  # another place, another answer


def answers_of(reply_bytes: bytes | None) -> list[str]:
    assert reply_bytes is not None
    reply = dns.message.from_wire(reply_bytes)
    return [rdata.to_text() for rrset in reply.answer for rdata in rrset]


def test_weighted_draws_from_the_cache_follow_the_weights_and_health() -> None:
    """Cached weighted replies are drawn per query: 3:1 as the weights say, and a member whose
    check fails is never drawn once the health snapshot says so."""
    fast = handler(True)
    packet = wire_query(("api.example.test.", "A", False, False, None, True, False, "127.0.0.1"))
    counts = Counter(
        tuple(answers_of(fast.handle(packet, "127.0.0.1", "udp"))) for _ in range(4000)
    )
    assert fast.replies is not None
    assert len(fast.replies) == 2  # one reply per record set drawn, reused
    assert set(counts) == {("192.0.2.21",), ("192.0.2.22",)}
    assert 0.70 < counts[("192.0.2.21",)] / 4000 < 0.80  # weight 3 of 4 (p < 1e-6 outside)
    fast.health = HealthSnapshot({"blue-gate": False})
    drawn = {tuple(answers_of(fast.handle(packet, "127.0.0.1", "udp"))) for _ in range(200)}
    assert drawn == {("192.0.2.22",)}


def test_multivalue_draws_from_the_cache_are_random_subsets() -> None:
    """Cached multivalue replies answer a new random choice and order of up to 8 healthy
    records each time, as the policy does."""
    fast, slow = handler(True), handler(False)
    packet = wire_query(("mv.example.test.", "A", False, False, None, True, False, "127.0.0.1"))
    fresh = answers_of(slow.handle(packet, "127.0.0.1", "udp"))
    seen = [answers_of(fast.handle(packet, "127.0.0.1", "udp")) for _ in range(300)]
    assert {len(answer) for answer in seen} == {len(fresh)}
    universe = {f"192.0.2.{n}" for n in range(161, 171)}
    assert all(set(answer) <= universe for answer in seen)
    assert len({frozenset(answer) for answer in seen}) > 1  # different draws
    assert len({tuple(answer) for answer in seen}) > len({frozenset(a) for a in seen})  # orders


def test_a_health_change_drops_only_the_answers_that_asked_about_it() -> None:
    """Cached answers that consulted no changed check survive a health change; an answer that
    consulted one is answered afresh."""
    fast = handler(True)
    questions = {
        name: wire_query((name, "A", False, False, None, True, False, "127.0.0.1"))
        for name in ("www.example.test.", "web.example.test.")
    }
    for packet in questions.values():
        fast.handle(packet, "127.0.0.1", "udp")
    assert fast.replies is not None
    assert len(fast.replies) == 2
    fast.health = HealthSnapshot({"demo-http": True, "blue-gate": False})  # web's check same
    fast.handle(questions["www.example.test."], "127.0.0.1", "udp")
    assert len(fast.replies) == 2
    fast.health = HealthSnapshot({"demo-http": False, "blue-gate": False})
    fast.handle(questions["www.example.test."], "127.0.0.1", "udp")
    assert len(fast.replies) == 1  # web's failover answer asked about demo-http: dropped
    answer = answers_of(fast.handle(questions["web.example.test."], "127.0.0.1", "udp"))
    slow = handler(False)
    slow.health = fast.health
    assert answer == answers_of(slow.handle(questions["web.example.test."], "127.0.0.1", "udp"))
    assert len(fast.replies) == 2


def test_a_big_answer_is_cached_and_a_health_change_reaches_it(tmp_path: Path) -> None:
    """A failover answer over 512 bytes (the primary's) is cached too (as the slow path packs
    it), and a health change that moves the answer to the small secondary reaches it."""
    big = " ".join(f'"{"x" * 200}"' for _ in range(3))
    (tmp_path / "account.yaml").write_text(
        'health_checks:\n  gate: {type: RECOVERY_CONTROL, routing_control_state: "On"}\n'
    )
    (tmp_path / "big.yaml").write_text(
        "zone: big.test\nrecord_sets:\n"
        f"  - {{name: f, type: TXT, ttl: 60, records: ['{big}'], set_identifier: p,"
        " failover_routing_policy: {type: PRIMARY}, health_check_id: gate}\n"
        "  - {name: f, type: TXT, ttl: 60, records: ['\"small\"'], set_identifier: s,"
        " failover_routing_policy: {type: SECONDARY}}\n"
    )
    zones = load_catalog(tmp_path)
    fast = QueryHandler(zones, random.Random(1), cache_replies=True)
    packet = dns.message.make_query("f.big.test.", "TXT", use_edns=0, payload=4096).to_wire()
    first = fast.handle(packet, "127.0.0.1", "udp")
    assert len(first or b"") > 512
    assert fast.replies is not None
    assert len(fast.replies) == 1
    assert summary(fast.handle(packet, "127.0.0.1", "udp")) == summary(first)
    fast.health = HealthSnapshot({"gate": False})
    assert answers_of(fast.handle(packet, "127.0.0.1", "udp")) == ['"small"']
    assert len(fast.replies) == 1
