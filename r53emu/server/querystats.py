"""Counts of answered queries and of their answer times, kept by the handler for the metrics.

Counting runs in the answer path, so it must cost next to nothing: a dict increment and a
bucket increment per query. prometheus-client reads the counts only when `/metrics` is scraped
(the collector in r53emu.ops.metrics); its own Counter and Histogram take a lock and cost a few
microseconds per query, which the fast path cannot spare.
"""

from __future__ import annotations

from bisect import bisect_left

from r53emu.model.dnsconstants import RECORD_TYPES, TYPE_ANY
from r53emu.model.names import Name
from r53emu.model.query import Answer

# Answer times on loopback are a few to hundreds of microseconds; the buckets resolve them.
LATENCY_BUCKETS = (
    0.00001,
    0.000025,
    0.00005,
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.05,
    0.25,
)

# What a query is counted by: hosted zone (None: in no zone), qtype, rcode, routing policy of
# the name asked for (None: no record set was chosen).
StatsKey = tuple[Name | None, int, int, str | None]

# The qtypes counted by their own number: Route 53's record types and ANY. Every other one
# (any of the 65,536 a client may send) is counted as OTHER_QTYPE (`other` in the metrics), so
# that clients cannot make a series per qtype: the counts stay bounded by the zones.
COUNTED_QTYPES = frozenset((*RECORD_TYPES.values(), TYPE_ANY))
OTHER_QTYPE = -1


class QueryStats:
    """Answered queries by `StatsKey`, and a histogram of answer times (`LATENCY_BUCKETS`;
    the last bucket counts the slower ones)."""

    def __init__(self) -> None:
        self.queries: dict[StatsKey, int] = {}
        self.bucket_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.seconds_total = 0.0

    def count(self, key: StatsKey, seconds: float) -> None:
        """One more answered query of kind `key`, answered in `seconds`."""
        queries = self.queries
        queries[key] = queries.get(key, 0) + 1
        self.bucket_counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.seconds_total += seconds


def stats_key(answer: Answer, qtype: int) -> StatsKey:
    """What a query of type `qtype` that got `answer` is counted as (a qtype not in
    `COUNTED_QTYPES` as `OTHER_QTYPE`)."""
    policy = answer.routed[0].group.policy if answer.routed else None
    counted = qtype if qtype in COUNTED_QTYPES else OTHER_QTYPE
    return (answer.zone, counted, answer.rcode, policy)
