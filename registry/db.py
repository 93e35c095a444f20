"""Engines, sessions and migrations for the registry database.

Nothing here runs at import time: the URL is read, and an engine created, only when asked for,
so tests and tools can point each call at their own database (STYLE.md, point 9).
"""

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
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


class DatabaseNotReady(Exception):
    """The database cannot be used as it is: never migrated, migrated to an older or unknown
    revision, or not reachable. The message is one line saying what to do, for a person."""


UPGRADE_COMMAND = "healthaid db upgrade"


def check_ready(engine: Engine) -> None:
    """Raise DatabaseNotReady unless the database at `engine` is migrated to this code's head.

    Cheap (one query of alembic_version); commands call it before their first query, so a
    database nobody migrated gets one line naming `healthaid db upgrade`, not a traceback
    about a missing table.
    """
    url = engine.url.render_as_string(hide_password=False)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        raise DatabaseNotReady(f"无法打开数据库 {render_url(url)}：{reason}") from None
    scripts = ScriptDirectory.from_config(alembic_config(url))
    if current == set(scripts.get_heads()):
        return
    if not current:
        raise DatabaseNotReady(f"数据库还没有初始化，请先运行 {UPGRADE_COMMAND}")
    known = {revision.revision for revision in scripts.walk_revisions()}
    if current <= known:
        raise DatabaseNotReady(f"数据库版本较旧，请先运行 {UPGRADE_COMMAND}")
    raise DatabaseNotReady(
        f"数据库版本（{', '.join(sorted(current))}）比本程序新：请使用新版本的 healthaid"
    )


def ready_engine(url: str | None = None) -> Engine:
    """`get_engine(url)` after `check_ready`; the caller disposes of it. Raises
    DatabaseNotReady (the engine already disposed of) when the database is not usable."""
    engine = get_engine(url)
    try:
        check_ready(engine)
    except DatabaseNotReady:
        engine.dispose()
        raise
    return engine


def render_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)
