"""INSERT … ON CONFLICT DO NOTHING on the two databases the registry runs on.

Select-then-insert races: two transactions both find no row and both insert, and the second
fails on the unique constraint. Letting the database decide is correct across threads and
processes: on PostgreSQL the second INSERT waits for the first transaction and then does
nothing; on SQLite writers are serialised anyway.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import FromClause
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_or_ignore(
    session: Session, table: FromClause, conflict: Sequence[str], values: Mapping[str, Any]
) -> bool:
    """Insert `values` into `table` unless a row with the same `conflict` columns (a primary
    key or unique constraint) exists. True when this call inserted the row.

    Raises NotImplementedError on a database other than PostgreSQL or SQLite.
    """
    dialect = session.get_bind().dialect.name
    insert: Any
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:
        raise NotImplementedError(f"no INSERT … ON CONFLICT for the {dialect} dialect")
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        # A row comes back only when one was inserted (rowcount is not reliable here: the
        # PostgreSQL dialect adds its own RETURNING).
        .returning(table.c[conflict[0]])
    )
    return session.execute(statement).first() is not None
