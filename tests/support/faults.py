"""Fault tests' shared parts: short-lease settings, a PostgreSQL or SQLite stack that starts workers on demand, a
TCP proxy that can cut PostgreSQL and a lock that shuts SQLite's writers out."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import select

from techscaniq.app import create_app
from techscaniq.broker import celery_init_app
from techscaniq.config import Settings
from techscaniq.domain import Step, StepName
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from techscaniq.storage.tables import evidence_items
from tests.support.api import submit_scan
from tests.support.databases import TEST_DATABASE_URL, Database, drop_database, make_database, settings_for
from tests.support.processes import RedisServer, Worker, free_port

LEASE_SECONDS = 4
REAPER_INTERVAL_SECONDS = 1
MAX_DELIVERIES = 3
WAIT_SECONDS = 90
FAULT_ENV = {
    "TECHSCANIQ_STEP_LEASE_SECONDS": str(LEASE_SECONDS),
    "TECHSCANIQ_REAPER_INTERVAL_SECONDS": str(REAPER_INTERVAL_SECONDS),
    "TECHSCANIQ_MAX_STEP_DELIVERIES": str(MAX_DELIVERIES),
}
MEASUREMENTS_FILE = Path(
    os.environ.get("TECHSCANIQ_FAULT_MEASUREMENTS", "/tmp/techscaniq-fault-measurements.json")
)


@dataclass
class Faults:
    """A PostgreSQL schema or a SQLite file, one database of the session's Redis, the API test client and the
    workers a test starts."""

    database: Database
    settings: Settings
    redis: RedisServer
    redis_url: str
    client: Any
    key: str
    directory: Path
    workers: list[Worker] = field(default_factory=list)

    def env(self, **overrides: str) -> dict[str, str]:
        """The workers' environment: this database and Redis database, short leases, plus overrides."""
        return {**os.environ, **self.database.env(), "REDIS_URL": self.redis_url, **FAULT_ENV, **overrides}

    def worker(self, queue: str, **env: str) -> Worker:
        """Start a worker for one queue (stopped at the end of the test)."""
        return self.launch(queue, **env).wait_ready()

    def launch(self, queue: str, **env: str) -> Worker:
        """Start a worker for one queue without waiting for it to be ready (wait_ready, or start_together)."""
        name = f"{queue}-{uuid.uuid4().hex[:6]}"
        launched = Worker(queue, self.env(**env), self.directory / f"{name}.log", name=f"{name}@%h").launch()
        self.workers.append(launched)
        return launched

    def submit(self, url: str) -> str:
        """POST a scan and return its id."""
        # One Celery app per process: point it at this stack's Redis database (a test may run two stacks).
        celery_init_app(self.settings)
        return submit_scan(self.client, self.key, url)

    def scan(self, scan_id: str) -> Any:
        """The stored scan."""
        with session_scope(self.settings, write=False) as session:
            return repo.get_scan(session, scan_id)

    def step(self, scan_id: str, step: StepName) -> Step:
        """One stored step."""
        return self.scan(scan_id).steps[step]

    def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
        """Poll until the condition holds; fail with every worker's log tail otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        logs = "\n".join(f"--- {w.name} ---\n{w.log()[-3000:]}" for w in self.workers)
        raise AssertionError(f"timed out waiting for {what}\n{logs}")

    def wait_final(self, scan_id: str) -> Any:
        """Wait until the scan is completed, failed or cancelled."""
        self.wait_for(f"scan {scan_id} to finish", lambda: self.scan(scan_id).status.is_final)
        return self.scan(scan_id)

    def events(self, scan_id: str) -> list[Any]:
        """The scan's event log."""
        with session_scope(self.settings, write=False) as session:
            return repo.list_events(session, scan_id)

    def evidence_keys(self, scan_id: str) -> list[tuple[str, str]]:
        """(type, dedup key) of every stored item, duplicates included."""
        with session_scope(self.settings, write=False) as session:
            rows = session.execute(
                select(evidence_items.c.type, evidence_items.c.dedup_key).where(
                    evidence_items.c.scan_id == scan_id
                )
            )
            return sorted((row.type, row.dedup_key) for row in rows)


@contextlib.contextmanager
def running_faults(
    redis_server: RedisServer, tmp_path: Path, kind: str = "postgres", *, redis_db: int = 0
) -> Iterator[Faults]:
    """A fresh PostgreSQL schema or SQLite file (shared by the API and every worker), a clean database of the
    broker and an admin key; every worker started is killed afterwards."""
    redis_url = redis_server.url.rsplit("/", 1)[0] + f"/{redis_db}"
    redis.Redis.from_url(redis_url).flushdb()
    directory = tmp_path / kind
    directory.mkdir(parents=True, exist_ok=True)
    database = (
        Database("postgres", TEST_DATABASE_URL, f"tsq_faults_{uuid.uuid4().hex[:10]}")
        if kind == "postgres"
        else make_database(kind, directory)
    )
    settings: Settings = settings_for(database, REDIS_URL=redis_url, **FAULT_ENV)
    migrate(settings)
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Fault Firm", label="faults", is_admin=True)
    client = create_app(settings).test_client()
    running = Faults(database, settings, redis_server, redis_url, client, key, directory)
    try:
        yield running
    finally:
        for worker in running.workers:
            worker.kill()
        dispose_engines()
        drop_database(database)


def start_together(*launched: Worker) -> list[Worker]:
    """Wait until every launched worker is ready: workers boot side by side, not one after another."""
    return [worker.wait_ready() for worker in launched]


def no_duplicates(keys: list[tuple[str, str]]) -> bool:
    """True when no (type, dedup key) pair appears twice."""
    return len(keys) == len(set(keys))


class CuttableProxy:
    """A loopback TCP proxy to PostgreSQL that can drop every connection and refuse new ones for a while."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.cut_event = threading.Event()
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.accepted = 0
        self.refused = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut_event.is_set():
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self.accepted += 1
            with self.lock:
                self.connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self.cut_event.set()
        with self.lock:
            for sock in self.connections:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.connections.clear()

    def restore(self) -> None:
        """Accept connections again."""
        self.cut_event.clear()

    def close(self) -> None:
        """Stop listening and drop everything."""
        self.cut()
        self.listener.close()


@contextlib.contextmanager
def sqlite_writers_shut_out(database: Database) -> Iterator[None]:
    """Hold a SQLite file's write lock from another connection for the block: readers go on (WAL), every writer
    waits out its busy timeout and fails with "database is locked"."""
    connection = sqlite3.connect(database.url.split("///", 1)[1], isolation_level=None, timeout=60)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()
