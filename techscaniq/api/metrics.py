"""/metrics in Prometheus text format (admin only): scans, steps, evidence, queues, retries and failures.

Every scrape reads the database and Redis afresh, so any number of API processes answer the same numbers.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping, Sequence

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from techscaniq.api.auth import settings
from techscaniq.api.flower import admin_auth_kind, unauthorized
from techscaniq.config import Settings
from techscaniq.ops_status import queue_depths, stored_counts, unacked_count

metrics_api = Blueprint("metrics_api", __name__)

STEP_DURATION_BUCKETS_SECONDS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 2700.0)


def _histogram_buckets(values: Sequence[float], bounds: Sequence[float]) -> list[tuple[str, float]]:
    ordered = sorted(values)
    buckets = [(repr(bound), float(bisect.bisect_right(ordered, bound))) for bound in bounds]
    buckets.append(("+Inf", float(len(ordered))))
    return buckets


class TechScanCollector:
    """Builds every metric family from the database and the broker at scrape time."""

    def __init__(self, config: Settings) -> None:
        self.config = config

    def describe(self) -> Iterable[Metric]:
        """Nothing up front: the registry must not scrape the database when the collector is registered."""
        return []

    def collect(self) -> Iterator[Metric]:
        """The current values."""
        stored = stored_counts(self.config)
        scans, steps, durations, evidence = stored.scans, stored.steps, stored.durations, stored.evidence
        counters, failures, deliveries = stored.counters, stored.failures, stored.deliveries
        depths = queue_depths(self.config)
        unacked = unacked_count(self.config)

        yield _gauge("techscaniq_scans", "Scans by status", ["status"], {(k,): v for k, v in scans.items()})
        yield _gauge("techscaniq_scan_steps", "Scan steps by step and status", ["step", "status"], steps)
        histogram = HistogramMetricFamily(
            "techscaniq_step_duration_seconds",
            "Time from start to finish of completed steps",
            labels=["step"],
        )
        for step, values in sorted(durations.items()):
            histogram.add_metric(
                [step], _histogram_buckets(values, STEP_DURATION_BUCKETS_SECONDS), sum(values)
            )
        yield histogram
        yield _gauge(
            "techscaniq_evidence_items",
            "Stored evidence items by category",
            ["category"],
            {(k,): v for k, v in evidence.items()},
        )
        yield _counter(
            "techscaniq_step_retries",
            "Automatic retries after retryable errors",
            ["step"],
            {(step,): c.retries for step, c in counters.items()},
        )
        yield _counter(
            "techscaniq_step_redeliveries",
            "Extra deliveries of a step after its worker died",
            ["step"],
            {(step,): c.redeliveries for step, c in counters.items()},
        )
        yield _counter(
            "techscaniq_step_reruns",
            "Steps run again on request",
            ["step"],
            {(step,): c.reruns for step, c in counters.items()},
        )
        yield _counter(
            "techscaniq_scan_failures",
            "Failed scans by error code",
            ["code"],
            {(k,): v for k, v in failures.items()},
        )
        yield _counter(
            "techscaniq_webhook_deliveries",
            "Completion webhook delivery attempts",
            ["outcome"],
            {(k,): v for k, v in deliveries.items()},
        )
        yield _gauge(
            "techscaniq_queue_depth",
            "Messages waiting in each queue",
            ["queue"],
            {(queue,): depth for queue, depth in depths.items() if depth is not None},
        )
        yield _gauge(
            "techscaniq_queue_unacked",
            "Messages delivered to workers and not yet acknowledged",
            [],
            {} if unacked is None else {(): unacked},
        )
        broker_up = bool(depths) and all(depth is not None for depth in depths.values())
        yield _gauge(
            "techscaniq_broker_up", "1 when the Redis broker answered this scrape", [], {(): int(broker_up)}
        )


def _gauge(
    name: str, documentation: str, labels: list[str], values: Mapping[tuple[str, ...], float]
) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for label_values, value in sorted(values.items()):
        family.add_metric(list(label_values), value)
    return family


def _counter(
    name: str, documentation: str, labels: list[str], values: Mapping[tuple[str, ...], float]
) -> Metric:
    family = CounterMetricFamily(name, documentation, labels=labels)
    for label_values, value in sorted(values.items()):
        family.add_metric(list(label_values), value)
    return family


def render_metrics(config: Settings) -> bytes:
    """The Prometheus text exposition of every techscaniq metric."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TechScanCollector(config))
    return generate_latest(registry)


@metrics_api.route("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus metrics for admins (an admin API key, an admin session or the FLOWER_BASIC_AUTH credentials)."""
    if admin_auth_kind() is None:
        return unauthorized()
    response = Response(render_metrics(settings()), mimetype=None, content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response
