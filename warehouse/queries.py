"""Read-only aggregation queries of the dashboard's analysis pages.

The heavier views are aggregated by the database (GROUP BY over the rows of current
submissions) rather than by loading every line into pandas: spending by category, the
measure-level view with its gap to target, the alliance's statistics per measure, and
what was received per campaign. Every function takes an Engine or a Connection and
returns a DataFrame with stable columns, even when empty. The schema stays in
``warehouse/schema.py``; no function here writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.engine import connect
from warehouse.schema import (
    benchmark,
    maturity_answers,
    spending_lines,
    submissions,
)
from warehouse.submissions import CURRENT, REJECTED, as_utc

Bind = Engine | Connection

SPENDING_BY_CATEGORY_COLUMNS = ["chu", "annee", "categorie", "nature", "montant_mad", "nb_lignes"]
MEASURE_LEVEL_COLUMNS = [
    "chu",
    "annee",
    "mesure_id",
    "niveau",
    "cible",
    "ecart_cible",
    "commentaire",
]
MEASURE_STATISTICS_COLUMNS = [
    "mesure_id",
    "nb_chu",
    "nb_evalues",
    "nb_non_applicable",
    "niveau_moyen",
    "niveau_min",
    "niveau_max",
    "nb_niveau3",
]
RECEIVED_FILES_COLUMNS = ["chu", "annee", "kind", "nb_valides", "nb_rejetes", "dernier_envoi"]
PURCHASE_LINE_COLUMNS = ["chu", "annee", "fournisseur", "solution", "montant_mad"]


def _frame(
    bind: Bind,
    query: sa.Select,
    columns: list[str],
    *,
    floats: tuple[str, ...] = (),
    ints: tuple[str, ...] = (),
) -> pd.DataFrame:
    with connect(bind) as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    data: dict[str, Any] = {}
    for index, name in enumerate(columns):
        values = [row[index] for row in rows]
        if name in ints:
            # nullable integers: a NULL level (NA) must not become NaN or 0
            data[name] = pd.array([None if v is None else int(v) for v in values], dtype="Int64")
        elif name in floats:
            data[name] = pd.Series(
                [float("nan") if v is None else float(v) for v in values], dtype="float64"
            )
        else:
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=columns)


def _current(table: sa.Table) -> sa.ColumnElement[bool]:
    """Rows that belong to the current submission of their (chu, annee, kind)."""
    return table.c.submission_id.in_(
        sa.select(submissions.c.id).where(submissions.c.status == CURRENT)
    )


def available_years(bind: Bind) -> list[int]:
    """Campaign years that have a benchmark, oldest first."""
    with connect(bind) as conn:
        years = conn.execute(sa.select(benchmark.c.annee).distinct().order_by(benchmark.c.annee))
        return [int(y) for (y,) in years]


def spending_by_category(bind: Bind, annee: int | None = None) -> pd.DataFrame:
    """Security spending summed by CHU, year, category and nature (current files only)."""
    t = spending_lines
    query = (
        sa.select(
            t.c.chu,
            t.c.annee,
            t.c.categorie,
            t.c.nature,
            sa.func.sum(t.c.montant_mad),
            sa.func.count(),
        )
        .where(_current(t))
        .group_by(t.c.chu, t.c.annee, t.c.categorie, t.c.nature)
        .order_by(t.c.annee, t.c.chu, t.c.categorie, t.c.nature)
    )
    if annee is not None:
        query = query.where(t.c.annee == int(annee))
    return _frame(
        bind,
        query,
        SPENDING_BY_CATEGORY_COLUMNS,
        floats=("montant_mad",),
        ints=("annee", "nb_lignes"),
    )


def purchase_lines(bind: Bind, annee: int) -> pd.DataFrame:
    """The spending lines of current files that name a supplier or a solution, for the
    viewer-scoped pooling (``dashboard.scoped``): it counts CHUs on lines of a positive
    amount only, which the stored pooling table cannot tell."""
    t = spending_lines
    query = (
        sa.select(t.c.chu, t.c.annee, t.c.fournisseur, t.c.solution, t.c.montant_mad)
        .where(
            _current(t),
            t.c.annee == int(annee),
            sa.or_(t.c.fournisseur.is_not(None), t.c.solution.is_not(None)),
        )
        .order_by(t.c.chu, t.c.line)
    )
    return _frame(bind, query, PURCHASE_LINE_COLUMNS, floats=("montant_mad",), ints=("annee",))


def measure_levels(bind: Bind, annee: int, chu: str | None = None) -> pd.DataFrame:
    """One row per measure answered: niveau (<NA> = not applicable), cible, and
    ``ecart_cible = cible − niveau`` (null unless both are given), as in §5."""
    t = maturity_answers
    gap = sa.case(
        (sa.and_(t.c.cible.is_not(None), t.c.niveau.is_not(None)), t.c.cible - t.c.niveau),
        else_=None,
    )
    query = (
        sa.select(t.c.chu, t.c.annee, t.c.mesure_id, t.c.niveau, t.c.cible, gap, t.c.commentaire)
        .where(_current(t), t.c.annee == int(annee))
        .order_by(t.c.chu, t.c.line)
    )
    if chu is not None:
        query = query.where(t.c.chu == chu)
    return _frame(
        bind,
        query,
        MEASURE_LEVEL_COLUMNS,
        ints=("annee", "niveau", "cible", "ecart_cible"),
    )


def measure_statistics(bind: Bind, annee: int) -> pd.DataFrame:
    """The alliance per measure (aggregates only, no CHU): how many CHUs answered, how many
    assessed it (not NA), mean/min/max level, how many are at level 3 or more."""
    t = maturity_answers
    query = (
        sa.select(
            t.c.mesure_id,
            sa.func.count(),
            sa.func.count(t.c.niveau),
            sa.func.sum(sa.case((t.c.niveau.is_(None), 1), else_=0)),
            sa.func.avg(sa.cast(t.c.niveau, sa.Float)),
            sa.func.min(t.c.niveau),
            sa.func.max(t.c.niveau),
            sa.func.sum(sa.case((t.c.niveau >= 3, 1), else_=0)),
        )
        .where(_current(t), t.c.annee == int(annee))
        .group_by(t.c.mesure_id)
        .order_by(t.c.mesure_id)
    )
    return _frame(
        bind,
        query,
        MEASURE_STATISTICS_COLUMNS,
        floats=("niveau_moyen",),
        ints=(
            "nb_chu",
            "nb_evalues",
            "nb_non_applicable",
            "niveau_min",
            "niveau_max",
            "nb_niveau3",
        ),
    )


def received_files(bind: Bind, annee: int | None = None) -> pd.DataFrame:
    """Per CHU, year and kind: valid files received (current or superseded), rejected ones,
    and when the last one arrived. No file name or sender: only what a page may show."""
    t = submissions
    valid = sa.func.sum(sa.case((t.c.status != REJECTED, 1), else_=0))
    rejected = sa.func.sum(sa.case((t.c.status == REJECTED, 1), else_=0))
    query = (
        sa.select(t.c.chu, t.c.annee, t.c.kind, valid, rejected, sa.func.max(t.c.received_at))
        .where(t.c.chu.is_not(None), t.c.annee.is_not(None), t.c.kind.is_not(None))
        .group_by(t.c.chu, t.c.annee, t.c.kind)
        .order_by(t.c.annee, t.c.chu, t.c.kind)
    )
    if annee is not None:
        query = query.where(t.c.annee == int(annee))
    frame = _frame(bind, query, RECEIVED_FILES_COLUMNS, ints=("annee", "nb_valides", "nb_rejetes"))
    frame["dernier_envoi"] = pd.to_datetime(
        pd.Series([as_utc(v) for v in frame["dernier_envoi"]], dtype=object), utc=True
    )
    return frame


def data_freshness(bind: Bind) -> dict[str, datetime | int | None]:
    """When the last file arrived, when the benchmark was last computed, how many current
    files there are: the « fraîcheur des données » of the method page."""
    with connect(bind) as conn:
        last_received = conn.execute(sa.select(sa.func.max(submissions.c.received_at))).scalar()
        n_current = conn.execute(
            sa.select(sa.func.count()).where(submissions.c.status == CURRENT)
        ).scalar()
        last_computed = conn.execute(sa.select(sa.func.max(benchmark.c.computed_at))).scalar()
    return {
        "dernier_fichier_recu": as_utc(last_received),
        "dernier_calcul": as_utc(last_computed),
        "nb_fichiers_en_vigueur": int(n_current or 0),
    }
