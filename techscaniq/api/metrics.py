"""/metrics in Prometheus text format (admin only): scans, steps, evidence, queues, retries and failures.

Every scrape reads the database and Redis afresh, so any number of API processes answer the same numbers.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from techscaniq.api.auth import settings
from techscaniq.api.flower import admin_auth_kind, unauthorized
from techscaniq.config import Settings
from techscaniq.ops_status import QUEUES, queue_depths, unacked_count
from techscaniq.storage import ops_repo, webhook_repo
from techscaniq.storage.db import session_scope

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
        with session_scope(self.config, write=False) as session:
            scans = ops_repo.scans_by_status(session)
            steps = ops_repo.steps_by_status(session)
            durations = ops_repo.finished_step_durations(session)
            evidence = ops_repo.evidence_by_category(session)
            counters = ops_repo.step_counters(session)
            failures = ops_repo.failures_by_code(session)
            deliveries = webhook_repo.delivery_counts(session)

        family = GaugeMetricFamily("techscaniq_scans", "Scans by status", labels=["status"])
        for status, count in sorted(scans.items()):
            family.add_metric([status], count)
        yield family

        family = GaugeMetricFamily("techscaniq_scan_steps", "Scan steps by step and status", labels=["step", "status"])
        for (step, status), count in sorted(steps.items()):
            family.add_metric([step, status], count)
        yield family

        histogram = HistogramMetricFamily(
            "techscaniq_step_duration_seconds", "Time from start to finish of completed steps", labels=["step"]
        )
        for step, values in sorted(durations.items()):
            histogram.add_metric([step], _histogram_buckets(values, STEP_DURATION_BUCKETS_SECONDS), sum(values))
        yield histogram

        family = GaugeMetricFamily("techscaniq_evidence_items", "Stored evidence items by category", labels=["category"])
        for category, count in sorted(evidence.items()):
            family.add_metric([category], count)
        yield family

        retries = CounterMetricFamily("techscaniq_step_retries", "Automatic retries after retryable errors", labels=["step"])
        redeliveries = CounterMetricFamily(
            "techscaniq_step_redeliveries", "Extra deliveries of a step after its worker died", labels=["step"]
        )
        reruns = CounterMetricFamily("techscaniq_step_reruns", "Steps run again on request", labels=["step"])
        for step, counted in sorted(counters.items()):
            retries.add_metric([step], counted.retries)
            redeliveries.add_metric([step], counted.redeliveries)
            reruns.add_metric([step], counted.reruns)
        yield from (retries, redeliveries, reruns)

        family = CounterMetricFamily("techscaniq_scan_failures", "Failed scans by error code", labels=["code"])
        for code, count in sorted(failures.items()):
            family.add_metric([code], count)
        yield family

        family = CounterMetricFamily(
            "techscaniq_webhook_deliveries", "Completion webhook delivery attempts", labels=["outcome"]
        )
        for outcome, count in sorted(deliveries.items()):
            family.add_metric([outcome], count)
        yield family

        depths = queue_depths(self.config)
        family = GaugeMetricFamily("techscaniq_queue_depth", "Messages waiting in each queue", labels=["queue"])
        for queue in QUEUES:
            if depths.get(queue) is not None:
                family.add_metric([queue], depths[queue])
        yield family
        unacked = unacked_count(self.config)
        family = GaugeMetricFamily("techscaniq_queue_unacked", "Messages delivered to workers and not yet acknowledged")
        if unacked is not None:
            family.add_metric([], unacked)
        yield family
        family = GaugeMetricFamily("techscaniq_broker_up", "1 when the Redis broker answered this scrape")
        family.add_metric([], 0 if any(depth is None for depth in depths.values()) or not depths else 1)
        yield family


def render_metrics(config: Settings) -> bytes:
    """The Prometheus text exposition of every techscaniq metric."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TechScanCollector(config))  # type: ignore[arg-type]
    return generate_latest(registry)


@metrics_api.route("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus metrics for admins (an admin API key, an admin session or the FLOWER_BASIC_AUTH credentials)."""
    if admin_auth_kind() is None:
        return unauthorized()
    response = Response(render_metrics(settings()), mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
