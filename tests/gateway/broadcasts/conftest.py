"""The registry's per-test databases (SQLite and PostgreSQL with HEALTHAID_TEST_POSTGRES_URL)."""

from tests.registry.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    database_url,
    empty_database_url,
    engine,
    session,
    session_factory,
)
