"""What a built demo site is: canned responses by host and path, the manifest of planted facts, the DNS zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SiteResponse:
    """One canned HTTP response; `behaviour` names special serving (drip, gzip-bomb, throttle) or is None."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    behaviour: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively, or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass
class Site:
    """A built site: responses by (host, path), the manifest of planted facts, and the DNS zone."""

    domain: str
    port: int
    scheme: str
    hosts: dict[str, str]
    responses: dict[tuple[str, str], SiteResponse]
    manifest: dict[str, Any]
    host_redirects: dict[str, str] = field(default_factory=dict)
    not_found: dict[str, SiteResponse] = field(default_factory=dict)
    # Hosts behind a challenge: the cookie ("name=value") that passes it, and the challenge answered without it.
    gates: dict[str, tuple[str, SiteResponse]] = field(default_factory=dict)
    zone_template: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def url(self, host_label: str = "www", path: str = "/") -> str:
        """Absolute URL of `path` on the host with this label (apex, www, docs, status, trust, api, mta-sts, jobs)."""
        return origin_url(self.scheme, self.hosts[host_label], self.port) + path

    def lookup(self, host: str, target: str, cookie: str = "") -> SiteResponse | None:
        """The response for a Host header value, request target and Cookie header; None when the host is not
        part of the site."""
        host = host.split(":", 1)[0].strip().lower().rstrip(".")
        path = target.split("?", 1)[0].split("#", 1)[0] or "/"
        gate = self.gates.get(host)
        if gate is not None and gate[0] not in [part.strip() for part in cookie.split(";")]:
            return gate[1]
        if host in self.host_redirects:
            location = origin_url(self.scheme, self.host_redirects[host], self.port) + target
            return SiteResponse(
                301, (("Location", location), ("Content-Type", "text/html; charset=utf-8")), b""
            )
        response = self.responses.get((host, path))
        if response is not None:
            return response
        return self.not_found.get(host)

    def dns_zone(self, ip: str = "127.0.0.1") -> dict[str, dict[str, list[str]]]:
        """Records by name (no trailing dot) and type, values in zone-file presentation format; A records get `ip`."""
        return {
            name: {
                rtype: [ip if value == "{ip}" else value for value in values]
                for rtype, values in rrsets.items()
            }
            for name, rrsets in self.zone_template.items()
        }


def origin_url(scheme: str, host: str, port: int) -> str:
    default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    return f"{scheme}://{host}" if default else f"{scheme}://{host}:{port}"
