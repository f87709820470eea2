"""Large replies from the cache are the slow path's replies (hypothesis).

Answers over 512 bytes are cached with the sizes that decide their truncation: per query, the
whole reply, the reply without the additional section, or TC, by the limit the query can take
(512 without EDNS, its payload up to 4096, 65535 over TCP). For generated queries (names with
large answers: many values, long TXT, an additional section that overflows, a delegation whose
glue overflows, ANY, a CNAME into a large record set, a wildcard; mixed case; with and without
EDNS at payloads from below 512 to 65535, DO, ECS, RD, CD; UDP and TCP) the cache's reply must
be the slow path's: the same size, header (ID, flags with TC, counts), question, EDNS and
options, and each section as a set (values come in random order). With the transport unknown,
the cache gives only a reply that is the same over UDP and TCP.
"""

from __future__ import annotations

import random
from functools import cache

import dns.edns
import dns.flags
import dns.message
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from r53emu.model.catalog import Catalog
from r53emu.server.handler import QueryHandler
from r53emu.server.wire import TCP_LIMIT, ParsedQuery, parse_query
from r53emu.zonefiles.loader import load_catalog
from tests.support.helpers import write_zones


def _addresses(count: int) -> str:
    return "[" + ", ".join(f"198.51.{i // 250}.{i % 250}" for i in range(count)) + "]"


ZONE = f"""\
zone: large.test
ttl: 300
record_sets:
  - {{name: www, type: A, records: [192.0.2.1]}}
  - {{name: fifty, type: A, ttl: 60, records: {_addresses(50)}}}
  - {{name: huge, type: A, ttl: 60, records: {_addresses(300)}}}
  - {{name: huge, type: TXT, records: ['"{"h" * 250}"', '"{"i" * 250}"']}}
  - {{name: huge, type: AAAA, records: ["2001:db8::1", "2001:db8::2"]}}
  - {{name: text, type: TXT, records: ['"{"a" * 200}"', '"{"b" * 200}"', '"{"c" * 200}"']}}
  - {{name: mx, type: MX, records: ["10 mailhost.large.test.", "20 mailhost2.large.test."]}}
  - {{name: mailhost, type: A, records: {_addresses(40)}}}
  - {{name: mailhost2, type: A, records: [192.0.2.25]}}
  - {{name: dev, type: NS, records: [ns1.dev.large.test., ns2.dev.large.test.]}}
  - {{name: ns1.dev, type: A, records: {_addresses(40)}}}
  - {{name: ns2.dev, type: A, records: [192.0.2.53]}}
  - {{name: chain, type: CNAME, records: [fifty.large.test.]}}
  - {{name: "*.wild", type: TXT, records: ['"{"w" * 240}"', '"{"x" * 240}"', '"{"y" * 10}"']}}
"""

NAMES = [
    "www.large.test.",
    "fifty.large.test.",
    "huge.large.test.",
    "text.large.test.",
    "mx.large.test.",
    "dev.large.test.",
    "host.dev.large.test.",
    "chain.large.test.",
    "a.wild.large.test.",
    "b.c.wild.large.test.",
    "large.test.",
]
TYPES = ["A", "TXT", "MX", "ANY", "AAAA", "NS"]
PAYLOADS = [None, 0, 100, 511, 512, 513, 700, 1000, 1232, 1400, 2048, 4096, 8192, 65535]
SUBNETS = [None, "198.51.100.0/24", "2001:db8::/56"]


@cache
def catalog() -> Catalog:
    import tempfile
    from pathlib import Path

    directory = write_zones(Path(tempfile.mkdtemp()) / "zones", {"large.yaml": ZONE})
    return load_catalog(directory)


def mixed_case(name: str, flips: list[bool]) -> str:
    return "".join(char.upper() if flips[i % len(flips)] else char for i, char in enumerate(name))


def wire(
    name: str, rdtype: str, payload: int | None, do: bool, subnet: str | None, flags: int
) -> bytes:
    options = []
    if payload is not None and subnet is not None:
        address, prefix = subnet.split("/")
        options.append(dns.edns.ECSOption(address, int(prefix)))
    query = dns.message.make_query(
        name,
        rdtype,
        use_edns=0 if payload is not None else None,
        payload=payload if payload is not None else 512,
        want_dnssec=payload is not None and do,
        options=options,
    )
    query.flags = flags
    return query.to_wire()


def summary(reply: bytes) -> tuple[object, ...]:
    message = dns.message.from_wire(reply)

    def section(rrsets: list[dns.rrset.RRset]) -> tuple[str, ...]:
        return tuple(sorted(line for rrset in rrsets for line in rrset.to_text().splitlines()))

    return (
        len(reply),
        reply[:12],  # ID, flags (TC), counts
        message.question[0].name.to_text(),
        message.edns,
        message.ednsflags,
        message.payload,
        tuple(option.to_text() for option in message.options),
        section(message.answer),
        section(message.authority),
        section(message.additional),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(NAMES),
    flips=st.lists(st.booleans(), min_size=1, max_size=4),
    rdtype=st.sampled_from(TYPES),
    payload=st.sampled_from(PAYLOADS),
    do=st.booleans(),
    subnet=st.sampled_from(SUBNETS),
    flags=st.sampled_from([0, dns.flags.RD, dns.flags.CD, dns.flags.RD | dns.flags.CD]),
    transport=st.sampled_from(["udp", "tcp"]),
)
def test_large_cached_replies_are_the_slow_paths(
    name: str,
    flips: list[bool],
    rdtype: str,
    payload: int | None,
    do: bool,
    subnet: str | None,
    flags: int,
    transport: str,
) -> None:
    packet = wire(mixed_case(name, flips), rdtype, payload, do, subnet, flags)
    zones = catalog()
    fast = QueryHandler(zones, random.Random(3))
    slow = QueryHandler(zones, random.Random(3), cache_replies=False)
    first = fast.handle(packet, "127.0.0.1", transport)
    expected = slow.handle(packet, "127.0.0.1", transport)
    assert first is not None
    assert expected is not None
    assert summary(first) == summary(expected)
    replies = fast.replies
    assert replies is not None
    hit = replies.reply_to(
        packet, "127.0.0.1", zones, fast.health, fast.rng, transport, locator=fast.locator
    )
    if hit is None:
        event("not cached")
        return
    assert summary(hit[0]) == summary(expected)
    tc = bool(dns.message.from_wire(expected).flags & dns.flags.TC)
    event(f"cached, {'TC' if tc else 'whole or trimmed'} over {transport}")
    unknown = replies.reply_to(
        packet, "127.0.0.1", zones, fast.health, fast.rng, locator=fast.locator
    )
    parsed = parse_query(packet)
    assert isinstance(parsed, ParsedQuery)
    answer = slow.answer(parsed, "127.0.0.1", transport)
    over_tcp = slow.handle(packet, "127.0.0.1", "tcp")
    over_udp = slow.handle(packet, "127.0.0.1", "udp")
    assert over_tcp is not None
    assert over_udp is not None
    if unknown is not None:  # only when UDP and TCP get the same reply
        assert summary(unknown[0]) == summary(over_udp) == summary(over_tcp)
    else:
        assert summary(over_udp) != summary(over_tcp) or answer.rcode > 0xF


@pytest.mark.parametrize("transport", ["udp", "tcp"])
@pytest.mark.parametrize("payload", [None, 1232, 4096])
def test_the_cache_answers_large_questions_again(transport: str, payload: int | None) -> None:
    """Every large answer above is cached on its first query and answered from the cache
    (when the transport is known) on the next, whatever it is truncated to."""
    zones = catalog()
    fast = QueryHandler(zones, random.Random(3))
    replies = fast.replies
    assert replies is not None
    for name in NAMES:
        for rdtype in TYPES:
            packet = wire(name, rdtype, payload, False, None, dns.flags.RD)
            fast.handle(packet, "127.0.0.1", transport)
            hit = replies.reply_to(
                packet, "127.0.0.1", zones, fast.health, fast.rng, transport, locator=fast.locator
            )
            assert hit is not None, (name, rdtype)
    assert TCP_LIMIT == 65535
