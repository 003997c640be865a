"""Organisations and API keys (stored as SHA-256 of the secret)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from techscaniq.domain import ApiKey
from techscaniq.errors import NotFoundError
from techscaniq.storage.rows import _aware, utcnow
from techscaniq.storage.tables import api_keys, organizations

API_KEY_PREFIX = "tsq_"
DEFAULT_ORG_NAME = "default"


def _hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def get_or_create_org(session: Session, name: str) -> str:
    """The id of the organisation with this name, created if new."""
    found = session.execute(select(organizations.c.id).where(organizations.c.name == name)).scalar()
    if found:
        return str(found)
    org_id = str(uuid.uuid4())
    try:
        with session.begin_nested():
            session.execute(insert(organizations).values(id=org_id, name=name, created_at=utcnow()))
    except IntegrityError:
        return str(
            session.execute(select(organizations.c.id).where(organizations.c.name == name)).scalar_one()
        )
    return org_id


def _key_from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        org_id=row.org_id,
        org_name=row.org_name,
        label=row.label,
        is_admin=bool(row.is_admin),
        prefix=row.prefix,
        created_at=_aware(row.created_at) or utcnow(),
        revoked_at=_aware(row.revoked_at),
    )


def _key_query() -> Any:
    return select(
        api_keys.c.id,
        api_keys.c.org_id,
        organizations.c.name.label("org_name"),
        api_keys.c.label,
        api_keys.c.is_admin,
        api_keys.c.prefix,
        api_keys.c.created_at,
        api_keys.c.revoked_at,
    ).join(organizations, organizations.c.id == api_keys.c.org_id)


def create_api_key(
    session: Session, org_name: str, *, label: str | None, is_admin: bool
) -> tuple[ApiKey, str]:
    """Create a key for an organisation; returns the stored key and the secret (shown once, stored hashed)."""
    org_id = get_or_create_org(session, org_name)
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = str(uuid.uuid4())
    session.execute(
        insert(api_keys).values(
            id=key_id,
            org_id=org_id,
            label=label,
            is_admin=is_admin,
            prefix=secret[:12],
            key_hash=_hash_key(secret),
            created_at=utcnow(),
        )
    )
    row = session.execute(_key_query().where(api_keys.c.id == key_id)).one()
    return _key_from_row(row), secret


def find_api_key(session: Session, secret: str) -> ApiKey | None:
    """The live (not revoked) key with this secret, if any."""
    row = session.execute(
        _key_query().where(api_keys.c.key_hash == _hash_key(secret), api_keys.c.revoked_at.is_(None))
    ).first()
    return _key_from_row(row) if row else None


def list_api_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first."""
    return [_key_from_row(row) for row in session.execute(_key_query().order_by(api_keys.c.created_at))]


def revoke_api_key(session: Session, key_id_or_prefix: str) -> ApiKey:
    """Revoke a key by id or by its shown prefix."""
    row = session.execute(
        _key_query().where(or_(api_keys.c.id == key_id_or_prefix, api_keys.c.prefix == key_id_or_prefix))
    ).first()
    if row is None:
        raise NotFoundError(f"no API key {key_id_or_prefix!r}")
    session.execute(update(api_keys).where(api_keys.c.id == row.id).values(revoked_at=utcnow()))
    return _key_from_row(session.execute(_key_query().where(api_keys.c.id == row.id)).one())


def count_admin_keys(session: Session) -> int:
    """How many live admin keys exist (the first run creates one)."""
    return int(
        session.execute(
            select(func.count())
            .select_from(api_keys)
            .where(api_keys.c.is_admin, api_keys.c.revoked_at.is_(None))
        ).scalar_one()
    )
