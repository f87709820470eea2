"""Response-rate limiting per client prefix: a token bucket for each /24 (IPv4) or /56 (IPv6).

A DNS server answering UDP from anyone is a reflector: an attacker sends small queries with a
victim's address as their source, and the victim receives the (larger) replies. Limiting how many
replies a prefix receives per second bounds what the server can reflect at any one network, as
BIND's and Knot's response-rate limiting do (their default prefixes are the ones here). Each
prefix has a bucket of `rate` tokens refilled at `rate` per second; a reply takes one. Over the
limit, every `slip`-th reply is sent as a bare truncated reply (TC=1, question only: never larger
than the query), which tells a real client to ask again over TCP, where no source is spoofed,
and the others are dropped (docs/limits.md).

The table of buckets is bounded (`max_prefixes`): when it is full, buckets that have refilled
(an idle prefix: the same as no bucket) are forgotten first, then the oldest ones, so a flood
from endless spoofed prefixes costs bounded memory. Pure logic: the caller passes the time.
"""

from __future__ import annotations

import enum
import ipaddress

MAX_PREFIXES = 65_536  # buckets kept at most (a few MB)
IPV4_PREFIX = 24
IPV6_PREFIX = 56


class Verdict(enum.Enum):
    ANSWER = "answer"
    SLIP = "slip"  # over the limit: a truncated reply instead (the client retries over TCP)
    DROP = "drop"  # over the limit: no reply


class _Bucket:
    __slots__ = ("over", "tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated
        self.over = 0  # replies over the limit since the bucket last had a token


class ResponseRateLimit:
    """At most `rate` replies per second to each client prefix (a burst of `rate` at once);
    see the module docstring for what happens over it."""

    def __init__(self, rate: int, slip: int = 2, max_prefixes: int = MAX_PREFIXES) -> None:
        if rate < 1:
            raise ValueError("the rate must be at least one reply per second")
        self.rate = rate
        self.slip = slip
        self.max_prefixes = max_prefixes
        self.slipped = 0  # truncated replies sent instead, since the start
        self.dropped = 0  # replies not sent, since the start
        self._buckets: dict[str, _Bucket] = {}

    def __len__(self) -> int:
        return len(self._buckets)

    def admit(self, prefix: str, now: float) -> Verdict:
        """Whether the reply to a query from `prefix` (see `client_prefix`) at `now` (seconds,
        monotonic) goes out whole, truncated or not at all."""
        bucket = self._buckets.get(prefix)
        if bucket is None:
            if len(self._buckets) >= self.max_prefixes:
                self._make_room(now)
            self._buckets[prefix] = _Bucket(self.rate - 1.0, now)
            return Verdict.ANSWER
        tokens = bucket.tokens + (now - bucket.updated) * self.rate
        bucket.tokens = tokens if tokens < self.rate else float(self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.over = 0
            return Verdict.ANSWER
        bucket.over += 1
        if self.slip and bucket.over % self.slip == 0:
            self.slipped += 1
            return Verdict.SLIP
        self.dropped += 1
        return Verdict.DROP

    def _make_room(self, now: float) -> None:
        """Forget the buckets that have refilled; if that frees less than a quarter of the
        table, the oldest ones too, down to three quarters (so each sweep pays for many
        admissions)."""
        buckets = self._buckets
        full = [
            prefix
            for prefix, bucket in buckets.items()
            if bucket.tokens + (now - bucket.updated) * self.rate >= self.rate
        ]
        for prefix in full:
            del buckets[prefix]
        keep = self.max_prefixes * 3 // 4
        while len(buckets) > keep:
            del buckets[next(iter(buckets))]


def client_prefix(ip: str) -> str:
    """The prefix `ip` is limited as: its /24 for IPv4 (IPv4-mapped IPv6 too), its /56 for
    IPv6, as text ("192.0.2", "2001db8000000")."""
    if ":" not in ip:
        return ip.rpartition(".")[0]
    if ip.startswith("::ffff:") and "." in ip:
        return ip[7:].rpartition(".")[0]
    return ipaddress.IPv6Address(ip.split("%")[0]).packed[: IPV6_PREFIX // 8].hex()


def prefix_text(ip: str) -> str:
    """The prefix of `ip` as a network, for log lines ("192.0.2.0/24")."""
    text = ip.split("%")[0]
    if text.startswith("::ffff:") and "." in text:
        text = text[7:]
    network = ipaddress.ip_network(text, strict=False)
    length = IPV4_PREFIX if network.version == 4 else IPV6_PREFIX
    return str(network.supernet(new_prefix=length))
