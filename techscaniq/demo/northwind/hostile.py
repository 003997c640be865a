"""Hostile pages for the safety tests: redirect loops, oversized and drip-fed bodies, a gzip bomb, throttling."""

from __future__ import annotations

import random

from techscaniq.demo.northwind.builder import SiteBuilder
from techscaniq.demo.northwind.common import esc, gzip_bomb
from techscaniq.demo.northwind.facts import COMPANY, OVERSIZED_BYTES, THROTTLED_RESPONSES


class HostilePages(SiteBuilder):
    """Hostile pages for the safety tests."""

    # -- hostile pages -----------------------------------------------------------------------------------------------

    def build_hostile(self) -> None:
        html_type = "text/html; charset=utf-8"
        entries = [
            ("redirect_loop", "/labs/loop-a", "Saved views", None, "redirect loop: too many redirects"),
            (
                "oversized",
                "/labs/annual-report",
                "Annual ledger export",
                None,
                "8 MiB body: over the size cap",
            ),
            (
                "slow_drip",
                "/labs/live-feed",
                "Live payment feed",
                "drip",
                "one byte per 0.5 s: total deadline exceeded",
            ),
            (
                "gzip_bomb",
                "/labs/archive",
                "Archive",
                "gzip-bomb",
                "gzip body inflating to 128 MiB: decoded size cap exceeded",
            ),
            (
                "binary_as_html",
                "/labs/export",
                "Raw export",
                None,
                "binary bytes labelled text/html: not parseable text",
            ),
            ("server_error", "/labs/flaky", "Reconciliation preview", None, "HTTP 500 on every attempt"),
            (
                "rate_limited",
                "/labs/busy",
                "Forecast sandbox",
                "throttle",
                f"429 with Retry-After: 1 for the first {THROTTLED_RESPONSES} requests, then 200",
            ),
            ("broken_html", "/labs/broken", "Legacy report viewer", None, "malformed HTML: parsed leniently"),
        ]
        www = self.url("www")
        self.add("www", "/labs/loop-a", b"", html_type, status=302, extra=[("Location", www + "labs/loop-b")])
        self.add("www", "/labs/loop-b", b"", html_type, status=302, extra=[("Location", www + "labs/loop-a")])
        head = b"<!DOCTYPE html><html><head><title>Annual ledger export</title></head><body><table>\n"
        row = b"<tr><td>2024-12-31</td><td>Accrued liabilities</td><td>1,204,331.18</td><td>USD</td></tr>\n"
        tail = b"</table></body></html>\n"
        rows = (OVERSIZED_BYTES - len(head) - len(tail)) // len(row)
        filler = b" " * (OVERSIZED_BYTES - len(head) - len(tail) - rows * len(row))
        self.add("www", "/labs/annual-report", head + row * rows + filler + tail, html_type)
        drip = (
            b"<!DOCTYPE html><html><head><title>Live payment feed</title></head><body><p>Waiting for payments"
            + b"." * 80
        )
        self.add("www", "/labs/live-feed", drip + b"</p></body></html>\n", html_type, behaviour="drip")
        self.add(
            "www",
            "/labs/archive",
            gzip_bomb(),
            html_type,
            extra=[("Content-Encoding", "gzip")],
            behaviour="gzip-bomb",
        )
        self.add("www", "/labs/export", random.Random(f"{self.seed}:binary").randbytes(64 * 1024), html_type)
        self.add(
            "www",
            "/labs/flaky",
            b"<!DOCTYPE html><html><body><h1>Internal Server Error</h1></body></html>",
            html_type,
            status=500,
        )
        self.add(
            "www",
            "/labs/busy",
            b"<!DOCTYPE html><html><head><title>Forecast sandbox</title></head><body>"
            b"<h1>Forecast sandbox</h1><p>The sandbox is ready.</p></body></html>\n",
            html_type,
            behaviour="throttle",
        )
        broken = (
            '<html><head><title>Legacy report viewer</head><body><div class="report"><table><tr><td>Q1<td>Q2'
            '<p>Totals <b><i>for the year</b></i> <a href="/labs/broken?x=1&y=<2">next</a> &notanentity; '
            "<div><span>unclosed<p>paragraph <!-- an unterminated comment <script>var x = '</div>"
            '<img src="x.png" alt="unterminated attribute><ul><li>one<li>two</table></body>'
        )
        self.add("www", "/labs/broken", broken.encode(), html_type)
        links = "".join(
            f'<li><a href="/{path.lstrip("/")}">{esc(title)}</a></li>' for _, path, title, _, _ in entries
        )
        self.www_page(
            "/labs",
            f"Labs | {COMPANY}",
            "Experimental features.",
            f"<h1>Northwind Labs</h1><p>Experiments that are not ready for everyone.</p><ul>{links}</ul>",
            cls=None,
        )
        self.hostile = {
            "index": self.url("www", "/labs"),
            "pages": [
                {
                    "name": name,
                    "url": self.url("www", path),
                    "behaviour": behaviour,
                    "expected": expected,
                    "status": self.responses[(self.hosts["www"], path)].status,
                }
                for name, path, _, behaviour, expected in entries
            ],
        }
