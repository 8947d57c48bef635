"""Alembic environment: only the project's tables, never Rasa's own."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from assistant.store import Base, database_url

config = context.config
url = config.get_main_option("sqlalchemy.url") or database_url()
target_metadata = Base.metadata
OUR_TABLES = set(Base.metadata.tables)


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001
    # The tracker store's tables share the database; leave them alone.
    return not (type_ == "table" and name not in OUR_TABLES)


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      include_object=include_object, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.",
                                     poolclass=pool.NullPool, future=True)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          include_object=include_object, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
