"""Who is asking: API keys resolved to a Viewer (the organisation and key behind a request)."""

from __future__ import annotations

from dataclasses import dataclass

from techscaniq.config import Settings
from techscaniq.domain import ApiKey
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope

DEFAULT_ORG_NAME = repo.DEFAULT_ORG_NAME


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


def viewer_of(key: ApiKey) -> Viewer:
    """The viewer acting with this key."""
    return Viewer(org_id=key.org_id, org_name=key.org_name, key_id=key.id, is_admin=key.is_admin)


def anonymous_admin(settings: Settings) -> Viewer:
    """The viewer of every request when authentication is off: an admin of the default organisation."""
    with session_scope(settings) as db:
        org_id = repo.get_or_create_org(db, DEFAULT_ORG_NAME)
    return Viewer(org_id=org_id, org_name=DEFAULT_ORG_NAME, key_id=None, is_admin=True)


def viewer_for_secret(settings: Settings, secret: str) -> Viewer | None:
    """The viewer of a live API key's secret, or None when it is unknown or revoked."""
    with session_scope(settings, write=False) as db:
        key = repo.find_api_key(db, secret.strip())
    return viewer_of(key) if key is not None else None


def viewer_for_key_id(settings: Settings, key_id: str) -> Viewer | None:
    """The viewer of a live API key by its id (a UI session), or None when it is unknown or revoked."""
    with session_scope(settings, write=False) as db:
        for key in repo.list_api_keys(db):
            if key.id == key_id and key.revoked_at is None:
                return viewer_of(key)
    return None


def org_id_named(settings: Settings, name: str | None) -> str:
    """The id of the organisation with this name (the default one when None), created if new."""
    with session_scope(settings) as db:
        return repo.get_or_create_org(db, name or DEFAULT_ORG_NAME)
