"""The in-worker reaper: re-dispatches steps whose worker died (expired lease) or whose message vanished, and fails
poison steps and steps whose message keeps vanishing (`lost`)."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any, cast

import redis

from techscaniq import pipeline, tasks
from techscaniq.broker import KOMBU_UNACKED_KEY, QUEUES, queue_keys, redis_client
from techscaniq.config import Settings
from techscaniq.domain import EventKind, StepName
from techscaniq.retention import delete_expired_scans
from techscaniq.storage import ops_repo, repo
from techscaniq.storage.db import session_scope
from techscaniq.storage.locks import held_alone
from techscaniq.webhooks import deliver_completion_webhook

log = logging.getLogger(__name__)

# A step sent again because its message vanished gets "<scan>.<step>.<attempt>.q<n>": n counts the re-sends.
_RESENT_SUFFIX = re.compile(r"\.q(?P<count>\d+)$")
BROKER_SCAN_CHUNK = 500
BROKER_TIMEOUT_SECONDS = 10.0

_stop = threading.Event()
_thread: threading.Thread | None = None


def expired_lease_action(crashes: int, max_deliveries: int) -> str:
    """What the reaper does with a step whose lease expired: "poison" once max_deliveries deliveries in a row
    crashed (stored no progress and left no clean exit), else "redispatch"."""
    return "poison" if crashes >= max_deliveries else "redispatch"


def lost_message_action(*, in_broker: bool, sends: int, max_sends: int) -> str:
    """What the reaper does with a step that waited past the queue timeout: "wait" while its message is in the
    broker, "lost" once it was sent max_sends times and vanished each time, else "resend"."""
    if in_broker:
        return "wait"
    return "lost" if sends >= max_sends else "resend"


def reap_once(settings: Settings, *, dispatch: bool = True) -> list[tuple[str, StepName, str]]:
    """One pass: returns (scan_id, step, action) for every expired step it handled."""
    handled: list[tuple[str, StepName, str]] = []
    with session_scope(settings, write=False) as session:
        expired = repo.expired_steps(session)
    for scan_id, step, state in expired:
        if expired_lease_action(state.crashes, settings.max_step_deliveries) == "poison":
            message = f"the {step} step was delivered {state.crashes} times and never finished or progressed"
            with session_scope(settings) as session:
                # Conditional on the expired owner this reaper saw: of several reapers, one fails it, once.
                failed = repo.fail_step_and_scan(
                    session,
                    scan_id,
                    step,
                    "poison",
                    message,
                    later_steps=pipeline.STEP_ORDER[pipeline.STEP_ORDER.index(step) + 1 :],
                    owner=state.owner,
                    only_expired=True,
                )
            if failed:
                log.error("scan %s failed in %s: poison %s", scan_id, step, message)
                deliver_completion_webhook(settings, scan_id)
                handled.append((scan_id, step, "poison"))
            continue
        new_task_id = tasks.task_id_for(scan_id, step, state.attempt, suffix=f".r{state.deliveries}")
        with session_scope(settings) as session:
            if not repo.requeue_expired_step(session, scan_id, step, task_id=new_task_id, owner=state.owner):
                continue
            scan = repo.get_scan(session, scan_id)
            repo.append_event(
                session,
                scan_id,
                EventKind.WARNING,
                f"{step} worker stopped answering; the step was handed to another worker",
                step=step,
                data={"task_id": new_task_id, "deliveries": state.deliveries},
            )
        if dispatch:
            task_ids = {name: scan.steps[name].task_id for name in pipeline.STEP_ORDER}
            later = pipeline.STEP_ORDER[pipeline.STEP_ORDER.index(step) :]
            tasks.enqueue_steps(settings, scan_id, {name: task_ids[name] for name in later})
        handled.append((scan_id, step, "redispatched"))
        log.warning("reaper re-dispatched %s of scan %s as %s", step, scan_id, new_task_id)
    return handled


def _message_task_id(raw: bytes | str) -> str | None:
    # kombu's Redis transport stores a message as JSON; Celery puts the task id in its headers. An unacked entry is
    # [message, exchange, routing key].
    try:
        message: Any = json.loads(raw)
    except ValueError:
        return None
    if isinstance(message, list) and message:
        message = message[0]
    headers = message.get("headers") if isinstance(message, dict) else None
    task_id = headers.get("id") if isinstance(headers, dict) else None
    return task_id if isinstance(task_id, str) else None


def broker_task_ids(settings: Settings) -> set[str] | None:
    """Task ids of every message in Redis: queued (all priorities) or delivered and not yet acknowledged.

    None when the broker cannot be searched (the embedded SQLite transport); raises when Redis cannot be reached.
    """
    if not settings.redis_url:
        return None
    client = redis_client(settings.redis_url, timeout_seconds=BROKER_TIMEOUT_SECONDS)
    found: set[str] = set()
    try:
        # Queues first, then unacked, the way a delivery moves a message. One that slips through anyway (popped
        # but not yet recorded as unacked) costs a spare copy at most: the step's claim lets only one copy run.
        for queue in QUEUES:
            for key in queue_keys(queue):
                start = 0
                # redis-py's sync client returns a list; its annotation also covers the async client.
                while chunk := cast(list[bytes], client.lrange(key, start, start + BROKER_SCAN_CHUNK - 1)):
                    found.update(filter(None, map(_message_task_id, chunk)))
                    start += BROKER_SCAN_CHUNK
        for _, raw in client.hscan_iter(KOMBU_UNACKED_KEY, count=BROKER_SCAN_CHUNK):
            task_id = _message_task_id(raw)
            if task_id:
                found.add(task_id)
    finally:
        client.close()
    return found


def broker_uptime_seconds(settings: Settings) -> int | None:
    """How long the Redis broker has run (INFO uptime), or None without Redis or when it cannot say."""
    if not settings.redis_url:
        return None
    client = redis_client(settings.redis_url, timeout_seconds=BROKER_TIMEOUT_SECONDS)
    try:
        uptime = cast(dict[str, Any], client.info("server")).get("uptime_in_seconds")
    except redis.RedisError:
        return None  # some managed plans refuse INFO: the queue timeout alone then decides
    finally:
        client.close()
    return uptime if isinstance(uptime, int) else None


def _sends(task_id: str) -> int:
    match = _RESENT_SUFFIX.search(task_id)
    return int(match.group("count")) + 1 if match else 1


def recover_lost_messages(settings: Settings, *, dispatch: bool = True) -> list[tuple[str, StepName, str]]:
    """One pass over steps that waited too long for a message: (scan_id, step, action) for each one handled.

    A step whose task id is still in the broker waits on (a long queue is no fault). One found nowhere is sent
    again under a new task id; once it was sent max_step_deliveries times, it fails with code `lost`.
    """
    uptime = broker_uptime_seconds(settings)
    with session_scope(settings, write=False) as session:
        cutoff = repo.database_time(session, -settings.step_queue_timeout_seconds)
        if uptime is not None and uptime < settings.step_queue_timeout_seconds:
            # Redis restarted since: a message sent before that may be gone with a Redis that keeps nothing on
            # disk, so every step waiting since before the restart is looked for now, not after the full wait.
            cutoff = repo.database_time(session, -uptime)
            log.info("the broker restarted %d s ago: looking for steps waiting since before it", uptime)
        waiting = ops_repo.steps_waiting_for_a_message(
            session, pipeline.STEP_ORDER, waiting_since_before=cutoff
        )
    if not waiting:
        return []
    # Without a searchable broker the wait alone decides (see TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS).
    known = broker_task_ids(settings) or set()
    handled: list[tuple[str, StepName, str]] = []
    for scan_id, step, state in waiting:
        sends = _sends(state.task_id)
        action = lost_message_action(
            in_broker=state.task_id in known, sends=sends, max_sends=settings.max_step_deliveries
        )
        if action == "wait":
            continue
        later = pipeline.STEP_ORDER[pipeline.STEP_ORDER.index(step) + 1 :]
        if action == "lost":
            message = (
                f"the {step} step was sent {sends} times and its message vanished before any worker took it"
            )
            with session_scope(settings) as session:
                if not ops_repo.fail_waiting_step(
                    session, scan_id, step, task_id=state.task_id, waiting_since_before=cutoff,
                    code="lost", message=message,
                ):  # fmt: skip
                    continue
                repo.fail_scan_after_step(session, scan_id, step, "lost", message, later_steps=later)
            log.error("scan %s failed in %s: lost %s", scan_id, step, message)
            deliver_completion_webhook(settings, scan_id)
            handled.append((scan_id, step, "lost"))
            continue
        new_task_id = tasks.task_id_for(scan_id, step, state.attempt, suffix=f".q{sends}")
        with session_scope(settings) as session:
            if not ops_repo.redispatch_waiting_step(
                session, scan_id, step, task_id=state.task_id, new_task_id=new_task_id,
                waiting_since_before=cutoff,
            ):  # fmt: skip
                continue
            scan = repo.get_scan(session, scan_id)
            repo.append_event(
                session,
                scan_id,
                EventKind.WARNING,
                f"the {step} message never reached a worker; the step was sent again",
                step=step,
                data={"task_id": new_task_id, "lost_task_id": state.task_id, "sends": sends + 1},
            )
        if dispatch:
            tasks.enqueue_steps(
                settings, scan_id, {name: scan.steps[name].task_id for name in (step, *later)}
            )
        handled.append((scan_id, step, "resent"))
        log.warning(
            "scan %s: %s message %s vanished; sent again as %s", scan_id, step, state.task_id, new_task_id
        )
    return handled


def start_reaper(*, hostname: str) -> None:
    """Start the reaper thread in this worker process (once)."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    settings = Settings.from_env()
    _stop.clear()

    jobs: tuple[Callable[[Settings], object], ...] = (reap_once, recover_lost_messages, delete_expired_scans)

    def loop() -> None:
        while not _stop.wait(settings.reaper_interval_seconds):
            try:
                with held_alone(settings, "reaper") as alone:
                    if alone:  # another worker's reaper is in its pass: this one skips a tick
                        reap_pass(settings, jobs, hostname)
            except Exception:  # the reaper must outlive database and broker blips
                log.exception("reaper lock failed on %s", hostname)

    _thread = threading.Thread(target=loop, name="techscaniq-reaper", daemon=True)
    _thread.start()


def reap_pass(settings: Settings, jobs: tuple[Callable[[Settings], object], ...], hostname: str) -> None:
    """Run every reaper job once; one job's failure does not stop the others."""
    for job in jobs:
        try:
            job(settings)
        except Exception:  # the reaper must outlive database and broker blips
            log.exception("reaper pass %s failed on %s", job.__name__, hostname)


def stop_reaper() -> None:
    """Stop the reaper thread."""
    _stop.set()
