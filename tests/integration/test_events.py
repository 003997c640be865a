"""GET /api/scans/<id>/events: SSE replay, heartbeats, retry, stream end, org isolation, cookie auth, threads."""

from __future__ import annotations

import http.client
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from techscaniq.api.events import RETRY_MILLISECONDS
from techscaniq.config import Settings
from techscaniq.domain import EventKind, StepName
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.e2e.server import LiveServer, ui_app
from tests.support.databases import Database, settings_for
from tests.support.sites import LoopbackSite
from tests.support.stack import Stack

pytestmark = pytest.mark.integration
SOCKET_TIMEOUT_SECONDS = 15
SCAN_TIMEOUT_SECONDS = 90


@dataclass
class Message:
    """One parsed SSE block: fields and comment lines."""

    id: str | None = None
    event: str | None = None
    data: str = ""
    retry: str | None = None
    comments: list[str] = field(default_factory=list)

    def payload(self) -> Any:
        """The data field as JSON."""
        return json.loads(self.data)


def parse_stream(text: str) -> list[Message]:
    """Split a whole SSE body into messages."""
    messages = []
    for block in text.split("\n\n"):
        if block.strip():
            messages.append(_parse_block(block.splitlines()))
    return messages


def _parse_block(lines: list[str]) -> Message:
    message = Message()
    for line in lines:
        if line.startswith(":"):
            message.comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            message.data += value
        elif name in {"id", "event", "retry"}:
            setattr(message, name, value)
    return message


class StreamReader:
    """An open SSE response read message by message over a real socket."""

    def __init__(self, port: int, path: str, headers: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SOCKET_TIMEOUT_SECONDS)
        self.connection.request("GET", path, headers=headers)
        self.response = self.connection.getresponse()

    def next(self) -> Message | None:
        """The next message, or None when the server ended the stream."""
        lines: list[str] = []
        while True:
            raw = self.response.readline()
            if not raw:
                return _parse_block(lines) if lines else None
            line = raw.decode().rstrip("\r\n")
            if line == "" and lines:
                return _parse_block(lines)
            if line:
                lines.append(line)

    def close(self) -> None:
        """Drop the connection."""
        self.connection.close()


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _seed_scan(settings: Settings, org_name: str) -> tuple[str, str]:
    """A scan of a fresh key's organisation with four logged events; returns (scan id, key secret)."""
    with session_scope(settings) as db:
        key, secret = repo.create_api_key(db, org_name, label="events", is_admin=False)
        scan_id = f"scan-{org_name.lower().replace(' ', '-')}"
        repo.create_scan(
            db,
            scan_id=scan_id,
            org_id=key.org_id,
            created_by_key_id=key.id,
            company_name="Acme <Analytics>",
            website_url="https://acme.example/",
            primary_criteria="digital-transformation",
            thesis={"name": "Digital Transformation"},
            thesis_tags=[],
            requestor_name=None,
            organization_name=None,
            company_description=None,
            metadata={},
            task_ids={StepName.EVIDENCE: f"{scan_id}-e", StepName.REPORT: f"{scan_id}-r"},
        )
        repo.append_event(
            db, scan_id, EventKind.STEP, "evidence started", step=StepName.EVIDENCE, data={"status": "active"}
        )
        repo.append_event(db, scan_id, EventKind.PROGRESS, "crawling", step=StepName.EVIDENCE, progress=20,
                          data={"itemsCollected": 3, "pagesFetched": 2, "phase": "crawling"})  # fmt: skip
        repo.append_event(db, scan_id, EventKind.EVIDENCE, "Home page answered HTTP 200", step=StepName.EVIDENCE,
                          data={"id": "e1", "type": "http_response", "category": "pages", "source": "https://acme.example/"})  # fmt: skip
        repo.append_event(db, scan_id, EventKind.WARNING, "robots.txt timed out", step=StepName.EVIDENCE)
    return scan_id, secret


@pytest.fixture
def seeded(database: Database) -> tuple[Any, str, str]:
    """A short-stream app over a database with one scan (org A) and its key."""
    settings = settings_for(database)
    scan_id, key = _seed_scan(settings, "Org A")
    app = ui_app(settings.with_overrides(sse_stream_seconds=1.0, sse_heartbeat_seconds=0.2))
    return app, scan_id, key


def test_replay_from_last_event_id_with_retry_heartbeat_and_a_bounded_stream(
    seeded: tuple[Any, str, str],
) -> None:
    app, scan_id, key = seeded
    client = app.test_client()
    response = client.get(f"/api/scans/{scan_id}/events", headers={**_bearer(key), "Last-Event-ID": "2"})
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert "no-cache" in response.headers["Cache-Control"]
    messages = parse_stream(response.get_data(as_text=True))
    assert messages[0].retry == str(RETRY_MILLISECONDS)
    events = [m for m in messages if m.event]
    assert [(m.id, m.event) for m in events] == [("3", "evidence"), ("4", "warning")]
    for message in events:
        payload = message.payload()
        assert str(payload["seq"]) == message.id and payload["kind"] == message.event
    assert events[0].payload()["data"]["source"] == "https://acme.example/"
    comments = [c for m in messages for c in m.comments]
    assert "heartbeat" in comments
    assert any("reconnect" in c for c in comments), (
        comments
    )  # the stream ends by itself; the client reconnects

    replay = parse_stream(
        client.get(f"/api/scans/{scan_id}/events?last_event_id=0", headers=_bearer(key)).get_data(
            as_text=True
        )
    )
    assert [m.event for m in replay if m.event] == ["step", "progress", "evidence", "warning"]
    assert replay[2].payload()["data"]["pagesFetched"] == 2
    # The header (what a reconnecting browser sends) wins over the query string the page first opened with.
    both = client.get(
        f"/api/scans/{scan_id}/events?last_event_id=1", headers={**_bearer(key), "Last-Event-ID": "3"}
    )
    assert [m.id for m in parse_stream(both.get_data(as_text=True)) if m.event] == ["4"]


def test_the_stream_ends_after_done(seeded: tuple[Any, str, str]) -> None:
    app, scan_id, key = seeded
    with session_scope(app.config["TECHSCANIQ_SETTINGS"]) as db:
        repo.append_event(
            db, scan_id, EventKind.DONE, "report ready", data={"status": "completed", "reportId": "r1"}
        )
        repo.append_event(db, scan_id, EventKind.WARNING, "written after done")
    body = app.test_client().get(
        f"/api/scans/{scan_id}/events", headers={**_bearer(key), "Last-Event-ID": "4"}
    )
    messages = parse_stream(body.get_data(as_text=True))
    events = [m for m in messages if m.event]
    assert [(m.id, m.event) for m in events] == [("5", "done")]
    assert events[0].payload()["data"] == {"status": "completed", "reportId": "r1"}
    assert not any("reconnect" in c for m in messages for c in m.comments)


def test_org_isolation_and_input_errors(seeded: tuple[Any, str, str], database: Database) -> None:
    app, scan_id, _ = seeded
    settings = settings_for(database)
    _, other_key = _seed_scan(settings, "Org B")
    with session_scope(settings) as db:
        _, admin_key = repo.create_api_key(db, "Operators", label="admin", is_admin=True)
    client = app.test_client()
    foreign = client.get(f"/api/scans/{scan_id}/events", headers=_bearer(other_key))
    assert foreign.status_code == 404
    assert foreign.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/scans/{scan_id}/events").status_code == 401
    assert client.get("/api/scans/no-such-scan/events", headers=_bearer(admin_key)).status_code == 404
    bad = client.get(f"/api/scans/{scan_id}/events?last_event_id=abc", headers=_bearer(admin_key))
    assert bad.status_code == 400 and "last_event_id" in bad.get_json()["error"]["fields"]
    admin = client.get(f"/api/scans/{scan_id}/events", headers=_bearer(admin_key))
    assert (
        admin.status_code == 200
        and len([m for m in parse_stream(admin.get_data(as_text=True)) if m.event]) == 4
    )


def test_the_ui_session_cookie_authenticates_streams_and_csrf_guards_writes(
    seeded: tuple[Any, str, str],
) -> None:
    app, scan_id, key = seeded
    client = app.test_client()
    sign_in_page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', sign_in_page)
    assert token
    assert client.post("/signin", data={"api_key": key, "csrf_token": "forged"}).status_code == 403
    signed = client.post("/signin", data={"api_key": key, "csrf_token": token.group(1)})
    assert signed.status_code == 303
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # plain http here
    stream = client.get(f"/api/scans/{scan_id}/events")
    assert (
        stream.status_code == 200
        and len([m for m in parse_stream(stream.get_data(as_text=True)) if m.event]) == 4
    )
    page = client.get(f"/scans/{scan_id}/progress").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert csrf
    refused = client.post(f"/api/scans/{scan_id}/cancel")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_failed"
    accepted = client.post(f"/api/scans/{scan_id}/cancel", headers={"X-CSRF-Token": csrf.group(1)})
    assert accepted.status_code == 202, accepted.get_json()
    out = client.post("/signout", data={"csrf_token": csrf.group(1)})
    assert out.status_code == 303
    assert client.get(f"/api/scans/{scan_id}/events").status_code == 401


def test_https_requests_get_a_secure_cookie(seeded: tuple[Any, str, str]) -> None:
    app, _, key = seeded
    client = app.test_client()
    page = client.get("/signin", base_url="https://ui.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    signed = client.post(
        "/signin", data={"api_key": key, "csrf_token": token.group(1)}, base_url="https://ui.example"
    )
    assert signed.status_code == 303 and "Secure" in signed.headers["Set-Cookie"]


def _post_scan(port: int, key: str, url: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SOCKET_TIMEOUT_SECONDS)
    body = json.dumps(
        {"company_name": "Acme Analytics", "website_url": url, "primary_criteria": "buy-and-build"}
    )
    connection.request(
        "POST", "/api/scans", body=body, headers={**_bearer(key), "Content-Type": "application/json"}
    )
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    assert response.status == 201, payload
    return str(payload["scanRequestId"])


# One database is enough here: replay against PostgreSQL is covered above; this is about threads and workers.
@pytest.mark.parametrize("stack", ["sqlite"], indirect=True)
def test_open_streams_do_not_hold_up_submissions_and_a_live_scan_streams_to_done(stack: Stack) -> None:
    app = ui_app(stack.settings.with_overrides(sse_stream_seconds=60.0, sse_heartbeat_seconds=0.5))
    with LoopbackSite(home_delay_seconds=1.0) as site, LiveServer(app) as server:
        first = _post_scan(server.port, stack.admin_key, site.url)
        streams = [
            StreamReader(server.port, f"/api/scans/{first}/events", _bearer(stack.admin_key))
            for _ in range(3)
        ]
        try:
            for stream in streams:
                assert stream.response.status == 200
                opening = stream.next()
                assert opening is not None and opening.retry == str(RETRY_MILLISECONDS)
            # Three streams are open on this server's threads; a submission still gets its answer.
            second = _post_scan(server.port, stack.admin_key, site.url)
            assert second != first
            for stream in streams[:2]:
                assert stream.next() is not None  # still open: events or heartbeats keep coming
            seen: list[Message] = []
            deadline = time.monotonic() + SCAN_TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                message = streams[2].next()
                if message is None:
                    break
                if message.event:
                    seen.append(message)
                    if message.event == "done":
                        break
        finally:
            for stream in streams:
                stream.close()
    kinds = [m.event for m in seen]
    assert kinds and kinds[-1] == "done", (kinds, stack.evidence_worker.log()[-3000:])
    assert {"step", "progress", "evidence"} <= set(kinds)
    ids = [int(m.id or 0) for m in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    done = seen[-1].payload()["data"]
    assert done["status"] == "completed" and done["reportId"]
