"""Completion webhooks: signed POSTs through the guarded fetch to a loopback receiver, retries and the delivery log."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from techscaniq import webhooks
from techscaniq.config import Settings
from techscaniq.domain import ScanStatus, StepName, StepStatus
from techscaniq.evidence.fetch import CALLBACK_RESPONSE_MAX_BYTES, GuardedFetcher
from techscaniq.storage import repo, webhook_repo
from techscaniq.storage.db import migrate, session_scope
from tests.support.databases import Database, settings_for
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _ended_scan(
    settings: Settings, callback_url: str | None, status: ScanStatus = ScanStatus.COMPLETED
) -> str:
    scan_id = str(uuid.uuid4())
    with session_scope(settings) as session:
        org_id = repo.get_or_create_org(session, "Hooked Capital")
        repo.create_scan(
            session, scan_id=scan_id, org_id=org_id, created_by_key_id=None, company_name="Acme Analytics",
            website_url="https://acme-analytics.com/", primary_criteria="digital-transformation", thesis={},
            thesis_tags=[], requestor_name=None, organization_name="Hooked Capital", company_description=None,
            metadata={}, task_ids={step: f"{scan_id}.{step}.1" for step in StepName}, callback_url=callback_url,
        )  # fmt: skip
        for step in StepName:
            final = StepStatus.COMPLETED if status == ScanStatus.COMPLETED else StepStatus.FAILED
            repo.finish_step(session, scan_id, step, final)
        error = (
            {"error_code": "fetch_timeout", "error_message": "the site timed out"}
            if status == ScanStatus.FAILED
            else {}
        )
        repo.set_scan_status(session, scan_id, status, **error)
    return scan_id


def _org_secret(settings: Settings, scan_id: str) -> str:
    with session_scope(settings) as session:
        return webhook_repo.webhook_secret(session, repo.get_scan(session, scan_id).org_id)


def test_signatures_verify_only_the_signed_body_with_the_right_secret_in_time() -> None:
    body = b'{"scanId":"x","status":"completed"}'
    header = webhooks.signature_header("whsec_one", body, 1_700_000_000, "d1")
    assert header.startswith("t=1700000000,v2=")
    assert webhooks.verify_signature("whsec_one", header, body, "d1", now=1_700_000_010)
    assert not webhooks.verify_signature("whsec_two", header, body, "d1", now=1_700_000_010)
    assert not webhooks.verify_signature("whsec_one", header, body + b" ", "d1", now=1_700_000_010)
    assert not webhooks.verify_signature("whsec_one", header, body, "d2", now=1_700_000_010)
    assert not webhooks.verify_signature("whsec_one", header, body, "d1", now=1_700_000_000 + 3600)  # replay
    assert not webhooks.verify_signature("whsec_one", "v2=abc", body, "d1")
    assert not webhooks.verify_signature("whsec_one", "t=soon,v2=abc", body, "d1")


def test_a_500_is_retried_and_every_attempt_is_logged(database: Database, receiver: Receiver) -> None:
    settings: Settings = settings_for(database)
    receiver.script["/hook"] = [(500, {}, b"try later"), (200, {"Content-Type": "application/json"}, b"{}")]
    scan_id = _ended_scan(settings, receiver.url("/hook"))
    waits: list[float] = []
    outcome = webhooks.deliver_completion_webhook(settings, scan_id, sleep=waits.append)

    assert outcome.delivered and outcome.skipped is None
    assert [attempt.status for attempt in outcome.attempts] == [500, 200]
    assert len(waits) == 1 and 0 < waits[0] <= webhooks.BACKOFF_MAX_SECONDS
    secret = _org_secret(settings, scan_id)
    assert secret.startswith("whsec_")
    assert len(receiver.received) == 2
    for seen in receiver.received:
        assert seen.headers["content-type"] == "application/json"
        assert seen.headers["x-techscaniq-event"] == "scan.completed"
        delivery = seen.headers["x-techscaniq-delivery"]
        assert webhooks.verify_signature(secret, seen.headers["x-techscaniq-signature"], seen.body, delivery)
        assert not webhooks.verify_signature(
            "whsec_someone_else", seen.headers["x-techscaniq-signature"], seen.body, delivery
        )
    assert (
        receiver.received[0].headers["x-techscaniq-delivery"]
        == receiver.received[1].headers["x-techscaniq-delivery"]
    )
    summary = json.loads(receiver.received[1].body)
    assert (
        summary["scanId"] == scan_id
        and summary["status"] == "completed"
        and summary["event"] == "scan.completed"
    )
    assert summary["company"] == "Acme Analytics" and summary["error"] is None

    log = webhooks.webhook_deliveries_for(settings, scan_id)
    assert [(entry["attempt"], entry["status"], entry["succeeded"]) for entry in log] == [
        (1, 500, False),
        (2, 200, True),
    ]
    assert log[0]["error"] and log[0]["url"] == receiver.url("") and log[1]["error"] is None

    again = webhooks.deliver_completion_webhook(settings, scan_id, sleep=waits.append)
    assert again.skipped == "already_delivered" and len(receiver.received) == 2


def test_a_failed_scan_sends_its_error_and_gives_up_after_the_last_attempt(
    database: Database, receiver: Receiver
) -> None:
    settings: Settings = settings_for(database)
    receiver.script["/down"] = [(503, {}, b"")]
    scan_id = _ended_scan(settings, receiver.url("/down"), ScanStatus.FAILED)
    outcome = webhooks.deliver_completion_webhook(settings, scan_id, max_attempts=3, sleep=lambda _: None)
    assert not outcome.delivered and len(outcome.attempts) == 3 == len(receiver.received)
    summary = json.loads(receiver.received[0].body)
    assert summary["event"] == "scan.failed" and summary["error"]["code"] == "fetch_timeout"
    assert [entry["attempt"] for entry in webhooks.webhook_deliveries_for(settings, scan_id)] == [1, 2, 3]


def test_redirects_and_refusals_are_final(receiver: Receiver, tmp_path: Path) -> None:
    settings: Settings = settings_for(Database("sqlite", f"sqlite:///{tmp_path}/hooks.db", "techscaniq"))
    migrate(settings)
    receiver.script["/moved"] = [(302, {"Location": receiver.url("/elsewhere")}, b"")]
    receiver.script["/rejected"] = [(400, {}, b"bad signature")]
    moved = _ended_scan(settings, receiver.url("/moved"))
    rejected = _ended_scan(settings, receiver.url("/rejected"))
    for scan_id in (moved, rejected):
        outcome = webhooks.deliver_completion_webhook(settings, scan_id, sleep=lambda _: None)
        assert not outcome.delivered and len(outcome.attempts) == 1
    assert [seen.path for seen in receiver.received] == ["/moved", "/rejected"]  # /elsewhere never reached
    assert str(webhooks.webhook_deliveries_for(settings, moved)[0]["error"]).startswith(
        "redirect_not_followed"
    )

    # Without the test allow-list, a loopback callback is refused before any connection is made.
    strict = settings.with_overrides(allow_networks=())
    refused = _ended_scan(strict, receiver.url("/hook"))
    outcome = webhooks.deliver_completion_webhook(strict, refused, sleep=lambda _: None)
    assert not outcome.delivered and len(outcome.attempts) == 1
    assert outcome.attempts[0].status is None and (outcome.attempts[0].error or "").startswith("ssrf")
    assert len(receiver.received) == 2

    skipped = _ended_scan(settings, None)
    assert webhooks.deliver_completion_webhook(settings, skipped).skipped == "no_callback_url"


def test_post_callback_caps_the_answer_and_owns_its_headers(receiver: Receiver) -> None:
    settings = Settings.from_env({"TECHSCANIQ_ALLOW_NETWORKS": "127.0.0.0/24"})
    receiver.script["/big"] = [(200, {}, b"x" * (CALLBACK_RESPONSE_MAX_BYTES * 8))]
    with GuardedFetcher(settings) as fetcher:
        result = fetcher.post_callback(receiver.url("/big"), b'{"a":1}', {"X-Test": "yes"})
        assert result.status == 200 and result.truncated and result.error_code is None
        assert len(result.body) == CALLBACK_RESPONSE_MAX_BYTES
        for owned in ("Authorization", "Cookie", "Content-Type", "Host"):
            with pytest.raises(ValueError):
                fetcher.post_callback(receiver.url("/big"), b"{}", {owned: "x"})
    assert receiver.received[0].body == b'{"a":1}' and receiver.received[0].headers["x-test"] == "yes"
