"""Authentication: bearer API keys for clients, a signed session cookie for the UI, CSRF for cookie requests."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, Request, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from techscaniq import accounts
from techscaniq.accounts import Viewer
from techscaniq.api.ops_host import flower_host_matches
from techscaniq.config import Settings
from techscaniq.errors import AuthError, ForbiddenError

SESSION_COOKIE_NAME = "techscaniq_session"
SESSION_LIFETIME = timedelta(hours=12)
SESSION_KEY_ID = "key_id"
SESSION_CSRF = "csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SECRET_FILE_NAME = "session-secret"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def settings() -> Settings:
    """The app's settings."""
    settings: Settings = current_app.config["TECHSCANIQ_SETTINGS"]
    return settings


class UiSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure whenever the request itself came over https."""

    def open_session(self, app: Flask, req: Request) -> SecureCookieSession | None:
        """No session on Flower's operations host: the app's cookie is neither read nor refreshed there."""
        configured: Settings = app.config["TECHSCANIQ_SETTINGS"]
        if flower_host_matches(configured.flower_host, req.host):
            return None
        return super().open_session(app, req)

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure when configured or when this request is https (behind a proxy: with ProxyFix)."""
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def session_secret(config: Settings) -> str:
    """The key that signs session cookies: TECHSCANIQ_SECRET_KEY, else one kept in the data directory."""
    if config.secret_key:
        return config.secret_key
    # One secret per data directory, so every gunicorn worker on this machine signs alike.
    path = Path(config.data_dir) / SECRET_FILE_NAME
    try:
        return path.read_text().strip() or _write_secret(path)
    except FileNotFoundError:
        return _write_secret(path)


def _write_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        with path.open("x") as handle:
            path.chmod(0o600)
            handle.write(secret)
    except FileExistsError:
        # Another worker won the race: use its secret.
        return path.read_text().strip()
    return secret


def configure_sessions(app: Flask, config: Settings) -> None:
    """Session cookie settings of the UI: signed, HttpOnly, SameSite=Lax, Secure over https."""
    app.secret_key = session_secret(config)
    app.session_interface = UiSessionInterface()
    app.config.update(
        SESSION_COOKIE_NAME=SESSION_COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )


def csrf_token() -> str:
    """The session's CSRF token (created on first use); forms and the UI's fetch calls send it back."""
    token = session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF] = token
    return token


def check_csrf(req: Request) -> None:
    """Refuse a state-changing request whose CSRF token (header or form field) does not match the session's."""
    expected = session.get(SESSION_CSRF)
    sent = req.headers.get(CSRF_HEADER) or req.form.get(CSRF_FIELD)
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise ForbiddenError(
            "the form has expired or did not come from this site; reload the page and try again",
            code="csrf_failed",
        )


def current_viewer() -> Viewer:
    """Authenticate the request once (bearer key, else the UI's session cookie); AuthError when that fails."""
    viewer: Viewer | None = g.get("viewer")
    if viewer is not None:
        return viewer
    config = settings()
    header = request.headers.get("Authorization", "")
    found: Viewer | None
    if config.auth_mode == "off":
        found = accounts.anonymous_admin(config)
    elif header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthError("send an API key as 'Authorization: Bearer <key>'", code="unauthorized")
        found = accounts.viewer_for_secret(config, secret)
        if found is None:
            raise AuthError("the API key is unknown or revoked", code="invalid_api_key")
    else:
        key_id = session.get(SESSION_KEY_ID)
        if not isinstance(key_id, str) or not key_id:
            raise AuthError(
                "send an API key as 'Authorization: Bearer <key>' or sign in", code="unauthorized"
            )
        found = accounts.viewer_for_key_id(config, key_id)
        if found is None:
            session.pop(SESSION_KEY_ID, None)
            raise AuthError("the API key of this session is unknown or revoked", code="invalid_api_key")
        if request.method not in SAFE_METHODS:
            check_csrf(request)
    g.viewer = found
    return found


def optional_viewer() -> Viewer | None:
    """The viewer when the request is authenticated, else None (pages redirect to sign-in)."""
    try:
        return current_viewer()
    except AuthError:
        return None


def sign_in(secret: str) -> Viewer:
    """Start a UI session for the key with this secret; AuthError when it is unknown or revoked."""
    viewer = accounts.viewer_for_secret(settings(), secret)
    if viewer is None:
        raise AuthError("this API key is unknown or revoked", code="invalid_api_key")
    # A fresh session (and CSRF token) on every sign-in: nothing from before survives it.
    session.clear()
    session.permanent = True
    session[SESSION_KEY_ID] = viewer.key_id
    csrf_token()
    g.viewer = viewer
    return viewer


def sign_out() -> None:
    """End the UI session."""
    session.clear()
    g.pop("viewer", None)
