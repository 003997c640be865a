"""Flower at /flower on its own origin (TECHSCANIQ_FLOWER_HOST): an admin-only streaming reverse proxy.

Flower's pages need 'unsafe-inline' scripts and show attacker-influenced text (task arguments, results, worker
names), so they must not run on the app's origin. The proxy answers /flower only on the operations host, where
the app's session cookie is never accepted (the FLOWER_BASIC_AUTH credentials or an admin API key are) and no
other route of the app is served; on the app's host /flower redirects there. Flower runs with
`--url_prefix=flower`, so paths are forwarded unchanged, with Flower's own basic-auth header added upstream.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Iterator
from urllib.parse import urlsplit

import requests
from flask import Blueprint, Response, jsonify, redirect, request, stream_with_context
from flask.typing import ResponseReturnValue

from techscaniq.api.auth import current_viewer, settings
from techscaniq.api.ops_host import flower_host_matches
from techscaniq.errors import TechScanError

log = logging.getLogger(__name__)

flower_proxy = Blueprint("flower_proxy", __name__)

FLOWER_PREFIX = "/flower"
CONNECT_TIMEOUT_SECONDS = 3.0
# Flower's /api/workers?refresh=1 waits for worker replies; a little over its own inspect timeout.
READ_TIMEOUT_SECONDS = 30.0
STREAM_CHUNK_BYTES = 64 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
# Hop-by-hop headers (RFC 9110 §7.6.1) and what the proxy owns.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
NOT_FORWARDED_UP = HOP_BY_HOP | {"authorization", "cookie", "content-length"}
# Flower's pages use inline scripts and styles; everything else comes from its own static files.
FLOWER_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
REALM = 'Basic realm="techscaniq operations", charset="UTF-8"'

_upstream = requests.Session()
_upstream.trust_env = False  # never route the operator's Flower through an environment proxy


class AuthKind:
    """How an admin proved who they are (decides the cross-site checks)."""

    BEARER = "bearer"
    BASIC = "basic"
    SESSION = "session"


def basic_auth_pairs(configured: str) -> list[tuple[str, str]]:
    """The user:password pairs of a FLOWER_BASIC_AUTH value ("u:p" or "u1:p1,u2:p2")."""
    pairs = []
    for entry in configured.split(","):
        user, colon, password = entry.strip().partition(":")
        if colon and user and password:
            pairs.append((user, password))
    return pairs


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if colon else None


def admin_auth_kind() -> str | None:
    """How the request proves an admin is asking, or None (a non-admin key counts as None)."""
    header = request.headers.get("Authorization", "")
    credentials = _basic_credentials(header)
    if credentials is not None:
        user, password = credentials
        for known_user, known_password in basic_auth_pairs(settings().flower_basic_auth):
            # Both comparisons always run, so timing does not tell which half was wrong.
            same_user = hmac.compare_digest(user.encode(), known_user.encode())
            same_password = hmac.compare_digest(password.encode(), known_password.encode())
            if same_user and same_password:
                return AuthKind.BASIC
        return None
    try:
        viewer = current_viewer()
    except TechScanError:
        return None
    if not viewer.is_admin:
        return None
    return AuthKind.BEARER if header.lower().startswith("bearer ") else AuthKind.SESSION


def unauthorized() -> Response:
    """401 with a Basic challenge, so a browser can offer the FLOWER_BASIC_AUTH login."""
    response = Response(
        '{"success": false, "error": {"code": "unauthorized", "message": "admin credentials required"}}',
        status=401,
        mimetype="application/json",
    )
    response.headers["WWW-Authenticate"] = REALM
    return response


def _cross_site() -> bool:
    """True when the browser says the request comes from another site (CSRF guard for cookie sessions)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site not in {"same-origin", "none"}
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc != request.host


def on_flower_host() -> bool:
    """True when this request came to the operations host."""
    return flower_host_matches(settings().flower_host, request.host)


def _is_flower_path(path: str) -> bool:
    return path == FLOWER_PREFIX or path.startswith(f"{FLOWER_PREFIX}/")


def _refusal(status: int, code: str, message: str) -> Response:
    response = jsonify({"success": False, "error": {"code": code, "message": message}})
    response.status_code = status
    return response


@flower_proxy.before_app_request
def serve_only_flower_on_its_host() -> ResponseReturnValue | None:
    """The operations host is Flower's origin alone: none of the app's pages, API or session live there."""
    if not on_flower_host() or _is_flower_path(request.path):
        return None
    if request.path == "/" and request.method in SAFE_METHODS:
        return redirect(f"{FLOWER_PREFIX}/", code=302)
    return _refusal(404, "not_found", "the operations host serves only /flower")


def _elsewhere() -> ResponseReturnValue:
    """On the app's host: send browsers to the operations host, or say it is not configured."""
    host = settings().flower_host
    if not host:
        return _refusal(
            404, "flower_host_not_configured", "set TECHSCANIQ_FLOWER_HOST to serve Flower on its own origin"
        )
    if request.method not in {"GET", "HEAD"}:
        return _refusal(404, "not_found", f"Flower is served at {request.scheme}://{host}{FLOWER_PREFIX}/")
    target = f"{request.scheme}://{host}{request.path}"
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, code=302)


def _upstream_headers() -> dict[str, str]:
    headers = {name: value for name, value in request.headers.items() if name.lower() not in NOT_FORWARDED_UP}
    # Flower builds its URLs and checks Origin against the Host the browser used.
    headers["Host"] = request.host
    headers["X-Real-Ip"] = request.remote_addr or ""
    headers["X-Scheme"] = request.scheme
    headers["X-Forwarded-Proto"] = request.scheme
    pairs = basic_auth_pairs(settings().flower_basic_auth)
    if pairs:
        user, password = pairs[0]
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    return headers


def flower_base_url(configured: str) -> str:
    """Flower's base URL; a bare host:port (as Render's `hostport` gives) means plain HTTP."""
    configured = configured.strip().rstrip("/")
    return configured if "://" in configured else f"http://{configured}"


def _relative_location(location: str) -> str:
    """A redirect to Flower's own address becomes a path on this host."""
    parts = urlsplit(location)
    upstream = urlsplit(flower_base_url(settings().flower_url))
    if parts.netloc and parts.netloc == upstream.netloc:
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return location


def flower_auth_kind() -> str | None:
    """How the request proves an admin is asking on the operations host; the app's session never counts."""
    kind = admin_auth_kind()
    return None if kind == AuthKind.SESSION else kind


def _proxy(path: str) -> ResponseReturnValue:
    if not on_flower_host():
        return _elsewhere()
    kind = flower_auth_kind()
    if kind is None:
        return unauthorized()
    # Browsers resend cached basic credentials on their own, so a cross-site write is refused like a cookie's.
    if kind == AuthKind.BASIC and request.method not in SAFE_METHODS and _cross_site():
        return Response("cross-site request refused", status=403, mimetype="text/plain")
    target = f"{flower_base_url(settings().flower_url)}{FLOWER_PREFIX}/{path}"
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    try:
        upstream = _upstream.request(
            request.method,
            target,
            headers=_upstream_headers(),
            data=request.get_data() if request.method not in SAFE_METHODS else None,
            stream=True,
            allow_redirects=False,
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
        )
    except requests.RequestException as error:
        log.warning("Flower at %s is unreachable: %s", settings().flower_url, type(error).__name__)
        return Response(
            '{"success": false, "error": {"code": "flower_unavailable", '
            '"message": "the Flower dashboard cannot be reached"}}',
            status=502,
            mimetype="application/json",
        )

    def body() -> Iterator[bytes]:
        try:
            # Raw bytes: Content-Encoding and Content-Length pass through unchanged.
            yield from upstream.raw.stream(STREAM_CHUNK_BYTES, decode_content=False)
        finally:
            upstream.close()

    headers = [
        (name, _relative_location(value) if name.lower() == "location" else value)
        for name, value in upstream.raw.headers.items()
        if name.lower() not in HOP_BY_HOP
    ]
    response = Response(stream_with_context(body()), status=upstream.status_code, headers=headers)
    # The app's strict policy would break Flower's inline scripts; its own policy (if any) or ours applies.
    response.headers.setdefault("Content-Security-Policy", FLOWER_CSP)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@flower_proxy.route(FLOWER_PREFIX, methods=PROXIED_METHODS)
def flower_root() -> ResponseReturnValue:
    """Flower serves its dashboard at /flower/ only; admins are sent there, everyone else gets 401."""
    if not on_flower_host():
        return _elsewhere()
    if flower_auth_kind() is None:
        return unauthorized()
    return redirect(f"{FLOWER_PREFIX}/", code=302)


@flower_proxy.route(f"{FLOWER_PREFIX}/", defaults={"path": ""}, methods=PROXIED_METHODS)
@flower_proxy.route(f"{FLOWER_PREFIX}/<path:path>", methods=PROXIED_METHODS)
def flower_path(path: str) -> ResponseReturnValue:
    """Everything else of Flower: pages, its API and static files."""
    return _proxy(path)


@flower_proxy.route("/admin/queues", strict_slashes=False)
def bull_board_address() -> ResponseReturnValue:
    """The seed's Bull Board address now leads to Flower (on the operations host, when one is set)."""
    host = settings().flower_host
    return redirect(f"{request.scheme}://{host}{FLOWER_PREFIX}/" if host else FLOWER_PREFIX, code=302)
