"""Prometheus metrics (prometheus-client), served by the admin API's `GET /metrics`.

* `r53emu_queries_total{zone, qtype, rcode, policy}`: answered queries. `zone` is the hosted
  zone's name as in `example.test.` (empty for a name in no hosted zone: REFUSED); `qtype` a
  Route 53 record type or `ANY`, else `other` (whatever type a client sends, the series stay
  bounded by the zones); `policy` the routing policy of the name asked for (empty when no
  record set was chosen: NXDOMAIN, NODATA, referrals).
* `r53emu_answer_seconds`: histogram of the time from receiving a query to having its reply.
* `r53emu_health_check_healthy{check_id}`: 1 healthy, 0 unhealthy, as routing sees it.
* `r53emu_reloads_total`, `r53emu_reload_failures_total`: zone reloads that took effect, and
  those refused because the new files had errors (the last good zones kept serving).
* `r53emu_reply_cache_entries`, `r53emu_reply_cache_bytes`: replies the reply cache keeps
  (each reply kept per client or per draw counted) and the memory it estimates they keep, the
  figure its bound (`--reply-cache-mb`, 64 MiB by default) is checked against. Present when the
  `Metrics` is given the cache (`replies`).
* `r53emu_udp_rate_limited_total{action}`: UDP replies the amplification guard's rate limit
  (`--rate-limit`) held back: `truncated` (sent as a bare TC=1 instead) or `dropped`. Present
  when the `Metrics` is given the limit (`rate_limit`).
* `r53emu_event_loop_tasks`: asyncio tasks not done on the server's event loop, the one serving
  the scrape left out (health-check probes, the zone watcher, admin requests, ...). Counted by
  `render_async`, on the loop (only its thread may walk its tasks); `render`, in any thread,
  gives the count of the last `render_async` (none before the first), so that the two agree.

Each `Metrics` has its own registry, so several servers in one process (tests) don't mix.
`render_async` is what the admin API should serve: it copies the counts on the event loop (a
copy bounded by the zones, cheap; counting the tasks walks the loop's tasks once) and formats
the text in a thread, so that a scrape never holds up the DNS answers the loop gives meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import accumulate

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from r53emu.model import names
from r53emu.model.dnsconstants import RCODE_NAMES, type_name
from r53emu.server.querystats import LATENCY_BUCKETS, OTHER_QTYPE, QueryStats, StatsKey
from r53emu.server.ratelimit import ResponseRateLimit
from r53emu.server.replycache import ReplyCache

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The server's metrics; the query counts are read from the handler's `QueryStats`, the
    reply cache's size from `replies` (the handler's `ReplyCache`; None: not exposed)."""

    def __init__(
        self,
        stats: QueryStats,
        replies: ReplyCache | None = None,
        rate_limit: ResponseRateLimit | None = None,
    ) -> None:
        self.stats = stats
        self.replies = replies
        self.rate_limit = rate_limit
        self._tasks: int | None = None  # counted by the last render_async
        self.registry = CollectorRegistry()
        self.registry.register(_QueryCollector(self))
        # The same metrics but the query counts, which `render_async` takes from a copy.
        self._others = CollectorRegistry()
        self.health = Gauge(
            "r53emu_health_check_healthy",
            "1 when the health check is healthy as routing sees it, else 0.",
            ["check_id"],
            registry=self.registry,
        )
        self.reloads = Counter(
            "r53emu_reloads", "Zone reloads that took effect.", registry=self.registry
        )
        self.reload_failures = Counter(
            "r53emu_reload_failures",
            "Zone reloads refused because the files had errors (the last good zones kept serving).",
            registry=self.registry,
        )
        for collector in (self.health, self.reloads, self.reload_failures):
            self._others.register(collector)

    def set_health(self, statuses: Mapping[str, bool]) -> None:
        """Publish every check's status; checks no longer defined disappear."""
        for labels in list(self._health_labels()):
            if labels not in statuses:
                self.health.remove(labels)
        for check_id, healthy in statuses.items():
            self.health.labels(check_id=check_id).set(1 if healthy else 0)

    def _health_labels(self) -> set[str]:
        return {
            sample.labels["check_id"]
            for metric in self.health.collect()
            for sample in metric.samples
        }

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (formatted in the caller's thread;
        the task count of the last `render_async`)."""
        return generate_latest(self.registry)

    async def render_async(self) -> bytes:
        """`render`, formatted in a worker thread from counts copied here, on the event loop
        (the only thread that counts queries), so that the loop goes on answering DNS while the
        text is made; the loop's tasks are counted here too."""
        self._tasks = loop_tasks()
        counts = _Counts.of(self)
        return await asyncio.to_thread(generate_latest, _Frozen(counts, self._others))


@dataclass(frozen=True, slots=True)
class _Counts:
    """A copy of the handler's counts, made on the event loop (or, for `render`, in the thread
    that renders), with the reply cache's size and the loop's task count."""

    queries: dict[StatsKey, int]
    bucket_counts: list[int]
    seconds_total: float
    cache_entries: int | None  # None: no reply cache given
    cache_bytes: int | None
    tasks: int | None  # None: not counted yet (no render_async)
    limited: tuple[int, int] | None  # replies truncated, dropped by the rate limit; None: none

    @classmethod
    def of(cls, metrics: Metrics) -> _Counts:
        stats, replies, limit = metrics.stats, metrics.replies, metrics.rate_limit
        return cls(
            stats.queries.copy(),
            stats.bucket_counts.copy(),
            stats.seconds_total,
            None if replies is None else len(replies),
            None if replies is None else replies.bytes,
            metrics._tasks,
            None if limit is None else (limit.slipped, limit.dropped),
        )


def loop_tasks() -> int | None:
    """The tasks not done on the event loop running in this thread, the current one (the
    scrape's) left out; None when this thread runs no loop (the count is not safe elsewhere)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    current = asyncio.current_task(loop)
    return sum(1 for task in asyncio.all_tasks(loop) if task is not current)


class _Frozen:
    """What `generate_latest` reads in the worker thread: the copied counts, then the other
    metrics (prometheus-client's own, which lock for themselves)."""

    def __init__(self, counts: _Counts, others: CollectorRegistry) -> None:
        self.counts = counts
        self.others = others

    def collect(self) -> Iterator[Metric]:
        yield from _query_metrics(self.counts)
        yield from self.others.collect()


class _QueryCollector(Collector):
    """`r53emu_queries_total`, `r53emu_answer_seconds` and the gauges read from the server's
    objects (reply cache, tasks), made when scraped (the answer path only increments plain
    counters)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        # Copies: the event loop's thread may count a query while another thread scrapes.
        return _query_metrics(_Counts.of(self.metrics))


def _qtype_label(qtype: int) -> str:
    return "other" if qtype == OTHER_QTYPE else type_name(qtype)


def _query_metrics(counts: _Counts) -> Iterator[Metric]:
    queries = CounterMetricFamily(
        "r53emu_queries",
        "DNS queries answered, by hosted zone, type, rcode and routing policy.",
        labels=["zone", "qtype", "rcode", "policy"],
    )
    for (zone, qtype, rcode, policy), count in counts.queries.items():
        queries.add_metric(
            [
                names.to_text(zone) if zone is not None else "",
                _qtype_label(qtype),
                RCODE_NAMES.get(rcode, str(rcode)),
                policy or "",
            ],
            count,
        )
    yield queries
    cumulative = list(accumulate(counts.bucket_counts))
    bounds = [str(bound) for bound in LATENCY_BUCKETS] + ["+Inf"]
    yield HistogramMetricFamily(
        "r53emu_answer_seconds",
        "Time from receiving a query to having its reply, in seconds.",
        buckets=list(zip(bounds, cumulative, strict=True)),
        sum_value=counts.seconds_total,
    )
    gauges = (
        (
            "r53emu_reply_cache_entries",
            "Replies the reply cache keeps (each reply kept per client or per draw counted).",
            counts.cache_entries,
        ),
        (
            "r53emu_reply_cache_bytes",
            "Memory the reply cache estimates its replies keep, in bytes (what its bound counts).",
            counts.cache_bytes,
        ),
        (
            "r53emu_event_loop_tasks",
            "asyncio tasks not done on the server's event loop, the scrape's own left out.",
            counts.tasks,
        ),
    )
    for name, documentation, value in gauges:
        if value is not None:  # not known (no reply cache, or not counted yet): left out
            yield GaugeMetricFamily(name, documentation, value=value)
    if counts.limited is not None:
        limited = CounterMetricFamily(
            "r53emu_udp_rate_limited",
            "UDP replies the amplification guard's rate limit held back: truncated, or dropped.",
            labels=["action"],
        )
        truncated, dropped = counts.limited
        limited.add_metric(["truncated"], truncated)
        limited.add_metric(["dropped"], dropped)
        yield limited
