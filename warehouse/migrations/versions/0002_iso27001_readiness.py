"""Benchmark: ISO 27001:2022 readiness columns (issue 9), filled in place.

The two columns are derived data: they are computed here from the stored current maturity
answers, as the next benchmark rebuild would (``warehouse.iso.readiness_percentages``, the
referential of ``CHU_BENCH_REFERENCE_DIR``), so that an upgraded warehouse shows the same
benchmark as before plus the new columns, without waiting for a new file. Every other
figure is left as it was.

Revision ID: 0002_iso27001_readiness
Revises: 0001_baseline
"""

from __future__ import annotations

import logging

import pandas as pd
import sqlalchemy as sa
from alembic import op

from warehouse.migrations.helpers import add_column_if_missing

revision = "0002_iso27001_readiness"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

COLUMNS = ("preparation_iso27001_pct", "preparation_iso27001_clauses_pct")

# Lightweight views of the tables as this revision knows them.
_benchmark = sa.table(
    "benchmark",
    sa.column("chu", sa.String),
    sa.column("annee", sa.Integer),
    *(sa.column(name, sa.Float) for name in COLUMNS),
)
_answers = sa.table(
    "maturity_answers",
    sa.column("submission_id", sa.Integer),
    sa.column("chu", sa.String),
    sa.column("annee", sa.Integer),
    sa.column("mesure_id", sa.String),
    sa.column("niveau", sa.Integer),
)
_submissions = sa.table("submissions", sa.column("id", sa.Integer), sa.column("status", sa.String))


def _fill(bind: sa.Connection) -> None:
    from expectations.reference import ReferenceDataError, load_reference
    from warehouse.benchmark import measures_for_years
    from warehouse.iso import readiness_percentages

    rows = bind.execute(
        sa.select(_answers.c.chu, _answers.c.annee, _answers.c.mesure_id, _answers.c.niveau)
        .join(_submissions, _submissions.c.id == _answers.c.submission_id)
        .where(_submissions.c.status == "current")
    ).all()
    if not rows:
        return
    answers = pd.DataFrame(
        [tuple(r) for r in rows], columns=["chu", "annee", "mesure_id", "niveau"]
    )
    try:
        reference = load_reference()
    except (ReferenceDataError, OSError) as exc:
        log.warning(
            "Préparation ISO 27001 non calculée pendant la mise à jour (%s) : "
            "elle le sera au prochain recalcul du benchmark.",
            exc,
        )
        return
    years = set(answers["annee"].astype(int))
    readiness = readiness_percentages(answers, measures_for_years(reference, years))
    for record in readiness.to_dict(orient="records"):
        values = {c: None if pd.isna(record[c]) else float(record[c]) for c in COLUMNS}
        bind.execute(
            _benchmark.update()
            .where(
                (_benchmark.c.chu == record["chu"]) & (_benchmark.c.annee == int(record["annee"]))
            )
            .values(**values)
        )


def upgrade() -> None:
    added = False
    for name in COLUMNS:
        added |= add_column_if_missing("benchmark", sa.Column(name, sa.Float))
    if added:
        _fill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("benchmark") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
