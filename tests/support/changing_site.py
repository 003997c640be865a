"""A loopback site whose stack and headers change on demand: what a company looks like between two scans."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Before: jQuery and X-Frame-Options. After: jQuery gone, Bootstrap added, X-Frame-Options dropped.
SCRIPTS = {"before": "/js/jquery-3.7.1.min.js", "after": "/js/bootstrap-5.3.2.min.js"}
HEADERS = {
    "before": {
        "Strict-Transport-Security": "max-age=31536000",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Server": "nginx/1.24.0",
    },
    "after": {
        "Strict-Transport-Security": "max-age=31536000",
        "X-Content-Type-Options": "nosniff",
        "Server": "nginx/1.24.0",
    },
}
PAGE = """<!doctype html>
<html lang="en"><head><title>Borealis Freight - shipment visibility</title>
<meta name="description" content="Borealis Freight tracks every pallet from dock to door.">
<script src="{script}"></script>
</head><body>
<nav><a href="/pricing">Pricing</a> <a href="/about">About</a></nav>
<main><h1>Shipment visibility for mid-size shippers</h1>
<p>Live ETAs, exception alerts and carrier scorecards in one place.</p></main>
</body></html>"""


class ChangingSite:
    """A threaded HTTP server on 127.0.0.1 serving the `before` or the `after` version of one small site."""

    def __init__(self) -> None:
        self.version = "before"
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/robots.txt":
                    self._send(200, "text/plain", "User-agent: *\nAllow: /\n")
                elif path in ("/", "/pricing", "/about"):
                    html = PAGE.format(script=SCRIPTS[site.version])
                    self._send(200, "text/html; charset=utf-8", html, HEADERS[site.version])
                elif path.startswith("/js/"):
                    self._send(200, "application/javascript", "/* bundle */")
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

    def __enter__(self) -> ChangingSite:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
