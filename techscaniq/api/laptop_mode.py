"""Guards of laptop mode (TECHSCANIQ_AUTH=off): with no key to check, only this machine's own pages may call.

Any web page the user visits could otherwise submit scans to http://localhost (CSRF) or reach it through a
DNS name that resolves to 127.0.0.1 (DNS rebinding). So in this mode: the Host must be a loopback name or
address; requests a browser marks cross-site, or whose Origin is another site, are refused; and a
state-changing API request must be JSON, which no plain HTML form can send.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue

from techscaniq.config import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback_host(host: str) -> bool:
    """True for localhost names and loopback addresses (a Host header value, port and brackets allowed)."""
    name = (urlsplit(f"//{host}").hostname or "").rstrip(".").lower()
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _refuse(status: int, code: str, message: str) -> ResponseReturnValue:
    return jsonify({"success": False, "error": {"code": code, "message": message}}), status


def laptop_mode_refusal(extra_hosts: tuple[str, ...] = ()) -> ResponseReturnValue | None:
    """The refusal of this request under laptop mode, or None when it may go on."""
    host_name = (urlsplit(f"//{request.host}").hostname or "").lower()
    if not is_loopback_host(request.host) and host_name not in extra_hosts:
        return _refuse(
            403,
            "host_not_allowed",
            "with TECHSCANIQ_AUTH=off the server answers only to localhost or a loopback address",
        )
    unsafe = request.method not in SAFE_METHODS
    is_api = request.path.startswith("/api/")
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site" and (unsafe or is_api):
        return _refuse(403, "cross_site_refused", "requests from other sites are refused in laptop mode")
    origin = request.headers.get("Origin")
    origin_host = urlsplit(origin or "").netloc
    allowed_origin = is_loopback_host(origin_host or "invalid") or origin_host.split(":")[0] in extra_hosts
    if origin and (unsafe or is_api) and not allowed_origin:
        return _refuse(403, "cross_site_refused", "requests from other sites are refused in laptop mode")
    has_body = bool(request.content_length or request.mimetype)
    if is_api and unsafe and has_body and request.mimetype != "application/json":
        return _refuse(415, "unsupported_media_type", "send the request body as application/json")
    return None


def install_laptop_guard(app: Flask, settings: Settings) -> None:
    """Check every request against the laptop-mode rules when authentication is off."""
    if settings.auth_mode != "off":
        return
    hosts = settings.laptop_hosts
    app.before_request(lambda: laptop_mode_refusal(hosts))
