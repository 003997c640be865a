"""A loopback webhook receiver with scripted answers, and ended scans whose completion webhook is due."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from techscaniq.config import Settings
from techscaniq.domain import ScanStatus, StepName, StepStatus
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope


@dataclass
class Received:
    """One POST the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A loopback webhook receiver answering each path with a scripted list of (status, extra headers, body)."""

    script: dict[str, list[tuple[int, dict[str, str], bytes]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                answers = receiver.script.get(self.path) or [(204, {}, b"")]
                status, headers, payload = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        """The receiver's URL for a path."""
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def ended_scan(
    settings: Settings, callback_url: str | None, status: ScanStatus = ScanStatus.COMPLETED
) -> str:
    """A scan of "Hooked Capital" that ended in `status` (every step finished) with the callback URL; its id."""
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
