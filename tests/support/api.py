"""Submitting a scan through the API's Flask test client, as the fault and operations tests do."""

from __future__ import annotations

from typing import Any


def submit_scan(client: Any, key: str, website_url: str, company: str = "Acme Analytics") -> str:
    """POST /api/scans with a bearer key; asserts 201 and returns the new scan's id."""
    response = client.post(
        "/api/scans",
        json={"company_name": company, "website_url": website_url},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["scanRequestId"])
