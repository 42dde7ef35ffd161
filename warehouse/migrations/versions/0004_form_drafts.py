"""FORMS (issue 10): drafts of the Dépôt page's form, one per CHU, year and kind.

Revision ID: 0004_form_drafts
Revises: 0003_accounts_sessions_audit
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warehouse.migrations.helpers import create_table_if_missing

revision = "0004_form_drafts"
down_revision = "0003_accounts_sessions_audit"
branch_labels = None
depends_on = None


def _drafts() -> sa.Table:
    # Frozen copy of schema.drafts as this revision creates it.
    return sa.Table(
        "drafts",
        sa.MetaData(),
        sa.Column("chu", sa.String(20), primary_key=True),
        sa.Column("annee", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("rows", sa.JSON, nullable=False),
        sa.Column("saved_by", sa.String(100), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )


def upgrade() -> None:
    create_table_if_missing(_drafts())


def downgrade() -> None:
    op.drop_table("drafts")
