"""Completion webhooks: when a scan ends, POST a signed summary to its callback_url through the guarded fetch.

The signature is HMAC-SHA256 over "<timestamp>.<delivery id>.<body>" with the organisation's secret, sent as
`X-TechScanIQ-Signature: t=<unix seconds>,v2=<hex digest>`; for a day after a rotation the header carries a
second `v2=` signed with the old secret, so a receiver holding either one verifies (`verify_signature`).
Every attempt is recorded in webhook_deliveries; a delivery that succeeded is never sent again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from techscaniq.config import Settings
from techscaniq.domain import Report, Scan, ScanStatus
from techscaniq.errors import NotFoundError
from techscaniq.evidence.fetch import GuardedFetcher
from techscaniq.storage import repo, webhook_repo, webhook_secrets
from techscaniq.storage.db import session_scope
from techscaniq.storage.webhook_repo import WebhookDelivery

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-TechScanIQ-Signature"
EVENT_HEADER = "X-TechScanIQ-Event"
DELIVERY_HEADER = "X-TechScanIQ-Delivery"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_ATTEMPTS = 4
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 30.0
# Answers that another attempt may fix; any other 4xx means the receiver refuses this delivery.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
# Fetch errors that no retry can fix.
FINAL_ERROR_CODES = frozenset({"redirect_not_followed", "invalid_url", "dns_nxdomain", "dns_no_address"})


@dataclass
class DeliveryOutcome:
    """What deliver_completion_webhook did: delivered or not, each attempt made, or why nothing was sent."""

    delivered: bool = False
    attempts: list[WebhookDelivery] = field(default_factory=list)
    skipped: str | None = None


def sign(secret: str, timestamp: int, delivery_id: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<delivery id>.<body>" under the secret."""
    message = f"{timestamp}.{delivery_id}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: str | list[str], body: bytes, timestamp: int, delivery_id: str) -> str:
    """The value of X-TechScanIQ-Signature: one v2 signature per secret still signing."""
    signatures = [secrets] if isinstance(secrets, str) else secrets
    return ",".join([f"t={timestamp}", *(f"v2={sign(s, timestamp, delivery_id, body)}" for s in signatures)])


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    delivery_id: str,
    *,
    now: float | None = None,
    tolerance_seconds: int = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """True when the header signs this body with this secret and its timestamp is recent (replay guard)."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, delivery_id, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v2", []))


def completion_summary(scan: Scan, report: Report | None, items_collected: int) -> dict[str, Any]:
    """The JSON summary sent when a scan ends (no evidence, no secrets)."""
    return {
        "event": f"scan.{scan.status}",
        "scanId": scan.id,
        "status": str(scan.status),
        "company": scan.company_name,
        "websiteUrl": scan.website_url,
        "thesis": scan.primary_criteria,
        "createdAt": scan.created_at.isoformat(),
        "finishedAt": scan.finished_at.isoformat() if scan.finished_at else None,
        "itemsCollected": items_collected,
        "report": {"id": report.id, "version": report.version, "score": report.score, "grade": report.grade}
        if report
        else None,
        "error": {"code": scan.error_code, "message": scan.error_message} if scan.error_code else None,
        "links": {
            "status": f"/api/scans/{scan.id}/status",
            "report": f"/api/reports/{report.id}" if report else None,
        },
    }


def backoff_seconds(attempt: int, base_seconds: float = BACKOFF_BASE_SECONDS) -> float:
    """The wait after a failed attempt: exponential with jitter, capped."""
    ceiling = min(BACKOFF_MAX_SECONDS, base_seconds * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def url_origin(url: str) -> str:
    """Scheme and host (with a port, if any) of a URL: what delivery records and logs may hold of a callback."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme and host else "(invalid URL)"


def scrub_url(text: str, url: str) -> str:
    """The text with the callback URL's path, query and credentials removed (they may carry secrets)."""
    parts = urlsplit(url)
    origin = url_origin(url)
    secrets_in_url = [url, parts.path + ("?" + parts.query if parts.query else ""), parts.query, parts.path]
    if parts.username or parts.password:
        secrets_in_url.append(parts.netloc)
    for secret in sorted((s for s in secrets_in_url if s and s != "/"), key=len, reverse=True):
        text = text.replace(secret, origin if secret == url else "/…")
    return text


def _attempt_error(status: int | None, error_code: str | None, error_message: str | None) -> str | None:
    if error_code:
        return f"{error_code}: {error_message or ''}".strip()[:2000]
    if status is None or not 200 <= status < 300:
        return f"http_{status}: the receiver did not answer 2xx"
    return None


def _worth_retrying(status: int | None, error_code: str | None) -> bool:
    if error_code:
        return error_code not in FINAL_ERROR_CODES and not error_code.startswith("ssrf")
    return status is None or status >= 500 or status in RETRYABLE_STATUSES


def deliver_completion_webhook(
    settings: Settings,
    scan_id: str,
    *,
    max_attempts: int = MAX_ATTEMPTS,
    backoff_base_seconds: float = BACKOFF_BASE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryOutcome:
    """POST the signed summary of an ended scan to its callback_url, retrying with backoff; never raises."""
    try:
        return _deliver(settings, scan_id, max_attempts, backoff_base_seconds, sleep)
    except Exception:  # a webhook must never fail the scan that triggered it
        log.exception("completion webhook of scan %s failed unexpectedly", scan_id)
        return DeliveryOutcome(skipped="internal_error")


def _deliver(
    settings: Settings,
    scan_id: str,
    max_attempts: int,
    backoff_base_seconds: float,
    sleep: Callable[[float], None],
) -> DeliveryOutcome:
    with session_scope(settings) as session:
        try:
            scan = repo.get_scan(session, scan_id)
        except NotFoundError:
            return DeliveryOutcome(skipped="scan_not_found")
        if not scan.callback_url:
            return DeliveryOutcome(skipped="no_callback_url")
        if not scan.status.is_final:
            return DeliveryOutcome(skipped="scan_not_finished")
        earlier = webhook_repo.deliveries_for(session, scan_id)
        if any(d.succeeded and (scan.finished_at is None or d.at >= scan.finished_at) for d in earlier):
            return DeliveryOutcome(skipped="already_delivered")
        report = repo.latest_report(session, scan_id) if scan.status == ScanStatus.COMPLETED else None
        items = repo.count_evidence(session, scan_id)
        secrets = webhook_secrets.signing_secrets(session, scan.org_id)
    url = scan.callback_url
    summary = completion_summary(scan, report, items)
    # The analyst's workflow: a scheduled scan's payload carries what changed since the previous scan.
    from techscaniq.workflow.schedules import webhook_extra

    summary.update(webhook_extra(settings, scan_id))
    body = json.dumps(summary, sort_keys=True, separators=(",", ":")).encode()
    ended = scan.finished_at.isoformat() if scan.finished_at else "unknown"
    delivery_id = f"{scan_id}@{ended}"
    outcome = DeliveryOutcome()
    with GuardedFetcher(settings, max_retries=0) as fetcher:
        for number in range(1, max_attempts + 1):
            headers = {
                SIGNATURE_HEADER: signature_header(secrets, body, int(time.time()), delivery_id),
                EVENT_HEADER: f"scan.{scan.status}",
                DELIVERY_HEADER: delivery_id,
            }
            result = fetcher.post_callback(url, body, headers)
            error = _attempt_error(result.status, result.error_code, result.error_message)
            error = scrub_url(error, url) if error else None
            with session_scope(settings) as session:
                attempt = webhook_repo.record_delivery(
                    session,
                    scan_id,
                    attempt=len(earlier) + number,
                    url=url_origin(url),
                    status=result.status,
                    error=error,
                    duration_ms=int(result.timings.get("total_ms", 0.0)),
                )
            outcome.attempts.append(attempt)
            if attempt.succeeded:
                outcome.delivered = True
                log.info("completion webhook of scan %s delivered (attempt %d)", scan_id, attempt.attempt)
                return outcome
            log.warning(
                "completion webhook of scan %s attempt %d failed: %s", scan_id, attempt.attempt, error
            )
            if number == max_attempts or not _worth_retrying(result.status, result.error_code):
                break
            sleep(backoff_seconds(number, backoff_base_seconds))
    return outcome


def webhook_deliveries_for(settings: Settings, scan_id: str) -> list[dict[str, object]]:
    """The delivery log of a scan as JSON-ready dicts, oldest first (for the scan API)."""
    with session_scope(settings, write=False) as session:
        return [delivery.to_dict() for delivery in webhook_repo.deliveries_for(session, scan_id)]
