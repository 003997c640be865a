"""Companies, what changed and side by side, through real workers: one site scanned before and after a change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.api import wait_until
from tests.support.changing_site import ChangingSite
from tests.support.stack import Stack

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Scanned:
    """Completed scans of one site (before, after, after again; then under another thesis) by one org's key."""

    key: str
    other_key: str
    before: str
    after: str
    again: str
    other_thesis: str


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _get(stack: Stack, path: str, key: str) -> Any:
    return stack.client.get(path, headers=_headers(key))  # type: ignore[attr-defined]


def _submit(stack: Stack, url: str, key: str, thesis: str = "buy-and-build") -> str:
    body = {"company_name": "Borealis Freight", "website_url": url, "primary_criteria": thesis}
    response = stack.client.post("/api/scans", json=body, headers=_headers(key))  # type: ignore[attr-defined]
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["scanRequestId"])


def _complete(stack: Stack, scan_id: str) -> None:
    final = wait_until(stack, scan_id, {"completed", "failed", "cancelled"})
    assert final["scanRequest"]["status"] == "completed", final


@pytest.fixture(scope="module")
def scanned(stack: Stack) -> Iterator[Scanned]:
    with session_scope(stack.settings) as session:  # type: ignore[arg-type]
        _, key = repo.create_api_key(session, "Fund A", label="analyst", is_admin=False)
        _, other_key = repo.create_api_key(session, "Fund B", label="analyst", is_admin=False)
    with ChangingSite() as site:
        before = _submit(stack, site.url, key)
        _complete(stack, before)
        site.version = "after"
        after = _submit(stack, site.url, key)
        _complete(stack, after)
        again = _submit(stack, site.url, key)
        other_thesis = _submit(stack, site.url, key, thesis="carve-out")
        _complete(stack, again)
        _complete(stack, other_thesis)
    yield Scanned(key, other_key, before, after, again, other_thesis)


def test_a_change_of_the_site_shows_exactly_as_its_differences(stack: Stack, scanned: Scanned) -> None:
    response = _get(stack, f"/api/scans/{scanned.after}/diff", scanned.key)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["scan_id"] == scanned.after and body["against_scan_id"] == scanned.before
    technologies = body["technologies"]
    assert [(t["name"], t["version"]) for t in technologies["added"]] == [("Bootstrap", "5.3.2")]
    assert [(t["name"], t["version"]) for t in technologies["removed"]] == [("jQuery", "3.7.1")]
    assert technologies["version_changed"] == []
    headers = body["security"]["changed_headers"]
    assert [(h["header"], h["from"]["presence"], h["to"]["presence"]) for h in headers] == [
        ("X-Frame-Options", "present", "absent")
    ]
    # Every entry cites the evidence on each side it exists on: old ids are the old scan's, new ids the new one's.
    before_ids = {
        i["id"]
        for i in _get(stack, f"/api/scans/{scanned.before}/evidence?per_page=500", scanned.key).get_json()[
            "items"
        ]
    }
    after_ids = {
        i["id"]
        for i in _get(stack, f"/api/scans/{scanned.after}/evidence?per_page=500", scanned.key).get_json()[
            "items"
        ]
    }
    assert (
        technologies["added"][0]["evidence_ids"]["to"]
        and set(technologies["added"][0]["evidence_ids"]["to"]) <= after_ids
    )
    assert (
        technologies["removed"][0]["evidence_ids"]["from"]
        and set(technologies["removed"][0]["evidence_ids"]["from"]) <= before_ids
    )
    assert (
        set(headers[0]["evidence_ids"]["from"]) <= before_ids
        and set(headers[0]["evidence_ids"]["to"]) <= after_ids
    )
    for entry in body["findings"]["new"] + body["risks"]["new"]:
        assert entry["evidence_ids"]["to"] and set(entry["evidence_ids"]["to"]) <= after_ids, entry
    for entry in body["findings"]["resolved"] + body["risks"]["resolved"]:
        assert entry["evidence_ids"]["from"] and set(entry["evidence_ids"]["from"]) <= before_ids, entry
    assert body["summary"]["changed"] is True
    assert body["summary"]["technologies_added"] == body["summary"]["technologies_removed"] == 1


def test_the_same_site_twice_gives_an_empty_diff(stack: Stack, scanned: Scanned) -> None:
    body = _get(stack, f"/api/scans/{scanned.again}/diff", scanned.key).get_json()
    assert body["against_scan_id"] == scanned.after
    assert body["technologies"] == {"added": [], "removed": [], "version_changed": []}
    assert body["findings"] == {"new": [], "resolved": []}
    assert body["risks"] == {"new": [], "resolved": []}
    assert body["security"]["changed_headers"] == []
    assert body["security"]["grade"]["from"] == body["security"]["grade"]["to"]
    assert body["coverage"]["from"] == body["coverage"]["to"]
    assert body["summary"]["changed"] is False, body["summary"]


def test_diff_errors(stack: Stack, scanned: Scanned) -> None:
    first = _get(stack, f"/api/scans/{scanned.before}/diff", scanned.key)
    assert first.status_code == 409 and first.get_json()["error"]["code"] == "no_previous_scan"
    assert _get(stack, f"/api/scans/{scanned.after}/diff", scanned.other_key).status_code == 404
    across = _get(stack, f"/api/scans/{scanned.before}/diff?against={scanned.again}", scanned.key)
    assert across.status_code == 200 and across.get_json()["against_scan_id"] == scanned.again
    assert _get(stack, f"/api/scans/{scanned.before}/diff?against=nope", scanned.key).status_code == 404


def test_companies_list_and_detail(stack: Stack, scanned: Scanned) -> None:
    listing = _get(stack, "/api/companies?q=borealis", scanned.key).get_json()
    assert listing["total"] == 1 and listing["page"] == 1
    company = listing["items"][0]
    assert company["domain"] == "127.0.0.1" and company["name"] == "Borealis Freight"
    assert company["scans_count"] == 4 and company["latest_scan_id"] == scanned.other_thesis
    assert _get(stack, "/api/companies", scanned.other_key).get_json()["total"] == 0
    assert _get(stack, "/api/companies?q=nothing-like-it", scanned.key).get_json()["items"] == []
    detail = _get(stack, f"/api/companies/{company['id']}", scanned.key).get_json()
    assert [s["id"] for s in detail["scans"]] == [
        scanned.other_thesis,
        scanned.again,
        scanned.after,
        scanned.before,
    ]
    assert (company["latest_score"], company["latest_grade"]) == (
        detail["scans"][0]["score"],
        detail["scans"][0]["grade"],
    )
    history = {
        h["thesis"]: [(p["scan_id"], p["score"]) for p in h["points"]] for h in detail["score_history"]
    }
    score = {s["id"]: s["score"] for s in detail["scans"]}
    # Every completed scan is a point of its thesis's history, oldest first (a small site may be "not scored").
    assert history == {
        "buy-and-build": [(i, score[i]) for i in (scanned.before, scanned.after, scanned.again)],
        "carve-out": [(scanned.other_thesis, score[scanned.other_thesis])],
    }
    assert _get(stack, f"/api/companies/{company['id']}", scanned.other_key).status_code == 404


def test_compare_three_scans(stack: Stack, scanned: Scanned) -> None:
    ids = [scanned.before, scanned.after, scanned.other_thesis]
    response = _get(stack, f"/api/compare?scans={','.join(ids)}", scanned.key)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [c["scan_id"] for c in body["scans"]] == ids
    assert body["same_thesis"] is False and "different theses" in body["note"]
    matrix = {row["name"]: [cell is not None for cell in row["cells"]] for row in body["technologies"]}
    assert matrix["jQuery"] == [True, False, False] and matrix["Bootstrap"] == [False, True, True]
    assert all(len(row["scores"]) == 3 for row in body["criteria"] + body["categories"])
    for row in body["criteria"]:
        assert len(row["criterion_ids"]) == 3
    assert {c["scan_id"] for c in body["criteria_not_compared"]} <= set(ids)
    one = _get(stack, f"/api/compare?scans={scanned.before}", scanned.key)
    assert one.status_code == 400 and one.get_json()["error"]["fields"]["scans"]
    seven = _get(stack, "/api/compare?scans=" + ",".join(f"s{i}" for i in range(7)), scanned.key)
    assert seven.status_code == 400
    foreign = _get(stack, f"/api/compare?scans={scanned.before},{scanned.after}", scanned.other_key)
    assert foreign.status_code == 400 and "organisation" in foreign.get_json()["error"]["message"]


def test_pages_show_the_company_the_changes_and_the_comparison(stack: Stack, scanned: Scanned) -> None:
    company = _get(stack, "/api/companies", scanned.key).get_json()["items"][0]
    listing = _get(stack, "/companies", scanned.key)
    assert listing.status_code == 200 and b"Borealis Freight" in listing.data
    page = _get(stack, f"/companies/{company['id']}", scanned.key).get_data(as_text=True)
    assert 'id="company-scans"' in page and page.count('name="scan"') == 4
    assert _get(stack, f"/companies/{company['id']}", scanned.other_key).status_code == 404
    changes = _get(stack, f"/scans/{scanned.after}/changes", scanned.key).get_data(as_text=True)
    assert (
        "What changed since" in changes
        and "Added: Bootstrap 5.3.2" in changes
        and "Removed: jQuery" in changes
    )
    assert "X-Frame-Options" in changes
    same = _get(stack, f"/scans/{scanned.again}/changes", scanned.key).get_data(as_text=True)
    assert 'id="no-changes"' in same
    ticked = f"/compare?scan={scanned.before}&scan={scanned.after}&scan={scanned.other_thesis}"
    compared = _get(stack, ticked, scanned.key).get_data(as_text=True)
    assert 'id="technology-matrix"' in compared and 'id="thesis-note"' in compared
    assert _get(stack, f"/compare?scan={scanned.before}", scanned.key).status_code == 400
    scans_page = _get(stack, "/scans", scanned.key).get_data(as_text=True)
    assert 'id="compare-form"' in scans_page and scans_page.count('name="scan"') == 4


def test_cli_prints_the_diff_and_the_comparison(
    stack: Stack, scanned: Scanned, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from techscaniq.cli import main

    for name, value in stack.database.env().items():
        monkeypatch.setenv(name, value)
    assert main(["diff", scanned.after]) == 0
    out = capsys.readouterr().out
    assert "Technology added: Bootstrap 5.3.2" in out and "Technology removed: jQuery 3.7.1" in out
    assert main(["diff", scanned.again, "--against", scanned.after]) == 0
    assert "Nothing changed." in capsys.readouterr().out
    assert main(["diff", scanned.before]) == 2
    assert "no_previous_scan" in capsys.readouterr().err
    assert main(["compare", scanned.before, scanned.after, scanned.other_thesis]) == 0
    out = capsys.readouterr().out
    assert "| Total |" in out and "| jQuery |" in out


def test_the_report_of_a_rescan_says_what_changed_in_every_format(stack: Stack, scanned: Scanned) -> None:
    report = _get(stack, f"/api/scans/{scanned.after}/report", scanned.key).get_json()
    section = report["content"]["what_changed"]
    assert section["against_scan_id"] == scanned.before
    assert [t["name"] for t in section["technologies"]["added"]] == ["Bootstrap"]
    assert section["technologies"]["added"][0]["evidence"]["to"]
    first = _get(stack, f"/api/scans/{scanned.before}/report", scanned.key).get_json()
    assert "what_changed" not in first["content"]
    markdown = _get(stack, f"/api/reports/{report['id']}.md", scanned.key).get_data(as_text=True)
    assert "## What changed since" in markdown and "Technology added: Bootstrap 5.3.2" in markdown
    html = _get(stack, f"/api/reports/{report['id']}.html", scanned.key).get_data(as_text=True)
    assert 'id="what-changed"' in html and "Technology removed: jQuery 3.7.1" in html
    page = _get(stack, f"/reports/{report['id']}", scanned.key).get_data(as_text=True)
    assert 'id="what-changed"' in page and "Added: Bootstrap 5.3.2" in page and 'id="changes-link"' in page
    first_page = _get(stack, f"/reports/{first['id']}", scanned.key).get_data(as_text=True)
    assert 'id="changes-link"' not in first_page  # a company's first scan has nothing to compare with
    same = _get(stack, f"/api/scans/{scanned.again}/report", scanned.key).get_json()
    assert same["content"]["what_changed"]["summary"]["changed"] is False
