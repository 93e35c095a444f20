"""Engine and URL handling; SQLite only, since it is about SQLite's connection settings."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from registry.db import REPO_ROOT, URL_VARIABLE, database_url, get_engine


def test_default_url_is_the_sqlite_file_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(URL_VARIABLE, raising=False)

    assert database_url() == f"sqlite:///{REPO_ROOT / 'var' / 'healthaid.db'}"
    assert (REPO_ROOT / "var").is_dir()


def test_environment_variable_chooses_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(URL_VARIABLE, "postgresql+psycopg://db.example/healthaid")

    assert database_url() == "postgresql+psycopg://db.example/healthaid"


def test_sqlite_connections_enforce_foreign_keys_and_wait_when_busy(tmp_path: Path) -> None:
    engine = get_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        with engine.connect() as connection:
            foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar()
            busy_timeout = connection.execute(text("PRAGMA busy_timeout")).scalar()
    finally:
        engine.dispose()

    assert (foreign_keys, busy_timeout) == (1, 10_000)


def test_importing_the_registry_creates_no_engine() -> None:
    # In a fresh interpreter, so other tests' engines do not count.
    probe = (
        "import gc, sqlalchemy\n"
        "import registry.commands, registry.importer, registry.models, registry.residents\n"
        "assert not [o for o in gc.get_objects() if isinstance(o, sqlalchemy.Engine)]\n"
    )

    subprocess.run([sys.executable, "-c", probe], check=True, cwd=REPO_ROOT)
