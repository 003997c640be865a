"""A step whose message vanished from Redis before any worker took it is sent again by the reaper, a step whose
message keeps vanishing fails with code `lost`, and a message still queued is left alone. Real Redis, real workers.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from techscaniq import reaper
from techscaniq.app import create_app
from techscaniq.config import Settings
from techscaniq.domain import EventKind, Scan, ScanStatus, StepName, StepStatus
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.api import submit_scan
from tests.support.databases import Database, settings_for
from tests.support.processes import RedisServer, Worker
from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration

QUEUE_TIMEOUT_SECONDS = 2
MAX_SENDS = 3
WAIT_SECONDS = 120
LOST_ENV = {
    "TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS": str(QUEUE_TIMEOUT_SECONDS),
    "TECHSCANIQ_REAPER_INTERVAL_SECONDS": "1",
    "TECHSCANIQ_MAX_STEP_DELIVERIES": str(MAX_SENDS),
}


@dataclass
class Lost:
    """One database, the session's Redis, the API's test client and the workers a test starts."""

    database: Database
    settings: Settings
    broker: redis.Redis
    client: Any
    key: str
    directory: Path
    workers: list[Worker] = field(default_factory=list)

    def worker(self, queue: str) -> Worker:
        """Start a worker (with its reaper) for one queue; stopped at the end of the test."""
        name = f"{queue}-{len(self.workers)}"
        env = {**os.environ, **self.database.env(), **LOST_ENV}
        started = Worker(queue, env, self.directory / f"{name}.log", name=f"{name}@%h").start()
        self.workers.append(started)
        return started

    def submit(self, url: str) -> str:
        """POST a scan; its id."""
        return submit_scan(self.client, self.key, url)

    def scan(self, scan_id: str) -> Scan:
        """The stored scan."""
        with session_scope(self.settings, write=False) as session:
            return repo.get_scan(session, scan_id)

    def queued(self, queue: str) -> list[tuple[bytes, str]]:
        """(raw message, task id) of every message waiting in a queue."""
        return [
            (raw, str(json.loads(raw)["headers"]["id"]))
            for raw in self.broker.lrange(queue, 0, -1)  # type: ignore[union-attr]
        ]

    def drop_messages(self, queue: str, scan_id: str) -> int:
        """Delete a scan's messages from a queue before any worker takes them; how many went."""
        dropped = 0
        for raw, task_id in self.queued(queue):
            if task_id.startswith(scan_id):
                dropped += int(self.broker.lrem(queue, 1, raw))  # type: ignore[arg-type]
        return dropped

    def wait_for(self, what: str, condition: Callable[[], bool]) -> None:
        """Poll until the condition holds; fail with every worker's log tail otherwise."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not condition():
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {w.name} ---\n{w.log()[-3000:]}" for w in self.workers)
                raise AssertionError(f"timed out waiting for {what}\n{logs}")
            time.sleep(0.05)

    def warnings(self, scan_id: str) -> list[str]:
        """The scan's warning events."""
        with session_scope(self.settings, write=False) as session:
            return [e.message for e in repo.list_events(session, scan_id) if e.kind == EventKind.WARNING]


@pytest.fixture
def lost(database: Database, redis_server: RedisServer, tmp_path: Path) -> Iterator[Lost]:
    """A clean broker, a migrated database (SQLite, then PostgreSQL) and an API key; workers stopped afterwards."""
    broker = redis.Redis.from_url(redis_server.url)
    broker.flushall()
    settings: Settings = settings_for(database, **LOST_ENV)
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Lost Message Capital", label="tests", is_admin=False)
    running = Lost(database, settings, broker, create_app(settings).test_client(), key, tmp_path)
    try:
        yield running
    finally:
        for worker in running.workers:
            worker.stop()
        broker.close()


def test_steps_whose_messages_vanished_before_delivery_are_sent_again_and_the_scan_completes(
    lost: Lost,
) -> None:
    with LoopbackSite() as site:
        scan_id = lost.submit(site.url)
        # No worker runs yet: the message sits in the queue, and vanishes there (a broker that lost it).
        assert [task_id for _, task_id in lost.queued("evidence")] == [f"{scan_id}.evidence.1"]
        assert lost.drop_messages("evidence", scan_id) == 1
        lost.worker("evidence")
        lost.wait_for(
            "the evidence step to complete",
            lambda: lost.scan(scan_id).steps[StepName.EVIDENCE].status == StepStatus.COMPLETED,
        )
        # The chain's next message vanishes too, before a report worker exists.
        lost.wait_for("the report message", lambda: lost.drop_messages("reports", scan_id) == 1)
        lost.worker("reports")
        lost.wait_for("the scan to finish", lambda: lost.scan(scan_id).status.is_final)
    final = lost.scan(scan_id)
    assert final.status == ScanStatus.COMPLETED, final
    assert final.steps[StepName.EVIDENCE].task_id == f"{scan_id}.evidence.1.q1"
    assert final.steps[StepName.REPORT].task_id == f"{scan_id}.report.1.q1"
    resent = [message for message in lost.warnings(scan_id) if "never reached a worker" in message]
    assert len(resent) == 2, lost.warnings(scan_id)
    with session_scope(lost.settings, write=False) as session:
        keys = [(item.type, item.dedup_key) for item in repo.all_evidence(session, scan_id)]
        assert keys and len(keys) == len(set(keys))
        assert repo.count_reports(session, scan_id) == 1


def test_a_message_that_keeps_vanishing_fails_the_scan_lost_while_a_queued_one_is_left_alone(
    lost: Lost,
) -> None:
    with LoopbackSite() as site:
        # Queued first, so it has waited longer than the bound whenever the other one has.
        queued_id = lost.submit(site.url)
        vanishing_id = lost.submit(site.url)
        # Only a report worker: its reaper runs, and nothing takes messages from the evidence queue.
        lost.worker("reports")

        def vanished_until_final() -> bool:
            lost.drop_messages("evidence", vanishing_id)  # every copy the reaper sends vanishes too
            return lost.scan(vanishing_id).status.is_final

        lost.wait_for("the vanishing scan to end", vanished_until_final)
        failed = lost.scan(vanishing_id)
        assert failed.status == ScanStatus.FAILED and failed.error_code == "lost", failed
        evidence = failed.steps[StepName.EVIDENCE]
        assert evidence.status == StepStatus.FAILED and evidence.error_code == "lost"
        assert evidence.task_id == f"{vanishing_id}.evidence.1.q{MAX_SENDS - 1}"
        assert failed.steps[StepName.REPORT].status == StepStatus.SKIPPED
        resent = [message for message in lost.warnings(vanishing_id) if "never reached a worker" in message]
        assert len(resent) == MAX_SENDS - 1
        status = lost.client.get(
            f"/api/scans/{vanishing_id}/status", headers={"Authorization": f"Bearer {lost.key}"}
        ).get_json()
        assert "lost" in json.dumps(status)

        # The scan whose message stayed queued all along was never sent again, nor failed.
        waiting = lost.scan(queued_id)
        assert waiting.status == ScanStatus.PENDING
        assert waiting.steps[StepName.EVIDENCE].task_id == f"{queued_id}.evidence.1"
        assert lost.warnings(queued_id) == []
        assert [task_id for _, task_id in lost.queued("evidence")] == [f"{queued_id}.evidence.1"]
        # Its message was good all along: a worker takes it and the scan completes.
        lost.worker("evidence")
        lost.wait_for("the queued scan to finish", lambda: lost.scan(queued_id).status.is_final)
    assert lost.scan(queued_id).status == ScanStatus.COMPLETED


@pytest.mark.parametrize("keeps_data", [False, True], ids=["forgets", "keeps"])
def test_after_a_redis_restart_the_reaper_looks_for_older_messages_at_once(
    database: Database, tmp_path: Path, keeps_data: bool
) -> None:
    private = RedisServer(tmp_path / "redis").start()
    try:
        # The default wait before a search (5 minutes with Redis), so only the restart can make it look now.
        settings = settings_for(database, REDIS_URL=private.url, TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS="300")
        with session_scope(settings) as session:
            _, key = repo.create_api_key(session, "Restart Capital", label="tests", is_admin=False)
        client = create_app(settings).test_client()
        scan_id = submit_scan(client, key, "http://127.0.0.1:9/")
        time.sleep(1.1)  # INFO counts whole seconds: the scan must be older than the restarted server
        assert reaper.recover_lost_messages(settings, dispatch=True) == []
        private.stop()
        if not keeps_data:
            shutil.rmtree(tmp_path / "redis")  # a Redis that keeps nothing on disk comes back empty
        private.start()
        time.sleep(1.1)
        handled = reaper.recover_lost_messages(settings, dispatch=True)
        broker = redis.Redis.from_url(private.url)
        queued = [json.loads(raw)["headers"]["id"] for raw in broker.lrange("evidence", 0, -1)]  # type: ignore[union-attr]
        broker.close()
        if keeps_data:
            assert (handled, queued) == ([], [f"{scan_id}.evidence.1"])
        else:
            assert handled == [(scan_id, StepName.EVIDENCE, "resent")]
            assert queued == [f"{scan_id}.evidence.1.q1"]
    finally:
        private.stop()
