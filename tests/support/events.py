"""Reading Server-Sent Events over a real socket, and a scan seeded with logged events to stream."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from typing import Any

from techscaniq.config import Settings
from techscaniq.domain import EventKind, StepName
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope

SOCKET_TIMEOUT_SECONDS = 15


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
            messages.append(parse_block(block.splitlines()))
    return messages


def parse_block(lines: list[str]) -> Message:
    """One SSE block's lines (no blank line among them) as a message."""
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
                return parse_block(lines) if lines else None
            line = raw.decode().rstrip("\r\n")
            if line == "" and lines:
                return parse_block(lines)
            if line:
                lines.append(line)

    def close(self) -> None:
        """Drop the connection."""
        self.connection.close()


def seed_scan(settings: Settings, org_name: str) -> tuple[str, str]:
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
