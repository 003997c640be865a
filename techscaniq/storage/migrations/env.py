"""Alembic environment: runs on the connection techscaniq.storage.db.migrate() hands over."""

from __future__ import annotations

from alembic import context

from techscaniq.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table_schema=context.config.attributes.get("version_table_schema"),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
