"""GET /api/scans/<id>/events: the scan's event log as server-sent events, replayable from Last-Event-ID."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue

from techscaniq.api.auth import current_viewer, settings
from techscaniq.api.streams import SLOTS, held
from techscaniq.config import Settings
from techscaniq.domain import EventKind, ScanEvent
from techscaniq.errors import ValidationError
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope

events_api = Blueprint("events_api", __name__, url_prefix="/api")

# A stream ends well before gunicorn's worker timeout so no thread is held for long; the client reconnects.
STREAM_SECONDS = 25.0
HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 0.5
RETRY_MILLISECONDS = 2000
EVENTS_PER_POLL = 200
# app.config keys that override the timings above (tests shorten them).
STREAM_SECONDS_CONFIG = "SSE_STREAM_SECONDS"
HEARTBEAT_SECONDS_CONFIG = "SSE_HEARTBEAT_SECONDS"


def event_json(event: ScanEvent) -> dict[str, object]:
    """The data payload of one event."""
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "kind": str(event.kind),
        "step": event.step,
        "progress": event.progress,
        "message": event.message,
        "data": event.data,
    }


def format_event(event_id: int, kind: str, payload: dict[str, object]) -> str:
    """One SSE message: id, event type and a single-line JSON data field."""
    return f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"


def _last_event_id() -> int:
    # The browser's reconnect header is newer than the query string the page first opened with.
    raw = request.headers.get("Last-Event-ID") or request.args.get("last_event_id") or "0"
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValidationError(
            "Last-Event-ID must be a whole number",
            fields={"last_event_id": "expected the id of the last event received"},
        ) from None
    if value < 0:
        raise ValidationError("Last-Event-ID must not be negative", fields={"last_event_id": "negative"})
    return value


def _poll(config: Settings, scan_id: str, after_seq: int) -> tuple[list[ScanEvent], str | None]:
    """New events after a sequence number; when there are none, the scan's status if it is final."""
    with session_scope(config, write=False) as db:
        events = repo.list_events(db, scan_id, after_seq=after_seq, limit=EVENTS_PER_POLL)
        if events:
            return events, None
        scan = repo.get_scan(db, scan_id)
    return [], str(scan.status) if scan.status.is_final else None


def stream_events(
    config: Settings, scan_id: str, after_seq: int, *, stream_seconds: float, heartbeat_seconds: float
) -> Iterator[str]:
    """Yield the log after `after_seq` as SSE, then new events as they come, until done or the time is up."""
    yield f"retry: {RETRY_MILLISECONDS}\n: stream of scan {scan_id}\n\n"
    started = last_sent = time.monotonic()
    cursor = after_seq
    while True:
        events, final_status = _poll(config, scan_id, cursor)
        for event in events:
            cursor = event.seq
            yield format_event(event.seq, str(event.kind), event_json(event))
            if event.kind == EventKind.DONE:
                return
        if events:
            last_sent = time.monotonic()
            if len(events) == EVENTS_PER_POLL:
                continue
        elif final_status is not None:
            # Finished without a done entry after the cursor (e.g. the client already saw it): say so and stop.
            payload = {
                "seq": cursor,
                "kind": "done",
                "message": f"scan {final_status}",
                "data": {"status": final_status},
            }
            yield format_event(cursor, str(EventKind.DONE), payload)
            return
        now = time.monotonic()
        if now - started >= stream_seconds:
            yield ": stream ends here; reconnect with Last-Event-ID\n\n"
            return
        if now - last_sent >= heartbeat_seconds:
            yield ": heartbeat\n\n"
            last_sent = now
        time.sleep(POLL_SECONDS)


@events_api.get("/scans/<scan_id>/events")
def scan_events(scan_id: str) -> ResponseReturnValue:
    """Server-sent events of one scan: progress, step, evidence, warning and done."""
    viewer = current_viewer()
    config = settings()
    after_seq = _last_event_id()
    with session_scope(config, write=False) as db:
        repo.get_scan(db, scan_id, org_id=viewer.scope_org_id)
    release = SLOTS.acquire(viewer.key_id or f"org:{viewer.org_id}", config.event_streams_per_key)
    stream = stream_events(
        config,
        scan_id,
        after_seq,
        stream_seconds=float(current_app.config.get(STREAM_SECONDS_CONFIG, STREAM_SECONDS)),
        heartbeat_seconds=float(current_app.config.get(HEARTBEAT_SECONDS_CONFIG, HEARTBEAT_SECONDS)),
    )
    headers = {"Cache-Control": "no-cache, no-store", "X-Accel-Buffering": "no"}
    response = Response(held(stream, release), mimetype="text/event-stream", headers=headers)
    response.call_on_close(release)
    return response
