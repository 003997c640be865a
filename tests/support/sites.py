"""A small loopback web site for end-to-end tests of the queue path (the realistic site lives in techscaniq.demo)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOME_HTML = """<!doctype html>
<html lang="en"><head><title>Acme Analytics - revenue intelligence</title>
<meta name="description" content="Acme Analytics turns billing data into revenue forecasts.">
</head><body>
<nav><a href="/pricing">Pricing</a> <a href="/security">Security</a> <a href="/careers">Careers</a>
<a href="https://github.com/acme-analytics">GitHub</a></nav>
<main><h1>Revenue intelligence for subscription businesses</h1>
<p>Forecast churn, expansion and cash with models trained on your own billing history.</p></main>
</body></html>"""

ROBOTS = "User-agent: *\nDisallow: /admin\nSitemap: /sitemap.xml\n"

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Server": "nginx/1.24.0",
}


class LoopbackSite:
    """A threaded HTTP server on 127.0.0.1 serving a home page and robots.txt, optionally slowly."""

    def __init__(self, *, home_delay_seconds: float = 0.0) -> None:
        self.home_delay_seconds = home_delay_seconds
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                if self.path == "/robots.txt":
                    self._send(200, "text/plain", ROBOTS)
                elif self.path == "/":
                    time.sleep(site.home_delay_seconds)
                    self._send(200, "text/html; charset=utf-8", HOME_HTML, SECURITY_HEADERS)
                else:
                    self._send(404, "text/html", "<h1>Not found</h1>")

            def _send(
                self, status: int, content_type: str, body: str, headers: dict[str, str] | None = None
            ) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The home page URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self) -> LoopbackSite:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
