"""IP-based routing (semantics §3.8): longest matching block, the prefix-length rule, `*`."""

from __future__ import annotations

import pytest

from r53emu.answer.routing import cidr
from r53emu.model.catalog import CidrRouting, RecordSet
from tests.support.routing_records import context, group, ids, network, record


def located(location_name: str, *blocks: str) -> RecordSet:
    routing = CidrRouting("corp", location_name, tuple(network(block) for block in blocks))
    return record(location_name, routing)


HQ = located("hq", "10.1.0.0/16", "2001:db8::/32")
BRANCH = located("branch", "10.1.2.0/24")
LAB = located("lab", "2001:db8::/48")
V6_ONLY = located("v6only", "2001:db8::/32")
DEFAULT = located("*")

FULL = group(HQ, BRANCH, LAB, DEFAULT)


@pytest.mark.parametrize(
    ("client", "subnet", "answer"),
    [
        ("10.1.2.3", None, "branch"),  # /32 source address: the /24 is longer than the /16
        ("10.1.9.9", None, "hq"),
        ("10.9.9.9", None, "*"),
        (None, "10.1.2.0/24", "branch"),  # ECS subnet exactly the block
        (None, "10.1.0.0/16", "hq"),
        (None, "10.1.0.0/20", "hq"),
        (None, "10.0.0.0/8", "*"),  # shorter than every block: nothing matches
        (None, "2001:db8::/48", "lab"),  # block /48 matches a /48 client
        (None, "2001:db8::/56", "lab"),
        (None, "2001:db8::/32", "hq"),  # block /48 does not match a /32 client; /32 does
        (None, "2001:db8:ffff::/48", "hq"),  # block 2001:db8::/32 matches a /48 client
        (None, "10.1.2.0/23", "hq"),  # the /24 block does not match a /23 client inside it
        (None, "2001:d00::/24", "*"),  # contains the /32 block but is shorter
        ("2001:db8::1", None, "lab"),
        ("2001:db9::1", None, "*"),
        ("127.0.0.1", "10.1.2.0/24", "branch"),  # ECS wins over the source address
        (None, None, "*"),  # no client network at all
    ],
)
def test_longest_matching_block_wins(client: str | None, subnet: str | None, answer: str) -> None:
    """The record with the longest block containing the client network (as long or longer)
    answers; otherwise the `*` record."""
    selection = cidr.choose(FULL, context(client=client, subnet=subnet))
    assert ids(selection) == [answer]
    assert selection.location_dependent


def test_address_families_never_cross() -> None:
    """An IPv4 client never matches an IPv6 block, even one whose top bits spell its address
    (2001:0db8 is 32.1.13.184)."""
    grp = group(V6_ONLY, DEFAULT)
    assert ids(cidr.choose(grp, context(client="32.1.13.184"))) == ["*"]
    assert ids(cidr.choose(grp, context(subnet="32.1.13.0/24"))) == ["*"]


@pytest.mark.parametrize(
    ("block", "client", "matches"),
    [
        ("2001:db8::/32", "2001:db8::/48", True),
        ("2001:db8::/48", "2001:db8::/32", False),
        ("10.0.0.0/16", "10.0.0.0/8", False),
        ("10.0.0.0/8", "10.0.0.0/8", True),
        ("10.0.0.0/8", "10.255.0.0/16", True),
        ("10.0.0.0/8", "11.0.0.0/16", False),
        ("10.1.0.0/16", "10.0.0.0/8", False),
        ("2001:db8::/32", "32.1.13.184/32", False),
    ],
)
def test_block_match_rule(block: str, client: str, matches: bool) -> None:
    """A block matches a client network inside it whose prefix is at least as long."""
    assert cidr.block_matches(network(block), network(client)) is matches


@pytest.mark.parametrize(
    ("client", "members"),
    [
        ("10.9.9.9", (HQ, BRANCH)),
        (None, (HQ,)),
    ],
)
def test_no_match_and_no_default_is_empty(
    client: str | None, members: tuple[RecordSet, ...]
) -> None:
    """Without a matching block and without a `*` record nothing answers (UNCONFIRMED: NODATA)."""
    selection = cidr.choose(group(*members), context(client=client))
    assert selection.chosen == ()
    assert selection.location_dependent


@pytest.mark.parametrize(
    ("client", "unhealthy", "answer"),
    [
        ("10.1.2.3", set(), "branch"),
        ("10.1.2.3", {"branch"}, "*"),  # UNCONFIRMED: unhealthy match -> `*`, as recommended
        ("10.1.2.3", {"branch", "*"}, "branch"),  # `*` unhealthy too: fail open to the match
        ("10.1.9.9", {"branch"}, "hq"),  # the unhealthy record is not the match
        ("10.9.9.9", {"*"}, "*"),  # nothing matched: `*` answers whatever its health
        ("10.9.9.9", {"hq", "branch", "*"}, "*"),
    ],
)
def test_health_falls_back_to_default(client: str, unhealthy: set[str], answer: str) -> None:
    """An unhealthy match yields to a healthy `*` record; otherwise the candidate answers."""
    selection = cidr.choose(FULL, context(client=client, unhealthy=unhealthy))
    assert ids(selection) == [answer]


def test_unhealthy_match_without_default_fails_open() -> None:
    """With no `*` record an unhealthy match still answers (fail-open)."""
    selection = cidr.choose(group(HQ, BRANCH), context(client="10.1.2.3", unhealthy={"branch"}))
    assert ids(selection) == ["branch"]
    assert selection.reason.endswith("(fail-open)")


@pytest.mark.parametrize(
    ("client", "unhealthy", "reason"),
    [
        ("10.1.2.3", set(), "10.1.2.3/32 is in branch block 10.1.2.0/24 (longest match): branch"),
        (
            "10.1.2.3",
            {"branch"},
            "10.1.2.3/32 is in branch block 10.1.2.0/24, but branch is unhealthy: the * record *",
        ),
        ("10.9.9.9", set(), "no block matches 10.9.9.9/32: the * record * answers"),
    ],
)
def test_reason_names_block(client: str, unhealthy: set[str], reason: str) -> None:
    """The explanation names the client network, the matched location and block."""
    assert cidr.choose(FULL, context(client=client, unhealthy=unhealthy)).reason == reason
