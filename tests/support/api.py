"""Submitting and following scans through the API's Flask test client, as the flow, fault and operations tests do."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.support.stack import Stack

SCAN_TIMEOUT_SECONDS = 90


def auth_headers(key: str) -> dict[str, str]:
    """The Authorization header of an API key."""
    return {"Authorization": f"Bearer {key}"}


def submit_scan(client: FlaskClient, key: str, website_url: str, company: str = "Acme Analytics") -> str:
    """POST /api/scans with a bearer key; asserts 201 and returns the new scan's id."""
    response = client.post(
        "/api/scans",
        json={"company_name": company, "website_url": website_url},
        headers=auth_headers(key),
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["scanRequestId"])


def submit(stack: Stack, url: str, key: str | None = None, **fields: Any) -> str:
    """Submit a scan of the URL to the stack's API; asserts the 201 answer's shape and returns the scan id."""
    body = {"company_name": "Acme Analytics", "website_url": url, **fields}
    response = stack.client.post("/api/scans", json=body, headers=auth_headers(key or stack.admin_key))
    assert response.status_code == 201, response.get_json()
    payload = response.get_json()
    assert payload["success"] is True
    assert set(payload["jobs"]) == {"evidenceJobId", "reportJobId"}
    return str(payload["scanRequestId"])


def status(stack: Stack, scan_id: str, key: str | None = None) -> Any:
    """The scan's GET /api/scans/<id>/status answer (asserted 200)."""
    response = stack.client.get(f"/api/scans/{scan_id}/status", headers=auth_headers(key or stack.admin_key))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def wait_until(
    stack: Stack, scan_id: str, wanted: set[str], *, on_poll: Callable[[Any], object] | None = None
) -> Any:
    """Poll the status until the scan's status is one of `wanted`; fails with both workers' logs on timeout."""
    deadline = time.monotonic() + SCAN_TIMEOUT_SECONDS
    current: Any = None
    while time.monotonic() < deadline:
        current = status(stack, scan_id)
        if on_poll:
            on_poll(current)
        if current["scanRequest"]["status"] in wanted:
            return current
        time.sleep(0.1)
    raise AssertionError(
        f"scan {scan_id} not {wanted}: {current}\n--- evidence worker ---\n{stack.evidence_worker.log()[-4000:]}"
        f"\n--- report worker ---\n{stack.report_worker.log()[-2000:]}"
    )
