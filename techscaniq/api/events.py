"""GET /api/scans/<id>/events: the scan's event log as server-sent events, replayable from Last-Event-ID."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from techscaniq.api.auth import current_viewer, settings
from techscaniq.api.streams import SLOTS, held
from techscaniq.config import Settings
from techscaniq.domain import EventKind, ScanEvent
from techscaniq.errors import ValidationError
from techscaniq.scans import service

events_api = Blueprint("events_api", __name__, url_prefix="/api")

# How long a stream lasts and how often it sends a heartbeat are settings (TECHSCANIQ_SSE_*).
POLL_SECONDS = 0.5
RETRY_MILLISECONDS = 2000
EVENTS_PER_POLL = 200


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


def stream_events(
    config: Settings, scan_id: str, after_seq: int, *, stream_seconds: float, heartbeat_seconds: float
) -> Iterator[str]:
    """Yield the log after `after_seq` as SSE, then new events as they come, until done or the time is up."""
    yield f"retry: {RETRY_MILLISECONDS}\n: stream of scan {scan_id}\n\n"
    started = last_sent = time.monotonic()
    cursor = after_seq
    while True:
        events, final_status = service.events_after(config, scan_id, cursor, EVENTS_PER_POLL)
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
    service.require_scan(config, viewer, scan_id)
    release = SLOTS.acquire(viewer.key_id or f"org:{viewer.org_id}", config.event_streams_per_key)
    stream = stream_events(
        config,
        scan_id,
        after_seq,
        stream_seconds=config.sse_stream_seconds,
        heartbeat_seconds=config.sse_heartbeat_seconds,
    )
    headers = {"Cache-Control": "no-cache, no-store", "X-Accel-Buffering": "no"}
    response = Response(held(stream, release), mimetype="text/event-stream", headers=headers)
    response.call_on_close(release)
    return response
