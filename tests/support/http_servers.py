"""Small threaded loopback HTTP/HTTPS servers with scripted responses, for tests of the guarded fetch."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import select
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Responder = Callable[[BaseHTTPRequestHandler], None]

MAX_DRIP_SECONDS = 10.0


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-response are the point of several tests, not errors to print."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class SeenRequest:
    """One request the server received."""

    method: str
    host: str
    path: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        """The first value of a request header, or None."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


class LoopbackHTTPServer:
    """A threaded HTTP/1.1 server on 127.0.0.1; routes by (Host name, path) or by path alone."""

    def __init__(
        self, tls_context: ssl.SSLContext | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.host = host
        self.scheme = "https" if tls_context else "http"
        self.requests: list[SeenRequest] = []
        self._routes: dict[tuple[str | None, str], Responder] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server._dispatch(self)

            def do_HEAD(self) -> None:
                server._dispatch(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = _QuietServer((host, port), Handler)
        if tls_context is not None:
            self._httpd.socket = tls_context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/", name: str | None = None) -> str:
        """A URL for this server under a name (default: its IP)."""
        return f"{self.scheme}://{name or self.host}:{self.port}{path}"

    def route(self, path: str, responder: Responder, name: str | None = None) -> None:
        """Answer requests for a path (for one Host name, or any) with a responder."""
        with self._lock:
            self._routes[(name, path)] = responder

    def seen(self, path: str | None = None) -> list[SeenRequest]:
        """Requests received, optionally only those for one path."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        name = (handler.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        seen = SeenRequest(
            handler.command, handler.headers.get("Host") or "", handler.path, list(handler.headers.items())
        )
        with self._lock:
            self.requests.append(seen)
            responder = self._routes.get((name, handler.path)) or self._routes.get((None, handler.path))
        (responder or respond(404, b"not found"))(handler)

    def start(self) -> LoopbackHTTPServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LoopbackHTTPServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def respond(
    status: int = 200,
    body: bytes = b"<html><body>hello</body></html>",
    content_type: str | None = "text/html; charset=utf-8",
    headers: Iterable[tuple[str, str]] = (),
) -> Responder:
    """A fixed response with Content-Length."""
    extra = list(headers)

    def responder(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        for key, value in extra:
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    return responder


def redirect(location: str, status: int = 302, headers: Iterable[tuple[str, str]] = ()) -> Responder:
    """A redirect with a small body."""
    return respond(status, b"moved", "text/plain", [("Location", location), *headers])


def redirect_with_endless_body(location: str, status: int = 301) -> Responder:
    """A redirect whose declared body drips forever: reading it would hang the client."""

    def responder(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", str(100 * 1024 * 1024))
        handler.end_headers()
        _drip(handler, interval_seconds=0.05)

    return responder


def sequence(responders: Sequence[Responder]) -> Responder:
    """Successive requests get successive responders; the last one repeats."""
    counter = itertools.count()
    lock = threading.Lock()

    def responder(handler: BaseHTTPRequestHandler) -> None:
        with lock:
            index = min(next(counter), len(responders) - 1)
        responders[index](handler)

    return responder


def gzip_bomb(decoded_bytes: int) -> Responder:
    """A small gzip body that decodes to `decoded_bytes` zero bytes."""
    compressed = gzip.compress(b"\0" * decoded_bytes, compresslevel=9)
    return respond(200, compressed, "text/html", [("Content-Encoding", "gzip")])


def declared_length(length: int) -> Responder:
    """Declares a huge Content-Length, then sends nothing and waits: only an early refusal ends quickly."""

    def responder(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        handler.wfile.flush()
        _drip(handler, interval_seconds=0.5, byte=b"")

    return responder


def slow_drip(total_bytes: int = 10_000, interval_seconds: float = 0.05) -> Responder:
    """Headers at once, then one body byte per interval: each read succeeds, the whole never ends in time."""

    def responder(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(total_bytes))
        handler.end_headers()
        _drip(handler, interval_seconds)

    return responder


def slow_headers(interval_seconds: float = 0.05) -> Responder:
    """A status line, then header bytes one at a time, never finishing the headers."""

    def responder(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        handler.wfile.flush()
        deadline = time.monotonic() + MAX_DRIP_SECONDS
        for char in itertools.cycle(b"X-Slow: aaaaaaaaaaaaaaaa\r\n"):
            if time.monotonic() > deadline:
                break
            try:
                handler.wfile.write(bytes([char]))
                handler.wfile.flush()
            except OSError:
                break
            time.sleep(interval_seconds)
        handler.close_connection = True

    return responder


def many_headers(count: int) -> Responder:
    """A response with `count` headers (http.client refuses more than 100)."""
    return respond(200, b"ok", "text/plain", [(f"X-Header-{i}", "v") for i in range(count)])


def _peer_closed(handler: BaseHTTPRequestHandler, wait_seconds: float) -> bool:
    readable, _, _ = select.select([handler.connection], [], [], wait_seconds)
    if not readable:
        return False
    try:
        return handler.connection.recv(1, socket.MSG_PEEK) == b""
    except ValueError:  # TLS sockets cannot peek
        return False
    except OSError:
        return True


def _drip(handler: BaseHTTPRequestHandler, interval_seconds: float, byte: bytes = b"x") -> None:
    deadline = time.monotonic() + MAX_DRIP_SECONDS
    while time.monotonic() < deadline:
        try:
            if byte:
                handler.wfile.write(byte)
                handler.wfile.flush()
        except OSError:
            break
        if _peer_closed(handler, interval_seconds):
            break
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.close()
