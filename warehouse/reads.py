"""Read-only queries shared by the CLI, Dagster assets and the dashboard.

Every function takes an Engine or a Connection (to read inside a caller's transaction)
and returns a pandas DataFrame with stable columns, even when empty. Missing values are
NaN (floats) or <NA> (nullable integers / strings); :func:`frame_to_records` turns a
frame into JSON-ready dicts with ``None`` for missing values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.benchmark import (
    CAMPAIGN_STATUS_COLUMNS,
    POOLING_COLUMNS,
    SOURCE_COLUMNS,
    compute_overall_status,
)
from warehouse.engine import connect
from warehouse.schema import (
    BENCHMARK_COLUMNS,
    benchmark,
    campaign_status,
    maturity_answers,
    pooling_opportunities,
    profiles,
    spending_lines,
    submissions,
)
from warehouse.submissions import CURRENT, as_utc

Bind = Engine | Connection

_INT_COLUMNS = {
    "annee",
    "line",
    "submission_id",
    "niveau",
    "cible",
    "lits",
    "stade_numerique",
    "incidents_declares",
    "rang_maturite",
    "nb_chu",
    "n_submissions",
    "current_submission_id",
    *SOURCE_COLUMNS,
}


def _frame(bind: Bind, query: sa.Select, columns: list[str]) -> pd.DataFrame:
    with connect(bind) as conn:
        rows = conn.execute(query).all()
    # Column by column from the raw values: building the frame from rows first would turn
    # NULLs of integer columns into NaN floats.
    columns_values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    data: dict[str, Any] = {}
    for name, column in zip(columns, columns_values, strict=True):
        values = list(column)
        if name in _INT_COLUMNS:
            # Drivers give ints or None; pandas reads None as <NA>.
            data[name] = pd.array(values, dtype="Int64")
        elif name.endswith("_at"):
            data[name] = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        else:
            data[name] = pd.Series(values, dtype=object)
    frame = pd.DataFrame(data, columns=columns)
    for name in columns:
        if name not in _INT_COLUMNS and not name.endswith("_at"):
            frame[name] = frame[name].infer_objects()
    return frame


def _float_columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    for name in names:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    return frame


def _current_rows(
    bind: Bind,
    table: sa.Table,
    annee: int | None,
    chu: str | None,
    order: list[str],
    years: Iterable[int] | None = None,
    pairs: Iterable[tuple[str, int]] | None = None,
    where: sa.ColumnElement[bool] | None = None,
) -> pd.DataFrame:
    """Rows of ``table`` belonging to current submissions (of ``years``, of the (chu, annee)
    ``pairs``, matching ``where`` when given)."""
    columns = [c for c in table.c]
    query = (
        sa.select(*columns)
        .join(submissions, submissions.c.id == table.c.submission_id)
        .where(submissions.c.status == CURRENT)
        .order_by(*(table.c[name] for name in order))
    )
    if annee is not None:
        query = query.where(table.c.annee == int(annee))
    if chu is not None:
        query = query.where(table.c.chu == chu)
    if years is not None:
        query = query.where(table.c.annee.in_(sorted({int(y) for y in years})))
    if pairs is not None:
        query = query.where(pair_condition(table, pairs))
    if where is not None:
        query = query.where(where)
    return _frame(bind, query, [c.name for c in columns])


def pair_condition(table: sa.Table, pairs: Iterable[tuple[str, int]]) -> sa.ColumnElement[bool]:
    """``table``'s rows of those (chu, annee) pairs (false for no pair)."""
    keys = sorted({(str(chu), int(annee)) for chu, annee in pairs})
    return sa.or_(
        sa.false(), *((table.c.chu == chu) & (table.c.annee == annee) for chu, annee in keys)
    )


def read_current_answers(
    bind: Bind,
    annee: int | None = None,
    chu: str | None = None,
    *,
    years: Iterable[int] | None = None,
    pairs: Iterable[tuple[str, int]] | None = None,
) -> pd.DataFrame:
    """Maturity answers of current submissions: submission_id, mesure_id, line, chu, annee,
    niveau (<NA> = not applicable), cible, commentaire."""
    return _current_rows(bind, maturity_answers, annee, chu, ["annee", "chu", "line"], years, pairs)


def read_current_spending(
    bind: Bind,
    annee: int | None = None,
    chu: str | None = None,
    *,
    years: Iterable[int] | None = None,
    pairs: Iterable[tuple[str, int]] | None = None,
    named_only: bool = False,
) -> pd.DataFrame:
    """Spending lines of current submissions (montant_mad as float); ``named_only``: only
    the lines naming a solution or a supplier (all that pooling looks at)."""
    where = (
        spending_lines.c.solution.is_not(None) | spending_lines.c.fournisseur.is_not(None)
        if named_only
        else None
    )
    frame = _current_rows(
        bind, spending_lines, annee, chu, ["annee", "chu", "line"], years, pairs, where
    )
    return _float_columns(frame, ["montant_mad"])


def read_current_profiles(
    bind: Bind,
    annee: int | None = None,
    chu: str | None = None,
    *,
    years: Iterable[int] | None = None,
    pairs: Iterable[tuple[str, int]] | None = None,
) -> pd.DataFrame:
    """Profiles of current submissions, one row per (chu, annee)."""
    frame = _current_rows(bind, profiles, annee, chu, ["annee", "chu"], years, pairs)
    return _float_columns(
        frame,
        ["effectif_total", "effectif_si", "effectif_ssi", "budget_total_mad", "budget_si_mad"],
    )


def read_benchmark(
    bind: Bind, annee: int | None = None, *, with_sources: bool = False
) -> pd.DataFrame:
    """The §5 table in BENCHMARK_COLUMNS order, sorted by annee then chu.

    ``with_sources=True`` adds the three ``*_submission_id`` columns and ``computed_at``.
    """
    names = list(BENCHMARK_COLUMNS)
    if with_sources:
        names += [*SOURCE_COLUMNS, "computed_at"]
    query = sa.select(*(benchmark.c[n] for n in names)).order_by(benchmark.c.annee, benchmark.c.chu)
    if annee is not None:
        query = query.where(benchmark.c.annee == int(annee))
    frame = _frame(bind, query, names)
    floats = [n for n in BENCHMARK_COLUMNS[2:] if n != "rang_maturite"]
    return _float_columns(frame, floats)


def read_pooling(bind: Bind, annee: int | None = None) -> pd.DataFrame:
    """Pooling opportunities, by year, type, then total spent (largest first)."""
    t = pooling_opportunities
    query = sa.select(*(t.c[n] for n in POOLING_COLUMNS)).order_by(
        t.c.annee, t.c.type, t.c.total_mad.desc(), t.c.nom
    )
    if annee is not None:
        query = query.where(t.c.annee == int(annee))
    frame = _frame(bind, query, list(POOLING_COLUMNS))
    return _float_columns(frame, ["total_mad", "taux_economie", "economie_estimee_mad"])


def read_campaign_status(
    bind: Bind, annee: int | None = None, chu: str | None = None
) -> pd.DataFrame:
    """Status per (chu, annee, kind): valide / invalide / manquant (see benchmark.py)."""
    t = campaign_status
    query = sa.select(*(t.c[n] for n in CAMPAIGN_STATUS_COLUMNS)).order_by(
        t.c.annee, t.c.chu, t.c.kind
    )
    if annee is not None:
        query = query.where(t.c.annee == int(annee))
    if chu is not None:
        query = query.where(t.c.chu == chu)
    return _frame(bind, query, list(CAMPAIGN_STATUS_COLUMNS))


def read_overall_status(bind: Bind, annee: int | None = None) -> pd.DataFrame:
    """Status per (chu, annee): valide / invalide / recu / manquant (see benchmark.py)."""
    return compute_overall_status(read_campaign_status(bind, annee=annee))


def read_current_submissions(bind: Bind, annee: int | None = None) -> pd.DataFrame:
    """Current submissions: id, chu, annee, kind, filename, sha256, sender, channel, received_at."""
    t = submissions
    names = ["id", "chu", "annee", "kind", "filename", "sha256", "sender", "channel", "received_at"]
    query = (
        sa.select(*(t.c[n] for n in names))
        .where(t.c.status == CURRENT)
        .order_by(t.c.annee, t.c.chu, t.c.kind)
    )
    if annee is not None:
        query = query.where(t.c.annee == int(annee))
    frame = _frame(bind, query, names)
    frame["id"] = frame["id"].astype("Int64")
    return frame


def trace_benchmark(bind: Bind, chu: str, annee: int) -> dict[str, Any]:
    """Where a benchmark row comes from (DESIGN §4 traceability).

    Returns ``{"chu", "annee", "benchmark": row dict or None, "computed_at",
    "sources": {kind: submission dict or None}, "current": {kind: id or None},
    "up_to_date": bool}``. ``sources`` describes the submissions the stored row was
    computed from; ``current`` the submissions current now; ``up_to_date`` is False when
    a file arrived since the last rebuild.
    """
    from warehouse.submissions import get_submission

    with connect(bind) as conn:
        row = conn.execute(
            sa.select(benchmark).where((benchmark.c.chu == chu) & (benchmark.c.annee == int(annee)))
        ).first()
        current = {
            r.kind: r.id
            for r in conn.execute(
                sa.select(submissions.c.kind, submissions.c.id).where(
                    (submissions.c.chu == chu)
                    & (submissions.c.annee == int(annee))
                    & (submissions.c.status == CURRENT)
                )
            )
        }
        data = dict(row._mapping) if row is not None else None
        sources: dict[str, dict[str, Any] | None] = {}
        for column in SOURCE_COLUMNS:
            kind = column.removesuffix("_submission_id")
            sid = data.get(column) if data else None
            sources[kind] = get_submission(conn, sid) if sid is not None else None
    computed_at = as_utc(data.pop("computed_at")) if data else None
    used = {
        column.removesuffix("_submission_id"): (data or {}).get(column) for column in SOURCE_COLUMNS
    }
    now = {kind: current.get(kind) for kind in used}
    return {
        "chu": chu,
        "annee": int(annee),
        "benchmark": _clean_dict(data) if data else None,
        "computed_at": computed_at,
        "sources": sources,
        "current": now,
        "up_to_date": data is not None and used == now,
    }


def _clean_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _clean_value(value.item())
    return value


def _clean_dict(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _clean_value(v) for k, v in data.items()}


def frame_to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: NaN / <NA> / NaT -> None, numpy scalars -> Python scalars."""
    return [_clean_dict(r) for r in frame.to_dict(orient="records")]
