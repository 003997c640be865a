"""Managed Redis: a scan through a private redis-server that speaks only TLS and wants a password (rediss://)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis as redis_client
import trustme

from techscaniq.config import Settings
from techscaniq.ops_status import queue_depths
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from tests.support.ops import (
    start_procfile,
    stop_process,
    submit_scan_http,
    wait_for_procfile_stack,
    wait_for_scan_http,
    with_venv_path,
)
from tests.support.processes import RedisServer, free_port, require_tool, wait_for_port
from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration

PASSWORD = "managed-redis-password"
ACL_USER, ACL_PASSWORD = "scanner", "acl-user-password"


@dataclass
class TlsRedis:
    """A redis-server with plain TCP off, TLS on, a default-user password and one ACL user."""

    port: int
    ca_path: Path

    def url(self, credentials: str = f":{PASSWORD}") -> str:
        """A rediss:// URL that verifies the server against the test CA (DB 0, like single-database providers)."""
        return (
            f"rediss://{credentials}@127.0.0.1:{self.port}/0"
            f"?ssl_cert_reqs=required&ssl_ca_certs={self.ca_path}"
        )


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsRedis]:
    binary = require_tool("redis-server")
    directory = tmp_path_factory.mktemp("tls-redis")
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    server_cert.private_key_pem.write_to_path(str(directory / "server.key"))
    server_cert.cert_chain_pems[0].write_to_path(str(directory / "server.pem"))
    port = free_port()
    process = subprocess.Popen(
        [
            binary, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
            "--tls-cert-file", str(directory / "server.pem"), "--tls-key-file", str(directory / "server.key"),
            "--tls-ca-cert-file", str(directory / "ca.pem"), "--tls-auth-clients", "no",
            "--requirepass", PASSWORD, "--user", ACL_USER, "on", f">{ACL_PASSWORD}", "~*", "&*", "+@all",
            "--appendonly", "yes", "--save", "", "--maxmemory-policy", "noeviction",
            "--logfile", str(directory / "redis.log"),
        ],
        start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield TlsRedis(port, directory / "ca.pem")
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_the_server_refuses_plain_and_unauthenticated_clients(tls_redis: TlsRedis) -> None:
    assert redis_client.Redis.from_url(tls_redis.url()).ping()
    assert redis_client.Redis.from_url(tls_redis.url(f"{ACL_USER}:{ACL_PASSWORD}")).ping()
    with pytest.raises(redis_client.RedisError):
        redis_client.Redis.from_url(tls_redis.url(":wrong-password")).ping()
    with pytest.raises(redis_client.RedisError):
        redis_client.Redis(host="127.0.0.1", port=tls_redis.port, password=PASSWORD, socket_timeout=3).ping()
    settings = Settings.from_env({"REDIS_URL": tls_redis.url(f"{ACL_USER}:{ACL_PASSWORD}")})
    assert queue_depths(settings) == {"evidence": 0, "reports": 0}


def test_a_scan_completes_over_rediss_for_broker_and_results(
    tls_redis: TlsRedis, redis_server: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **with_venv_path(os.environ),
        "REDIS_URL": tls_redis.url(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'managed.db'}",
        "PORT": str(port),
        "TECHSCANIQ_WEB_HOST": "127.0.0.1",
        "TECHSCANIQ_EVIDENCE_CONCURRENCY": "1",
        "TECHSCANIQ_REPORT_CONCURRENCY": "1",
    }
    settings = Settings.from_env(env)
    assert (
        settings.broker_url.startswith("rediss://") and settings.celery_result_backend == settings.broker_url
    )
    migrate(settings)
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Managed Capital", label="tests", is_admin=False)
    log_path = tmp_path / "honcho.log"
    stack = start_procfile(["web", "worker_evidence", "worker_report"], env, log_path)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_procfile_stack(stack, log_path, base_url)
        with LoopbackSite() as site:
            scan_id = submit_scan_http(base_url, key, site.url)
            final = wait_for_scan_http(base_url, key, scan_id, {"honcho": log_path})
    finally:
        stop_process(stack)
        dispose_engines()
    assert final["scanRequest"]["status"] == "completed", final
    evidence_task = final["progress"]["evidenceCollection"]["taskId"]
    # The results went to the TLS server, not to the plain one the other tests use.
    managed = redis_client.Redis.from_url(tls_redis.url())
    assert managed.exists(f"celery-task-meta-{evidence_task}")
    assert not redis_client.Redis.from_url(redis_server.url).exists(f"celery-task-meta-{evidence_task}")
    assert managed.llen("evidence") == managed.llen("reports") == 0
