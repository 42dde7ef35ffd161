"""SEC (issue 7.6, 7.8): users.session_version and the audit trail table.

Revision ID: 0003_accounts_sessions_audit
Revises: 0002_iso27001_readiness
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warehouse.migrations.helpers import add_column_if_missing, create_table_if_missing

revision = "0003_accounts_sessions_audit"
down_revision = "0002_iso27001_readiness"
branch_labels = None
depends_on = None


def _audit_events() -> sa.Table:
    # Frozen copy of schema.audit_events as this revision creates it.
    return sa.Table(
        "audit_events",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False, index=True),
        sa.Column("action", sa.String(40), nullable=False, index=True),
        sa.Column("target", sa.String(300)),
        sa.Column("detail", sa.String(500)),
    )


def upgrade() -> None:
    # Existing accounts start at version 0, as new ones do.
    add_column_if_missing(
        "users", sa.Column("session_version", sa.Integer, nullable=False, server_default="0")
    )
    create_table_if_missing(_audit_events())


def downgrade() -> None:
    op.drop_table("audit_events")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
