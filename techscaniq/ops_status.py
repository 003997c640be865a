"""What `techscaniq status` prints: queue depths (Redis LLEN), live workers (celery inspect) and running scans."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from techscaniq.broker import KOMBU_UNACKED_KEY, QUEUES, celery_init_app, queue_keys, redis_client
from techscaniq.config import Settings
from techscaniq.domain import ScanStatus, StepName
from techscaniq.storage.ops_repo import StepCounters

REDIS_TIMEOUT_SECONDS = 3.0
INSPECT_TIMEOUT_SECONDS = 2.0
RUNNING_SCANS_SHOWN = 50


@dataclass(frozen=True)
class WorkerInfo:
    """One live worker as it answered `celery inspect`."""

    name: str
    queues: tuple[str, ...]
    concurrency: int | None
    active_tasks: int
    processed: int


@dataclass(frozen=True)
class RunningScan:
    """A scan that is pending or processing."""

    id: str
    company: str
    status: str
    evidence: str
    evidence_progress: int
    report: str


@dataclass
class OpsStatus:
    """Queue depths (None when unknown), workers, running scans, and any problem met while asking."""

    queues: dict[str, int | None] = field(default_factory=dict)
    unacked: int | None = None
    workers: list[WorkerInfo] = field(default_factory=list)
    running: list[RunningScan] = field(default_factory=list)
    running_total: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StoredCounts:
    """What the metrics endpoint reads from the database at scrape time, in one transaction."""

    scans: dict[str, int]
    steps: dict[tuple[str, ...], int]
    durations: dict[str, list[float]]
    evidence: dict[str, int]
    counters: dict[str, StepCounters]
    failures: dict[str, int]
    deliveries: dict[str, int]


def stored_counts(settings: Settings) -> StoredCounts:
    """Scans, steps, durations, evidence, retries, failures and webhook deliveries as counted now."""
    from techscaniq.storage import ops_repo, webhook_repo
    from techscaniq.storage.db import session_scope

    with session_scope(settings, write=False) as session:
        return StoredCounts(
            scans=ops_repo.scans_by_status(session),
            steps=ops_repo.steps_by_status(session),
            durations=ops_repo.finished_step_durations(session),
            evidence=ops_repo.evidence_by_category(session),
            counters=ops_repo.step_counters(session),
            failures=ops_repo.failures_by_code(session),
            deliveries=webhook_repo.delivery_counts(session),
        )


def ping_database(settings: Settings) -> None:
    """Raise when the database cannot answer a trivial query now."""
    from techscaniq.storage.db import ping

    ping(settings)


def queue_depths(settings: Settings) -> dict[str, int | None]:
    """Messages waiting per queue (all priority lists summed); None per queue when Redis cannot tell."""
    if not settings.redis_url:
        return {queue: None for queue in QUEUES}
    try:
        client = redis_client(settings.redis_url, timeout_seconds=REDIS_TIMEOUT_SECONDS)
        with client.pipeline(transaction=False) as pipe:
            for queue in QUEUES:
                for key in queue_keys(queue):
                    pipe.llen(key)
            lengths = pipe.execute()
        client.close()
    except Exception:  # noqa: BLE001 - an unreachable broker is reported as unknown depths
        return {queue: None for queue in QUEUES}
    per_queue = len(queue_keys(QUEUES[0]))
    return {queue: int(sum(lengths[i * per_queue : (i + 1) * per_queue])) for i, queue in enumerate(QUEUES)}


def unacked_count(settings: Settings) -> int | None:
    """Messages delivered to workers and not yet acknowledged (kombu's unacked hash), or None."""
    if not settings.redis_url:
        return None
    try:
        client = redis_client(settings.redis_url, timeout_seconds=REDIS_TIMEOUT_SECONDS)
        # redis-py's sync client returns an int; its annotation also covers the async client.
        count = int(cast(int, client.hlen(KOMBU_UNACKED_KEY)))
        client.close()
    except Exception:  # noqa: BLE001 - unknown rather than an error
        return None
    return count


def live_workers(settings: Settings, timeout_seconds: float = INSPECT_TIMEOUT_SECONDS) -> list[WorkerInfo]:
    """Every worker that answers a broadcast within the timeout; raises when the broker cannot broadcast."""
    inspect = celery_init_app(settings).control.inspect(timeout=timeout_seconds)
    pings = inspect.ping() or {}
    if not pings:
        return []
    stats = inspect.stats() or {}
    queues = inspect.active_queues() or {}
    active = inspect.active() or {}
    workers = []
    for name in sorted(pings):
        worker_stats = stats.get(name, {})
        processed = worker_stats.get("total", {})
        workers.append(
            WorkerInfo(
                name=name,
                queues=tuple(sorted(q["name"] for q in queues.get(name, []))),
                concurrency=worker_stats.get("pool", {}).get("max-concurrency"),
                active_tasks=len(active.get(name, [])),
                processed=int(sum(processed.values())) if isinstance(processed, dict) else 0,
            )
        )
    return workers


def running_scans(settings: Settings) -> tuple[list[RunningScan], int]:
    """Pending and processing scans (newest first, at most RUNNING_SCANS_SHOWN) and how many there are."""
    from techscaniq.storage import repo
    from techscaniq.storage.db import session_scope

    shown: list[RunningScan] = []
    total = 0
    with session_scope(settings, write=False) as session:
        for status in (ScanStatus.PROCESSING, ScanStatus.PENDING):
            rows, count = repo.list_scans(
                session, org_id=None, page=1, per_page=RUNNING_SCANS_SHOWN, status=status
            )
            total += count
            for scan, _report in rows:
                evidence, report = scan.steps[StepName.EVIDENCE], scan.steps[StepName.REPORT]
                shown.append(
                    RunningScan(
                        id=scan.id,
                        company=scan.company_name,
                        status=str(scan.status),
                        evidence=str(evidence.status),
                        evidence_progress=evidence.progress,
                        report=str(report.status),
                    )
                )
    return shown[:RUNNING_SCANS_SHOWN], total


def collect_status(
    settings: Settings, *, inspect_timeout_seconds: float = INSPECT_TIMEOUT_SECONDS
) -> OpsStatus:
    """Everything `techscaniq status` shows; each part that cannot be read becomes a problem line."""
    status = OpsStatus()
    status.queues = queue_depths(settings)
    status.unacked = unacked_count(settings)
    if settings.redis_url and all(depth is None for depth in status.queues.values()):
        status.problems.append("the Redis broker did not answer")
    elif not settings.redis_url:
        status.problems.append("no Redis configured: queue depths and workers are known only with Redis")
    if settings.redis_url:
        try:
            status.workers = live_workers(settings, inspect_timeout_seconds)
        except Exception as error:  # noqa: BLE001 - shown, not raised
            status.problems.append(f"workers could not be asked: {type(error).__name__}")
    try:
        status.running, status.running_total = running_scans(settings)
    except Exception as error:  # noqa: BLE001 - shown, not raised
        status.problems.append(f"the database could not be read: {type(error).__name__}")
    return status


def format_status(status: OpsStatus) -> str:
    """The status as the lines the CLI prints."""
    lines = ["queues:"]
    for queue, depth in status.queues.items():
        lines.append(f"  {queue}: {'unknown' if depth is None else depth} waiting")
    if status.unacked is not None:
        lines.append(f"  delivered, not yet acknowledged: {status.unacked}")
    lines.append(f"workers: {len(status.workers)}")
    for worker in status.workers:
        queues = ",".join(worker.queues) or "-"
        concurrency = "?" if worker.concurrency is None else worker.concurrency
        lines.append(
            f"  {worker.name}  queues={queues}  concurrency={concurrency}  active={worker.active_tasks}"
            f"  processed={worker.processed}"
        )
    lines.append(f"running scans: {status.running_total}")
    for scan in status.running:
        lines.append(
            f"  {scan.id}  {scan.status:10}  evidence={scan.evidence} {scan.evidence_progress}%"
            f"  report={scan.report}  {scan.company}"
        )
    lines.extend(f"problem: {problem}" for problem in status.problems)
    return "\n".join(lines)
