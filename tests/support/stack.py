"""A running system for a test module: a database, the session's Redis, one worker per queue, the API client."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import redis
from flask.testing import FlaskClient

from techscaniq.app import create_app
from techscaniq.config import Settings
from techscaniq.storage import repo
from techscaniq.storage.db import migrate, session_scope
from tests.support.databases import Database, make_database, settings_for
from tests.support.processes import RedisServer, Worker


@dataclass
class Stack:
    """A running system: database, Redis, one worker per queue and the API's test client."""

    database: Database
    redis: RedisServer
    evidence_worker: Worker
    report_worker: Worker
    env: dict[str, str]
    settings: Settings
    client: FlaskClient
    admin_key: str


def start_stack(
    kind: str, redis_server: RedisServer, directory: Path, extra_env: dict[str, str] | None = None
) -> Stack:
    """Flush Redis, make and migrate a database with an admin key, start both workers and build the app."""
    redis.Redis.from_url(redis_server.url).flushall()
    db = make_database(kind, directory)
    env = {**os.environ, **db.env(), **(extra_env or {})}
    settings = settings_for(db, **(extra_env or {}))
    migrate(settings)
    with session_scope(settings) as session:
        _, admin_key = repo.create_api_key(session, "Admin Org", label="tests", is_admin=True)
    evidence = Worker("evidence", env, directory / f"{kind}-evidence.log", name=f"evidence-{kind}@%h").start()
    report = Worker("reports", env, directory / f"{kind}-reports.log", name=f"reports-{kind}@%h").start()
    app = create_app(settings)
    return Stack(db, redis_server, evidence, report, env, settings, app.test_client(), admin_key)
