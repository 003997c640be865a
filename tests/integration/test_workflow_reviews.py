"""The analyst's judgement through real workers: reviews, a publication, and the new version's scores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.api import wait_until
from tests.support.collectors import load_site_zone
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Reviewed:
    """A completed scan of the fixture company and its first report, by one organisation's labelled key."""

    key: str
    other_key: str
    scan_id: str
    report: dict[str, Any]


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _post(stack: Stack, path: str, key: str, body: Any = None) -> Any:
    return stack.client.post(path, json=body, headers=_headers(key))  # type: ignore[attr-defined]


def _get(stack: Stack, path: str, key: str) -> Any:
    return stack.client.get(path, headers=_headers(key))  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def reviewed(stack: Stack, fixture_dns: LoopbackDNSServer) -> Iterator[Reviewed]:
    with session_scope(stack.settings) as session:  # type: ignore[arg-type]
        _, key = repo.create_api_key(session, "Fund R", label="Jane Analyst", is_admin=False)
        _, other_key = repo.create_api_key(session, "Fund S", label="Someone Else", is_admin=False)
    server = SiteServer.started(pages=30, domain="northwind-review.test")
    try:
        load_site_zone(fixture_dns, server.site)
        body = {"company_name": "Northwind Ledger", "website_url": server.site.url("www", "/"),
                "primary_criteria": "buy-and-build"}  # fmt: skip
        response = _post(stack, "/api/scans", key, body)
        assert response.status_code == 201, response.get_json()
        scan_id = response.get_json()["scanRequestId"]
        final = wait_until(stack, scan_id, {"completed", "failed"})
        assert final["scanRequest"]["status"] == "completed", final
    finally:
        server.stop()
    report = _get(stack, f"/api/scans/{scan_id}/report", key).get_json()
    yield Reviewed(key, other_key, scan_id, report)


def _scored(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in report["content"]["scores"]["criteria"] if c["score"] is not None and c["findings"]]


def test_review_then_publish_changes_the_scores_beside_the_originals(
    stack: Stack, reviewed: Reviewed
) -> None:
    report = reviewed.report
    assert report["score"] is not None, report["content"]["confidence"]
    criteria = _scored(report)
    assert len(criteria) >= 2
    overridden, disputed_in = criteria[0], criteria[1]
    finding = max(disputed_in["findings"], key=lambda f: abs(f["points"]))
    assert finding["id"] and finding["points"]
    base = f"/api/reports/{report['id']}"
    dispute = {
        "target": {"finding_id": finding["id"]},
        "verdict": "disputed",
        "comment": "Retired last quarter.",
    }
    created = _post(stack, f"{base}/reviews", reviewed.key, dispute)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["reviewer"] == "Jane Analyst"
    new_score = 100 - overridden["score"] if overridden["score"] != 50 else 90
    override = {"target": {"criterion_id": overridden["id"]}, "verdict": "note", "comment": "Data room shows more.",
                "score": new_score}  # fmt: skip
    assert _post(stack, f"{base}/reviews", reviewed.key, override).status_code == 201
    listed = _get(stack, f"{base}/reviews", reviewed.key).get_json()["items"]
    assert [r["verdict"] for r in listed] == ["disputed", "note"]

    published = _post(stack, f"{base}/publish", reviewed.key)
    assert published.status_code == 201, published.get_json()
    body = published.get_json()
    assert body["version"] == report["version"] + 1 and body["published_from"] == report["id"]
    new = _get(stack, f"/api/reports/{body['id']}", reviewed.key).get_json()
    new_criteria = {c["id"]: c for c in new["content"]["scores"]["criteria"]}
    assert new_criteria[overridden["id"]]["score"] == new_score
    assert new_criteria[overridden["id"]]["original_score"] == overridden["score"]
    remaining = [f for f in disputed_in["findings"] if f["id"] != finding["id"]]
    expected = max(0, min(100, int(50 + sum(f["points"] for f in remaining) + 0.5))) if remaining else None
    assert new_criteria[disputed_in["id"]]["score"] == expected
    # The total is recomputed from the reviewed criteria, and stands beside the machine's.
    total = new["content"]["scores"]["total"]
    weights = [(c["score"], c["weight"]) for c in new_criteria.values() if c["score"] is not None]
    assert total["score"] == int(
        100 * sum(s * w / 100 for s, w in weights) / sum(w for _, w in weights) + 0.5
    )
    assert total["original_score"] == report["score"] and new["score"] == total["score"]
    judgement = new["content"]["analyst_judgement"]
    kinds = {(c["kind"], c["id"]) for c in judgement["changes"]}
    assert ("finding", finding["id"]) in kinds and ("criterion", overridden["id"]) in kinds
    change = next(c for c in judgement["changes"] if c["id"] == overridden["id"])
    assert (change["original"], change["published"], change["by"], change["reason"]) == (
        overridden["score"],
        new_score,
        "Jane Analyst",
        "Data room shows more.",
    )
    assert all(f.get("disputed") for f in _finding_nodes(new["content"]) if f["id"] == finding["id"])
    # The first version stays as it was.
    first = _get(stack, f"/api/reports/{report['id']}", reviewed.key).get_json()
    assert first["content"] == report["content"] and first["score"] == report["score"]
    actions = [
        e["action"]
        for e in _get(stack, f"/api/audit?report_id={body['id']}", reviewed.key).get_json()["items"]
    ]
    assert "report.publish" in actions
    reviewed_actions = _get(stack, f"/api/audit?report_id={report['id']}", reviewed.key).get_json()["items"]
    assert [e["action"] for e in reviewed_actions].count("report.review") == 2
    page = _get(stack, f"/reports/{body['id']}", reviewed.key).get_data(as_text=True)
    assert 'id="analyst-judgement"' in page and "contains analyst judgement" in page
    markdown = _get(stack, f"/api/reports/{body['id']}.md", reviewed.key).get_data(as_text=True)
    assert "contains analyst judgement" in markdown.split("## 1. Executive summary")[0]
    assert "Data room shows more." in markdown
    html = _get(stack, f"/api/reports/{body['id']}.html", reviewed.key).get_data(as_text=True)
    assert html.index("contains analyst judgement") < html.index('id="summary"')


def _finding_nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "rule" in node and "id" in node and "text" in node:
            yield node
        for key, value in node.items():
            if key not in ("references", "analyst_judgement", "what_changed"):
                yield from _finding_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _finding_nodes(value)


def test_bad_reviews_and_other_organisations(stack: Stack, reviewed: Reviewed) -> None:
    base = f"/api/reports/{reviewed.report['id']}"
    criterion = _scored(reviewed.report)[0]["id"]
    cases = [
        ({"target": {"finding_id": "no-such-rule"}, "verdict": "confirmed"}, "target"),
        ({"target": {"criterion_id": criterion}, "verdict": "disputed"}, "comment"),
        ({"target": {"criterion_id": criterion}, "verdict": "note", "comment": "x", "score": 101}, "score"),
        ({"target": {"finding_id": "a", "criterion_id": "b"}, "verdict": "note", "comment": "x"}, "target"),
        ({"target": {"criterion_id": criterion}, "verdict": "maybe"}, "verdict"),
    ]
    for body, field in cases:
        response = _post(stack, f"{base}/reviews", reviewed.key, body)
        assert response.status_code == 400, (body, response.get_json())
        assert field in response.get_json()["error"]["fields"], response.get_json()
    good = {"target": {"criterion_id": criterion}, "verdict": "confirmed"}
    assert _post(stack, f"{base}/reviews", reviewed.other_key, good).status_code == 404
    assert _get(stack, f"{base}/reviews", reviewed.other_key).status_code == 404
    assert _post(stack, f"{base}/publish", reviewed.other_key).status_code == 404
