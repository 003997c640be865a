"""The company key of a scanned URL: its registrable domain, lower-case, without port (an IP stays itself)."""

from __future__ import annotations

from techscaniq.evidence.urls import registrable_domain, url_host


def company_domain(website_url: str) -> str:
    """`https://www.Example.co.uk:8443/x` → `example.co.uk`; `http://127.0.0.1:9000/` → `127.0.0.1`."""
    host = url_host(website_url.strip())
    if not host:
        return website_url.strip().lower()[:253] or "unknown"
    return registrable_domain(host)[:253]
