"""The warehouse schema is versioned with Alembic (issue 9.4, 8.7).

``upgrade_to_head(engine)`` is what ``make_engine`` runs on every new engine:

1. it takes the **schema lock**, so that two processes opening a brand-new (or an old)
   warehouse at the same moment do not both create or alter the tables: PostgreSQL, a
   transaction-scoped advisory lock; SQLite, the database's own write lock (BEGIN
   IMMEDIATE: the second process waits on the busy timeout, then finds the work done);
2. a warehouse written before Alembic (tables, but no ``alembic_version``) is stamped at
   the baseline revision ``0001_baseline`` — the schema of that version — without touching
   its rows; an empty database gets the baseline created;
3. every later revision is applied, in the same transaction as the lock (PostgreSQL's DDL
   is transactional: an upgrade applies completely or not at all).

Writing a revision: edit ``warehouse/schema.py``, then
``.venv/bin/alembic -c alembic.ini revision --autogenerate -m "…"`` against a warehouse at
head, review it, and keep ``tests/test_migrations.py`` green (the migrated database must
equal ``schema.metadata``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent
BASELINE = "0001_baseline"
# Any constant 64-bit key shared by every chu-bench process ("chu-bnch" in ASCII).
ADVISORY_LOCK_KEY = 0x6368752D626E6368
# A table every version of the warehouse has: its presence means "not an empty database".
MARKER_TABLE = "submissions"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _lock(conn: Connection) -> None:
    """Serialise schema work across processes, until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    # SQLite: the caller's transaction began with BEGIN IMMEDIATE (warehouse.engine), which
    # already holds the database's single write lock.


def unmigrated(conn: Connection) -> list[tuple[sa.Table, sa.Column | None]]:
    """Tables (column None) and nullable or defaulted columns that ``schema.metadata``
    declares but the database lacks — what no revision has created yet."""
    from warehouse.schema import metadata

    inspector = sa.inspect(conn)
    existing = set(inspector.get_table_names())
    missing: list[tuple[sa.Table, sa.Column | None]] = []
    for table in metadata.sorted_tables:
        if table.name not in existing:
            missing.append((table, None))
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing += [
            (table, column)
            for column in table.columns
            if column.name not in present and (column.nullable or column.server_default is not None)
        ]
    return missing


def _create_unmigrated(conn: Connection) -> None:
    """Safety net while a helper's schema change waits for its revision: create it
    additively, say so in the log. tests/test_migrations.py fails until the revision exists."""
    for table, column in unmigrated(conn):
        if column is None:
            log.warning("Table %s sans révision Alembic : créée directement.", table.name)
            table.create(conn, checkfirst=True)
        else:
            log.warning("Colonne %s.%s sans révision Alembic : ajoutée.", table.name, column.name)
            ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {ddl}")


def upgrade_to_head(engine: Engine) -> str:
    """Bring the warehouse to the latest revision (see the module docstring); returns it.

    Cheap when there is nothing to do: a read of ``alembic_version`` and of the table list
    before any lock."""
    from warehouse.engine import write_transaction

    head = head_revision()
    with engine.connect() as conn:
        if current_revision(conn) == head and not unmigrated(conn):
            return head
    with write_transaction(engine) as conn:
        _lock(conn)
        # Read again under the lock: another process may have just done it.
        current = current_revision(conn)
        if current != head:
            config = alembic_config(conn)
            if current is None and MARKER_TABLE in sa.inspect(conn).get_table_names():
                command.stamp(config, BASELINE)
            command.upgrade(config, "head")
        _create_unmigrated(conn)
    return head
