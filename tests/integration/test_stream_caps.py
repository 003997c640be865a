"""Event streams per key are capped; a key at its cap still gets answers from every other route."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

import pytest

from techscaniq.config import Settings
from tests.e2e.server import LiveServer, ui_app
from tests.integration.test_events import SOCKET_TIMEOUT_SECONDS, StreamReader, _bearer, _seed_scan
from tests.support.databases import Database, settings_for

pytestmark = pytest.mark.integration
CAP = 3


def _get(port: int, path: str, key: str) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=SOCKET_TIMEOUT_SECONDS)
    try:
        connection.request("GET", path, headers=_bearer(key))
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def _hang_up(stream: StreamReader) -> None:
    stream.response.close()  # the response holds the socket open after the connection object lets go
    stream.close()


def test_the_stream_past_the_cap_gets_429_and_other_routes_still_answer(database: Database) -> None:
    settings: Settings = settings_for(database, TECHSCANIQ_EVENT_STREAMS_PER_KEY=str(CAP))  # type: ignore[assignment]
    scan_id, key = _seed_scan(settings, "Org A")
    other_scan, other_key = _seed_scan(settings, "Org B")
    # Streams long enough to be open for the whole test.
    app = ui_app(settings, SSE_STREAM_SECONDS=60.0, SSE_HEARTBEAT_SECONDS=0.2)
    with LiveServer(app) as server:
        streams = [
            StreamReader(server.port, f"/api/scans/{scan_id}/events", _bearer(key)) for _ in range(CAP)
        ]
        try:
            for stream in streams:
                assert stream.response.status == 200 and stream.next() is not None
            status, body = _get(server.port, f"/api/scans/{scan_id}/events", key)
            assert status == 429 and body["error"]["code"] == "too_many_streams"
            # The key's other routes and another key's stream still answer while the cap's worth is open.
            assert _get(server.port, f"/api/scans/{scan_id}/status", key)[0] == 200
            assert _get(server.port, "/api/scans", key)[0] == 200
            assert _get(server.port, "/api/health", key)[0] == 200
            other = StreamReader(server.port, f"/api/scans/{other_scan}/events", _bearer(other_key))
            assert other.response.status == 200
            _hang_up(other)
        finally:
            for stream in streams:
                _hang_up(stream)
        # A closed stream gives its slot back once the server notices the hang-up (at its next heartbeat).
        again = StreamReader(server.port, f"/api/scans/{scan_id}/events", _bearer(key))
        try:
            for _ in range(100):
                if again.response.status == 200:
                    break
                _hang_up(again)
                time.sleep(0.2)
                again = StreamReader(server.port, f"/api/scans/{scan_id}/events", _bearer(key))
            assert again.response.status == 200
        finally:
            _hang_up(again)
