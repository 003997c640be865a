"""Serve a built `Site` on one loopback port, every host by its Host header, with the hostile behaviours."""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from techscaniq.demo.site import DRIP_INTERVAL_SECONDS, THROTTLED_RESPONSES, Site, SiteResponse, build_site

IDLE_CONNECTION_TIMEOUT_SECONDS = 30
COMPRESSIBLE_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/atom+xml",
    "image/svg+xml",
)


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered."""

    method: str
    host: str
    path: str
    time: float
    status: int
    user_agent: str


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.site: Site | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.log: list[RequestRecord] = []
        self.throttle_counts: dict[tuple[str, str], int] = {}
        self.gzip_cache: dict[tuple[str, ...], bytes] = {}
        self.connections: set[socket.socket] = set()
        self.response_delay_seconds = 0.0

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up or fail the TLS handshake; report anything else."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, keep-alive clients wait out a delayed ACK each time.
    disable_nagle_algorithm = True
    timeout = IDLE_CONNECTION_TIMEOUT_SECONDS
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()
        with self.server.lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """The request log replaces stderr logging."""

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_OPTIONS(self) -> None:
        host, target = self._host_and_target()
        response = self._site().lookup(host, target)
        if response is None:
            self._misdirected(host, target)
            return
        cors = [(k, v) for k, v in response.headers if k.lower().startswith("access-control-")]
        self._record(host, target, 204)
        self._start(204, [("Allow", "GET, HEAD, OPTIONS"), *cors], length=0)

    def _site(self) -> Site:
        assert self.server.site is not None
        return self.server.site

    def _host_and_target(self) -> tuple[str, str]:
        target = self.path
        host = self.headers.get("Host", "")
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            host, target = parts.netloc, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return host.split(":", 1)[0].lower().rstrip("."), target

    def _record(self, host: str, target: str, status: int) -> None:
        record = RequestRecord(
            self.command,
            host,
            target.split("?", 1)[0],
            time.time(),
            status,
            self.headers.get("User-Agent", ""),
        )
        with self.server.lock:
            self.server.log.append(record)

    def _start(self, status: int, headers: list[tuple[str, str]], length: int) -> None:
        self.send_response_only(status)
        self.send_header("Date", formatdate(usegmt=True))
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _misdirected(self, host: str, target: str) -> None:
        body = b"Misdirected request: this server does not serve that host.\n"
        self._record(host, target, 421)
        self._start(421, [("Content-Type", "text/plain; charset=utf-8")], len(body))
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self, send_body: bool) -> None:
        host, target = self._host_and_target()
        response = self._site().lookup(host, target, self.headers.get("Cookie", ""))
        if response is None:
            self._misdirected(host, target)
            return
        key = (host, target.split("?", 1)[0])
        if response.behaviour == "throttle" and self._throttled(key):
            body = b"Too many requests, slow down.\n"
            self._record(host, target, 429)
            self._start(429, [("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "1")], len(body))
            if send_body:
                self.wfile.write(body)
            return
        headers, body = list(response.headers), response.body
        if self.server.response_delay_seconds:
            # A slower site, for tests that must act while a crawl is under way.
            self.server.stopping.wait(self.server.response_delay_seconds)
        if self._may_compress(response):
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
            # A gated path answers the challenge or the page: each is cached on its own.
            body = self._compressed((*key, str(response.status)), body)
        self._record(host, target, response.status)
        self._start(response.status, headers, len(body))
        if not send_body:
            return
        if response.behaviour == "drip":
            self._drip(body)
        else:
            self.wfile.write(body)

    def _throttled(self, key: tuple[str, str]) -> bool:
        with self.server.lock:
            seen = self.server.throttle_counts.get(key, 0)
            self.server.throttle_counts[key] = seen + 1
        return seen < THROTTLED_RESPONSES

    def _may_compress(self, response: SiteResponse) -> bool:
        if response.behaviour is not None or response.header("Content-Encoding") or not response.body:
            return False
        if "gzip" not in self.headers.get("Accept-Encoding", "").lower():
            return False
        return (response.header("Content-Type") or "").startswith(COMPRESSIBLE_TYPES)

    def _compressed(self, key: tuple[str, ...], body: bytes) -> bytes:
        cached = self.server.gzip_cache.get(key)
        if cached is None:
            cached = gzip.compress(body, compresslevel=6, mtime=0)
            self.server.gzip_cache[key] = cached
        return cached

    def _drip(self, body: bytes) -> None:
        self.close_connection = True
        for i in range(len(body)):
            try:
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
            except OSError:
                return
            if self.server.stopping.wait(DRIP_INTERVAL_SECONDS):
                return


class SiteServer:
    """A threaded HTTP(S) server for a `Site` on loopback; use `SiteServer.started(pages=30)` for the usual case."""

    def __init__(
        self,
        site: Site | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        tls: ssl.SSLContext | None = None,
        build_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if site is None and port is None:
            port = 0
        self._httpd = _HTTPServer((host, site.port if port is None and site is not None else port or 0))
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self.host = host
        self.tls = tls
        bound = self._httpd.server_address[1]
        if site is None:
            kwargs = {"scheme": "https" if tls else "http", **(build_kwargs or {})}
            site = build_site(port=int(bound), **kwargs)
        self.site = site
        self._httpd.site = site
        self._thread: threading.Thread | None = None

    @classmethod
    def started(
        cls, *, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None, **build_kwargs: Any
    ) -> SiteServer:
        """Bind a free port, build the site for it with `build_kwargs`, and start serving."""
        return cls(None, host=host, tls=tls, build_kwargs=build_kwargs).start()

    @property
    def response_delay_seconds(self) -> float:
        """Seconds every response waits before it is sent (0 by default)."""
        return self._httpd.response_delay_seconds

    @response_delay_seconds.setter
    def response_delay_seconds(self, value: float) -> None:
        self._httpd.response_delay_seconds = value

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """scheme://host:port of the listening socket, for clients that send their own Host header."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def start(self) -> SiteServer:
        """Serve in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"site-server-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end drips, close the socket and every open connection."""
        self._httpd.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        with self._httpd.lock:
            connections = list(self._httpd.connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def request_log(self) -> list[RequestRecord]:
        """A copy of every request answered so far, in order."""
        with self._httpd.lock:
            return list(self._httpd.log)

    def was_requested(self, url: str) -> bool:
        """Whether any request reached this site URL's host and path (the query is ignored)."""
        parts = urlsplit(url)
        host, path = (parts.hostname or "").lower(), parts.path or "/"
        return any(r.host == host and r.path == path for r in self.request_log)

    def reset(self) -> None:
        """Forget the request log and the per-URL 429 counters."""
        with self._httpd.lock:
            self._httpd.log.clear()
            self._httpd.throttle_counts.clear()
