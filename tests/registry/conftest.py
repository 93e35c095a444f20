"""An isolated, migrated database per test, on SQLite and on PostgreSQL.

PostgreSQL tests need $HEALTHAID_TEST_POSTGRES_URL: `scripts/postgres.sh with .venv/bin/pytest`
sets it for one run (that is what `make test` does), or `scripts/postgres.sh start` then
`export HEALTHAID_TEST_POSTGRES_URL=$(scripts/postgres.sh url)`. Without it they fail rather
than skip, because CI always provides it and a skipped backend would pass unnoticed.
Deselect them on purpose with `-m "not postgres"`.
"""

import argparse
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from registry.commands import register
from registry.db import URL_VARIABLE, get_engine, make_sessionmaker, upgrade

POSTGRES_URL_VARIABLE = "HEALTHAID_TEST_POSTGRES_URL"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has used: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
    else:
        yield from _fresh_postgres_database()


def _fresh_postgres_database() -> Iterator[str]:
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        pytest.fail(
            f"{POSTGRES_URL_VARIABLE} is not set. Run `scripts/postgres.sh start` and "
            f"`export {POSTGRES_URL_VARIABLE}=$(scripts/postgres.sh url)`, "
            'or deselect these tests with -m "not postgres".',
            pytrace=False,
        )
    name = f"healthaid_test_{uuid.uuid4().hex[:16]}"
    # CREATE/DROP DATABASE cannot run inside a transaction.
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            # FORCE: a test that failed may have left a connection open.
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """The same, migrated to head."""
    upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = get_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI commands, which read the environment, at the test database."""
    monkeypatch.setenv(URL_VARIABLE, database_url)
    return database_url


def run(*argv: str) -> int:
    """The registry's subcommands (`residents import`, `purge`…) as `healthaid` parses them;
    the exit code."""
    parser = argparse.ArgumentParser(prog="healthaid")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code
