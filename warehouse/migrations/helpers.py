"""Idempotent operations for revisions.

During the session that introduced Alembic, ``make_engine`` briefly added missing tables
and nullable columns by itself; a warehouse created then already has some of what a later
revision adds. These helpers make such a revision a no-op for what is already there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def _inspector() -> sa.Inspector:
    return sa.inspect(op.get_bind())


def has_table(name: str) -> bool:
    return name in _inspector().get_table_names()


def has_column(table: str, column: str) -> bool:
    return column in {c["name"] for c in _inspector().get_columns(table)}


def add_column_if_missing(table: str, column: sa.Column) -> bool:
    """Adds ``column`` unless ``table`` has it; True when it was added."""
    if has_column(table, column.name):
        return False
    with op.batch_alter_table(table) as batch:
        batch.add_column(column)
    return True


def create_table_if_missing(table: sa.Table) -> None:
    """Create ``table`` (a frozen copy, with its indexes) unless it exists."""
    if not has_table(table.name):
        table.create(op.get_bind())
