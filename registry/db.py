"""Engines, sessions and migrations for the registry database.

Nothing here runs at import time: the URL is read, and an engine created, only when asked for,
so tests and tools can point each call at their own database (STYLE.md, point 9).
"""

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

URL_VARIABLE = "HEALTHAID_DATABASE_URL"
REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# SQLite answers "database is locked" at once by default; the action server and a CLI import
# may write at the same moment, so wait a while for the other writer instead.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def default_url() -> str:
    """The SQLite file under <repo>/var, creating var/ so the first run just works."""
    var = REPO_ROOT / "var"
    var.mkdir(exist_ok=True)
    return f"sqlite:///{var / 'healthaid.db'}"


def database_url() -> str:
    return os.environ.get(URL_VARIABLE) or default_url()


def get_engine(url: str | None = None) -> Engine:
    """A new engine for `url` (default: $HEALTHAID_DATABASE_URL, else the SQLite file).

    Not cached: the caller owns the engine and disposes of it; a long-running server creates
    one at start-up.
    """
    engine = create_engine(url or database_url())
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked on every new connection.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # WAL lets the gateway, the action server and the CLI read while one of them writes,
        # and with synchronous=NORMAL a commit no longer waits for an fsync (a committed turn
        # survives a process crash; only an OS crash may lose the last few).
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False lets callers read what they just saved after the transaction.
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config built in code; env.py reads the URL from `attributes`, not an .ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url or database_url()
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Run the migrations up to `revision` on the database at `url`."""
    command.upgrade(alembic_config(url), revision)


def render_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)
