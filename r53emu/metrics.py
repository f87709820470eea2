"""Prometheus metrics (prometheus-client), served by the admin API's `GET /metrics`.

* `r53emu_queries_total{zone, qtype, rcode, policy}`: answered queries. `zone` is the hosted
  zone's name as in `example.test.` (empty for a name in no hosted zone: REFUSED); `policy` the
  routing policy of the name asked for (empty when no record set was chosen: NXDOMAIN, NODATA,
  referrals).
* `r53emu_answer_seconds`: histogram of the time from receiving a query to having its reply.
* `r53emu_health_check_healthy{check_id}`: 1 healthy, 0 unhealthy, as routing sees it.
* `r53emu_reloads_total`, `r53emu_reload_failures_total`: zone reloads that took effect, and
  those refused because the new files had errors (the last good zones kept serving).

Each `Metrics` has its own registry, so several servers in one process (tests) don't mix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from r53emu import names
from r53emu.explain import RCODE_NAMES, type_name
from r53emu.queryevents import QueryEvent

# Answer times on loopback are tens to hundreds of microseconds; the buckets resolve them.
LATENCY_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The server's metrics; `observe` is a `QueryObserver`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.queries = Counter(
            "r53emu_queries",
            "DNS queries answered, by hosted zone, type, rcode and routing policy.",
            ["zone", "qtype", "rcode", "policy"],
            registry=self.registry,
        )
        # Each label set's child counter, by the event's raw values: labels() and the text
        # of zone, type and rcode cost microseconds a query that the answer path cannot spare.
        self._query_counters: dict[tuple[object, ...], Any] = {}
        self.answer_seconds = Histogram(
            "r53emu_answer_seconds",
            "Time from receiving a query to having its reply, in seconds.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
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

    def observe(self, event: QueryEvent) -> None:
        key = (event.zone, event.qtype, event.rcode, event.policy)
        counter = self._query_counters.get(key)
        if counter is None:  # first query of its kind: name its labels once
            counter = self._query_counters[key] = self.queries.labels(
                zone=names.to_text(event.zone) if event.zone is not None else "",
                qtype=type_name(event.qtype),
                rcode=RCODE_NAMES.get(event.rcode, str(event.rcode)),
                policy=event.policy or "",
            )
        counter.inc()
        self.answer_seconds.observe(event.seconds)

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
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
