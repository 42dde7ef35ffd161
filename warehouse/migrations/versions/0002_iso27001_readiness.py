"""Benchmark: ISO 27001:2022 readiness columns (issue 9).

Revision ID: 0002_iso27001_readiness
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warehouse.migrations.helpers import add_column_if_missing

revision = "0002_iso27001_readiness"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

COLUMNS = ("preparation_iso27001_pct", "preparation_iso27001_clauses_pct")


def upgrade() -> None:
    # Null until the next benchmark rebuild (every stored figure stays as it was).
    for name in COLUMNS:
        add_column_if_missing("benchmark", sa.Column(name, sa.Float))


def downgrade() -> None:
    with op.batch_alter_table("benchmark") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
