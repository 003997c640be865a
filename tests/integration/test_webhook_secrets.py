"""The webhook signing secret: shown and rotated per organisation (audited), and deliveries a receiver verifies."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from techscaniq import webhooks
from techscaniq.storage import repo, security_repo, webhook_secrets
from techscaniq.storage.db import session_scope
from tests.integration.test_ops_webhooks import Receiver, _ended_scan
from tests.integration.test_security import Api, make_api
from tests.support.databases import Database
from tests.support.processes import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database: Database, redis_server: RedisServer) -> Iterator[Api]:
    yield make_api(database, redis_server)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _org_id(api: Api, name: str) -> str:
    with session_scope(api.settings) as session:
        return repo.get_or_create_org(session, name)


def test_each_organisation_sees_its_own_secret_and_every_view_is_audited(api: Api) -> None:
    first = api.client.get("/api/webhooks/secret", headers=api.as_key(api.key_a))
    assert first.status_code == 200
    body = first.get_json()
    assert set(body) == {"secret", "created_at"} and body["secret"].startswith("whsec_")
    again = api.client.get("/api/webhooks/secret", headers=api.as_key(api.key_a)).get_json()
    assert again == body
    other = api.client.get("/api/webhooks/secret", headers=api.as_key(api.key_b)).get_json()
    assert other["secret"] != body["secret"]
    assert api.client.get("/api/webhooks/secret").status_code == 401
    with session_scope(api.settings, write=False) as session:
        entries = security_repo.list_audit(session, org_id=_org_id(api, "Firm A"))
    views = [e for e in entries if e.action == "webhook_secret.view"]
    assert len(views) == 2 and all(e.key_id == api.key_a_id for e in views)
    assert body["secret"] not in json.dumps([e.detail for e in entries])


def test_rotation_keeps_the_old_secret_signing_for_a_day(api: Api, receiver: Receiver) -> None:
    old = api.client.get("/api/webhooks/secret", headers=api.as_key(api.key_a)).get_json()["secret"]
    rotated = api.client.post("/api/webhooks/secret/rotate", headers=api.as_key(api.key_a))
    assert rotated.status_code == 200
    new = rotated.get_json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert api.client.get("/api/webhooks/secret", headers=api.as_key(api.key_a)).get_json()["secret"] == new
    # Another organisation's secret is untouched.
    b_before = api.client.get("/api/webhooks/secret", headers=api.as_key(api.key_b)).get_json()["secret"]
    assert b_before not in (old, new)

    scan_id = _ended_scan(api.settings, receiver.url("/hook"))
    with session_scope(api.settings) as session:
        scan_org = repo.get_scan(session, scan_id).org_id
        webhook_secrets.rotate_secret(session, scan_org)
        new_secret, old_secret = webhook_secrets.signing_secrets(session, scan_org)
        later = webhook_secrets.current_secret(session, scan_org).created_at + timedelta(hours=25)
        assert webhook_secrets.signing_secrets(session, scan_org, now=later) == [new_secret]
    assert webhooks.deliver_completion_webhook(api.settings, scan_id, sleep=lambda _: None).delivered
    seen = receiver.received[0]
    header, delivery = seen.headers["x-techscaniq-signature"], seen.headers["x-techscaniq-delivery"]
    assert header.count("v2=") == 2
    for secret in (new_secret, old_secret):
        assert webhooks.verify_signature(secret, header, seen.body, delivery)
    # The delivery id is signed: the same body under another delivery id does not verify.
    assert not webhooks.verify_signature(new_secret, header, seen.body, delivery + "x")
    with session_scope(api.settings, write=False) as session:
        actions = [e.action for e in security_repo.list_audit(session, org_id=_org_id(api, "Firm A"))]
    assert "webhook_secret.rotate" in actions


def test_the_readme_verification_example_verifies_a_delivery(api: Api, receiver: Receiver) -> None:
    scan_id = _ended_scan(api.settings, receiver.url("/hook"))
    assert webhooks.deliver_completion_webhook(api.settings, scan_id, sleep=lambda _: None).delivered
    with session_scope(api.settings) as session:
        secret = webhook_secrets.current_secret(session, repo.get_scan(session, scan_id).org_id).secret
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    example = readme.split("```python verify-webhook\n", 1)[1].split("```", 1)[0]
    assert len(example.strip().splitlines()) <= 12
    namespace: dict[str, object] = {"hashlib": hashlib, "hmac": hmac}
    exec(example, namespace)  # the README's own example, run as a receiver would
    seen = receiver.received[0]
    verify = namespace["verify"]
    assert verify(secret, seen.headers, seen.body)  # type: ignore[operator]
    assert not verify(secret, seen.headers, seen.body + b" ")  # type: ignore[operator]
    assert not verify("whsec_other", seen.headers, seen.body)  # type: ignore[operator]


def test_the_cli_shows_and_rotates_an_organisations_secret(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DATABASE_URL"}}
    env["TECHSCANIQ_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "techscaniq.cli", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert run("keys", "create", "--org", "Hooked Capital").returncode == 0
    shown = run("webhooks", "secret", "--org", "Hooked Capital")
    assert shown.returncode == 0, shown.stderr
    secret = shown.stdout.strip().splitlines()[-1]
    assert secret.startswith("whsec_") and "created" in shown.stderr
    assert run("webhooks", "secret", "--org", "Hooked Capital").stdout.strip() == secret
    rotated = run("webhooks", "secret", "--org", "Hooked Capital", "--rotate")
    assert rotated.returncode == 0 and rotated.stdout.strip() not in ("", secret)
    assert "keeps signing until" in rotated.stderr
    missing = run("webhooks", "secret", "--org", "Nobody")
    assert missing.returncode == 2 and "not found" in missing.stderr
