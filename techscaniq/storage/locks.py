"""Named locks across processes: one reaper pass at a time (PostgreSQL advisory locks)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select

from techscaniq.config import Settings
from techscaniq.storage.db import get_engine


@contextmanager
def held_alone(settings: Settings, name: str) -> Iterator[bool]:
    """Yield True when this process holds the lock `name` for the block, False when another one holds it.

    On SQLite the answer is always True: its writers are serialised, and every reaper update is conditional anyway.
    """
    engine = get_engine(settings)
    if engine.dialect.name != "postgresql":
        yield True
        return
    # Advisory locks are per database: the schema keeps installations (and test schemas) apart.
    key = zlib.crc32(f"{settings.db_schema}:{name}".encode()) - 2**31
    with engine.connect() as connection:
        held = bool(connection.execute(select(func.pg_try_advisory_lock(key))).scalar())
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(select(func.pg_advisory_unlock(key)))
                connection.commit()
