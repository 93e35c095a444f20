"""The migrations build exactly the schema the models describe, on both backends."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, Engine, inspect

from registry.db import alembic_config, get_engine, upgrade
from registry.schema import Base


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert diff == []


def test_migrated_check_constraints_match_the_models(engine: Engine) -> None:
    # compare_metadata ignores CHECK constraints, so their names are compared here.
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        expected = {
            str(constraint.name)
            for constraint in table.constraints
            if isinstance(constraint, CheckConstraint)
        }
        migrated = {check["name"] for check in inspector.get_check_constraints(table.name)}

        assert migrated == expected, table.name


def test_downgrade_to_base_and_upgrade_again(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    command.downgrade(alembic_config(empty_database_url), "base")
    engine = get_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}

        upgrade(empty_database_url)

        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_when_already_at_head_changes_nothing(database_url: str) -> None:
    upgrade(database_url)

    engine = get_engine(database_url)
    try:
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
        assert heads == (
            ScriptDirectory.from_config(alembic_config(database_url)).get_current_head(),
        )
    finally:
        engine.dispose()
