"""The diff counts only real differences: ids, timestamps, crawl order and DNS answer order never show."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from techscaniq.domain import Evidence, Scan, ScanStatus
from techscaniq.workflow.compare import compare
from techscaniq.workflow.diff import diff
from techscaniq.workflow.domains import company_domain
from techscaniq.workflow.snapshot import snapshot

START = datetime(2026, 3, 1, tzinfo=UTC)


def _scan(scan_id: str, thesis: str = "buy-and-build") -> Scan:
    return Scan(
        id=scan_id, org_id="org", company_name="Acme", website_url="https://acme.example/", primary_criteria=thesis,
        thesis={"name": thesis}, thesis_tags=[], requestor_name=None, organization_name=None,
        company_description=None, metadata={}, status=ScanStatus.COMPLETED, error_code=None, error_message=None,
        cancel_requested_at=None, created_at=START, updated_at=START, finished_at=START, created_by_key_id=None,
    )  # fmt: skip


def _item(scan_id: str, type_: str, data: dict[str, Any], at: datetime) -> Evidence:
    return Evidence(
        id=str(uuid.uuid4()), scan_id=scan_id, type=type_, category="x", title=type_, summary="",
        data=data, source_url="https://acme.example/", collector="c", confidence=1.0, dedup_key=str(data), collected_at=at,
    )  # fmt: skip


def _evidence(scan_id: str, at: datetime, *, reverse: bool, jquery: str = "3.7.1") -> list[Evidence]:
    items = [
        _item(
            scan_id,
            "technology",
            {"name": "jQuery", "version": jquery, "categories": ["JavaScript libraries"]},
            at,
        ),
        _item(scan_id, "technology", {"name": "Nginx", "version": None, "categories": ["Web servers"]}, at),
        _item(scan_id, "dns_records", {"answers": ["b", "a"] if reverse else ["a", "b"]}, at),
        _item(
            scan_id,
            "security_header",
            {
                "host": "acme.example",
                "header": "Content-Security-Policy",
                "presence": "present",
                "value": f"script-src 'nonce-{uuid.uuid4().hex}'",
            },
            at,
        ),
    ]
    return list(reversed(items)) if reverse else items


def test_the_same_site_twice_is_no_change() -> None:
    first = snapshot(_scan("a"), _evidence("a", START, reverse=False), None)
    second = snapshot(_scan("b"), _evidence("b", START + timedelta(days=3), reverse=True), None)
    body = diff(first, second)
    assert body["summary"]["changed"] is False, body
    assert body["technologies"] == {"added": [], "removed": [], "version_changed": []}


def test_a_version_bump_cites_both_sides() -> None:
    old_items = _evidence("a", START, reverse=False)
    new_items = _evidence("b", START, reverse=False, jquery="3.7.2")
    body = diff(snapshot(_scan("a"), old_items, None), snapshot(_scan("b"), new_items, None))
    [change] = body["technologies"]["version_changed"]
    assert (change["name"], change["from"], change["to"]) == ("jQuery", "3.7.1", "3.7.2")
    assert change["evidence_ids"] == {"from": [old_items[0].id], "to": [new_items[0].id]}
    assert body["summary"]["changed"] is True


def test_compare_keeps_criteria_of_one_thesis_apart() -> None:
    def content(criteria: list[tuple[str, str, int]]) -> Any:
        from techscaniq.domain import Report

        scores = {
            "criteria": [
                {"id": i, "name": i, "basis": b, "weight": 10, "score": s, "findings": []}
                for i, b, s in criteria
            ]
        }
        return Report(
            id="r",
            scan_id="s",
            version=1,
            content={"scores": scores},
            writer="d",
            created_at=START,
            score=None,
            grade=None,
        )

    one = snapshot(_scan("a"), [], content([("security", "security", 70), ("roll-up", "roll-up", 50)]))
    two = snapshot(_scan("b", "carve-out"), [], content([("sec", "security", 60), ("tsa", "tsa", 40)]))
    body = compare([one, two])
    assert [(row["basis"], row["scores"]) for row in body["criteria"]] == [("security", [70, 60])]
    assert {c["basis"] for c in body["criteria_not_compared"]} == {"roll-up", "tsa"}
    assert body["same_thesis"] is False and body["note"]


def test_company_domain_is_the_registrable_domain() -> None:
    assert company_domain("https://www.Shop.Acme.co.uk:8443/x") == "acme.co.uk"
    assert company_domain("http://127.0.0.1:9000/") == "127.0.0.1"
