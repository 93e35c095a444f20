"""Alembic environment for the registry.

The URL comes from `config.attributes` (set by registry.db.alembic_config), or a caller may hand
over an open connection there; there is no alembic.ini to drift from the code.
"""

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from registry.db import database_url, get_engine
from registry.schema import metadata as target_metadata_all

config = context.config
target_metadata = target_metadata_all


def _url() -> str:
    url = config.attributes.get("url")
    return str(url) if url else database_url()


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=make_url(url).get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = get_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        # Close the pooled connection, so a test can drop its database right after.
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
