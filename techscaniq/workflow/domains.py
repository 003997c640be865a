"""The company key of a scanned URL: its registrable domain, lower-case, without port (an IP stays itself)."""

from __future__ import annotations

from urllib.parse import urlsplit

from techscaniq.evidence.observatory import registrable_domain


def company_domain(website_url: str) -> str:
    """`https://www.Example.co.uk:8443/x` → `example.co.uk`; `http://127.0.0.1:9000/` → `127.0.0.1`."""
    try:
        host = (urlsplit(website_url.strip()).hostname or "").rstrip(".").lower()
    except ValueError:
        host = ""
    if not host:
        return website_url.strip().lower()[:253] or "unknown"
    return registrable_domain(host)[:253]
