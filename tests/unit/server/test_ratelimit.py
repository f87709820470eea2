"""Response-rate limiting per client prefix: the token bucket's truth table and its bounds."""

from __future__ import annotations

import pytest

from r53emu.server.ratelimit import ResponseRateLimit, Verdict, client_prefix, prefix_text


def test_a_burst_of_rate_then_every_second_reply_slips() -> None:
    limit = ResponseRateLimit(rate=5)
    verdicts = [limit.admit("192.0.2", now=0.0) for _ in range(11)]
    assert verdicts[:5] == [Verdict.ANSWER] * 5
    assert verdicts[5:] == [Verdict.DROP, Verdict.SLIP] * 3
    assert (limit.dropped, limit.slipped) == (3, 3)


def test_tokens_refill_at_the_rate_up_to_one_second_of_them() -> None:
    limit = ResponseRateLimit(rate=10)
    for _ in range(10):
        assert limit.admit("p", 0.0) is Verdict.ANSWER
    assert limit.admit("p", 0.0) is Verdict.DROP
    assert limit.admit("p", 0.1) is Verdict.ANSWER  # 0.1 s: one token back
    assert limit.admit("p", 0.1) is not Verdict.ANSWER
    answered = [limit.admit("p", 100.0) for _ in range(12)]  # idle long: a full bucket, no more
    assert answered.count(Verdict.ANSWER) == 10


def test_prefixes_are_limited_separately() -> None:
    limit = ResponseRateLimit(rate=1)
    assert limit.admit("a", 0.0) is Verdict.ANSWER
    assert limit.admit("a", 0.0) is Verdict.DROP
    assert limit.admit("b", 0.0) is Verdict.ANSWER


def test_slip_zero_drops_every_reply_over_the_limit() -> None:
    limit = ResponseRateLimit(rate=1, slip=0)
    limit.admit("a", 0.0)
    assert {limit.admit("a", 0.0) for _ in range(6)} == {Verdict.DROP}


def test_the_table_of_buckets_is_bounded() -> None:
    limit = ResponseRateLimit(rate=2, max_prefixes=100)
    for number in range(10_000):  # endless spoofed prefixes, all at once
        limit.admit(str(number), 0.0)
        assert len(limit) <= 100
    # An idle (refilled) bucket goes before a busy one when room is needed.
    limit = ResponseRateLimit(rate=2, max_prefixes=4)
    for prefix in "abcd":
        limit.admit(prefix, 0.0)
    limit.admit("a", 10.0)
    limit.admit("a", 10.0)  # "a" is busy at 10 s; b, c and d have refilled
    limit.admit("e", 10.0)
    assert limit.admit("a", 10.0) is Verdict.DROP  # its bucket was kept


@pytest.mark.parametrize(
    ("ip", "prefix", "text"),
    [
        ("192.0.2.77", "192.0.2", "192.0.2.0/24"),
        ("::ffff:192.0.2.77", "192.0.2", "192.0.2.0/24"),
        ("2001:db8:1:2ff::1", "20010db8000102", "2001:db8:1:200::/56"),
        ("fe80::1%eth0", "fe800000000000", "fe80::/56"),
    ],
)
def test_client_prefix(ip: str, prefix: str, text: str) -> None:
    assert client_prefix(ip) == prefix
    assert prefix_text(ip) == text


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ResponseRateLimit(rate=0)
