"""API-key authentication: who is asking, and which organisation's scans they may see."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, request

from techscaniq.config import Settings
from techscaniq.errors import AuthError
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope


@dataclass(frozen=True)
class Viewer:
    """The caller: an organisation (None for admins: they see everything) and the key used."""

    org_id: str
    org_name: str
    key_id: str | None
    is_admin: bool

    @property
    def scope_org_id(self) -> str | None:
        """The organisation filter for queries: None lets admins see every organisation."""
        return None if self.is_admin else self.org_id


def settings() -> Settings:
    """The app's settings."""
    settings: Settings = current_app.config["TECHSCANIQ_SETTINGS"]
    return settings


def current_viewer() -> Viewer:
    """Authenticate the request (bearer key) once and remember the viewer; AuthError when that fails."""
    viewer: Viewer | None = g.get("viewer")
    if viewer is not None:
        return viewer
    config = settings()
    if config.auth_mode == "off":
        with session_scope(config) as session:
            org_id = repo.get_or_create_org(session, repo.DEFAULT_ORG_NAME)
        viewer = Viewer(org_id=org_id, org_name=repo.DEFAULT_ORG_NAME, key_id=None, is_admin=True)
    else:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthError("send an API key as 'Authorization: Bearer <key>'", code="unauthorized")
        with session_scope(config, write=False) as session:
            key = repo.find_api_key(session, secret.strip())
        if key is None:
            raise AuthError("the API key is unknown or revoked", code="invalid_api_key")
        viewer = Viewer(org_id=key.org_id, org_name=key.org_name, key_id=key.id, is_admin=key.is_admin)
    g.viewer = viewer
    return viewer
