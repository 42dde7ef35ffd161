"""The one place that writes the derived tables (benchmark, pooling opportunities, campaign
status), with the one source of their settings.

:func:`refresh_benchmark` recomputes what a batch of new submissions changes, not the whole
history, at a cost that does not grow with the number of establishments: for each
(chu, annee) received,

* that CHU's row of that year (maturity, readiness, spending, ratios, source ids), from that
  pair's own current rows only, and its campaign status;
* the ranks and medians of that year (``warehouse.benchmark.alliance_figures``), from the
  other CHUs' stored ``indice_maturite`` of that year plus the new rows;
* ``evolution_indice`` (``warehouse.benchmark.evolution_indice``) of the new row and of the
  CHU's next campaign with an index, from the CHU's stored index of its other campaigns;
* the pooling of that year, from the year's spending lines naming a solution or a supplier.

The formulas are ``warehouse.benchmark``'s, the same functions as a full rebuild's; when the
stored tables cannot serve as a base (``_stale``), everything is rebuilt.
:func:`rebuild_benchmark` recomputes everything (the weekly run, a change of settings or of
reference data). Either way the three tables are written in ONE transaction: readers see the old tables or the new
ones, never a half-written benchmark, and the result depends only on the stored
submissions and the settings (a property test holds incremental = full rebuild).

Settings: :class:`BenchmarkSettings` (pooling rate, ``CHU_BENCH_POOLING_RATE``, default
15 %); the Dagster resource of the same name defaults to :func:`benchmark_settings`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from expectations.reference import ReferenceData
from warehouse.benchmark import (
    CAMPAIGN_STATUS_COLUMNS,
    OUTPUT_COLUMNS,
    POOLING_COLUMNS,
    alliance_figures,
    compute_benchmark,
    compute_campaign_status,
    compute_pooling,
    evolution_indice,
    measures_for_years,
)
from warehouse.engine import is_postgresql, write_transaction
from warehouse.reads import (
    frame_to_records,
    pair_condition,
    read_current_answers,
    read_current_profiles,
    read_current_spending,
)
from warehouse.schema import benchmark, campaign_status, pooling_opportunities, submissions
from warehouse.submissions import CURRENT, PENDING

DERIVED_TABLES = (benchmark, pooling_opportunities, campaign_status)

POOLING_RATE_ENV = "CHU_BENCH_POOLING_RATE"
DEFAULT_POOLING_RATE = 0.15

# Pooling ids are ``annee × POOLING_ID_STRIDE + rank within the year``: a year recomputed
# alone gets the same ids as in a full rebuild.
POOLING_ID_STRIDE = 100_000


@dataclass(frozen=True)
class BenchmarkSettings:
    """How the derived tables are computed."""

    pooling_rate: float = DEFAULT_POOLING_RATE


def benchmark_settings() -> BenchmarkSettings:
    """The settings of this deployment: ``CHU_BENCH_POOLING_RATE`` (0–1) when set."""
    value = os.environ.get(POOLING_RATE_ENV, "").strip().replace(",", ".")
    if not value:
        return BenchmarkSettings()
    try:
        rate = float(value)
    except ValueError:
        raise ValueError(
            f"{POOLING_RATE_ENV}={value!r} n'est pas un nombre : indiquer un taux entre 0 et 1 "
            "(0.15 = 15 %)."
        ) from None
    if not 0 <= rate <= 1:
        raise ValueError(f"{POOLING_RATE_ENV} doit être compris entre 0 et 1 (0.15 = 15 %).")
    return BenchmarkSettings(pooling_rate=rate)


def _submissions_frame(
    conn: Connection,
    years: Iterable[int] | None = None,
    pairs: Iterable[tuple[str, int]] | None = None,
) -> pd.DataFrame:
    """Every submission but the pending ones (not decided yet), optionally of ``years`` or of
    the (chu, annee) ``pairs``."""
    t = submissions
    query = (
        sa.select(t.c.id, t.c.chu, t.c.annee, t.c.kind, t.c.status, t.c.received_at, t.c.sender_chu)
        .where(t.c.status != str(PENDING))
        .order_by(t.c.id)
    )
    if years is not None:
        query = query.where(t.c.annee.in_(sorted({int(y) for y in years})))
    if pairs is not None:
        query = query.where(pair_condition(t, pairs))
    rows = conn.execute(query).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["id", "chu", "annee", "kind", "status", "received_at", "sender_chu"],
    )
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    return frame


def _rows(frame: pd.DataFrame, computed_at: datetime) -> list[dict[str, Any]]:
    rows = frame_to_records(frame)
    for row in rows:
        row["computed_at"] = computed_at
    return rows


def _compute(
    conn: Connection,
    reference: ReferenceData,
    settings: BenchmarkSettings,
    *,
    data_years: set[int] | None,
    status_years: set[int] | None,
    row_years: set[int] | None = None,
) -> dict[str, pd.DataFrame]:
    """The derived frames from the data of ``data_years`` (None = every year); pooling and
    campaign status of ``status_years`` (None = every year). ``row_years``: the years whose
    benchmark rows are kept (default ``data_years``); the other loaded years only serve
    ``evolution_indice``, so only their maturity answers are read."""
    answers = read_current_answers(conn, years=data_years)
    spending = read_current_spending(conn, years=row_years or data_years)
    profiles = read_current_profiles(conn, years=row_years or data_years)
    subs = _submissions_frame(conn, data_years)
    current = subs[subs["status"] == str(CURRENT)]
    if data_years is None:
        years = set(current["annee"].dropna().astype(int)) | set(reference.campaign_years)
    else:
        years = set(data_years)
    bench = compute_benchmark(
        answers, spending, profiles, measures_for_years(reference, years), submissions=current
    )
    if status_years is not None:
        spending = spending[spending["annee"].isin(status_years)]
        subs = subs[subs["annee"].isin(status_years)]
    pooling = compute_pooling(spending, rate=settings.pooling_rate)
    campaign_years = [
        y for y in reference.campaign_years if status_years is None or y in status_years
    ]
    status = compute_campaign_status(
        subs,
        reference.chu_codes,
        campaign_years,
        {code: e.premiere_campagne for code, e in reference.establishments.items()},
    )
    return {"benchmark": bench, "pooling_opportunities": pooling, "campaign_status": status}


def compute_all(
    conn: Connection, reference: ReferenceData, pooling_rate: float | None = None
) -> dict[str, pd.DataFrame]:
    """The three derived frames, from what is stored now (no write)."""
    settings = (
        benchmark_settings() if pooling_rate is None else BenchmarkSettings(float(pooling_rate))
    )
    return _compute(conn, reference, settings, data_years=None, status_years=None)


def _lock(conn: Connection) -> None:
    if is_postgresql(conn):
        # A consistent picture under READ COMMITTED: SHARE on submissions holds back
        # concurrent loads (they lock it first) while we read; EXCLUSIVE on the derived
        # tables makes concurrent rebuilds queue. Plain readers are never blocked.
        # (SQLite: write_transaction's BEGIN IMMEDIATE gives the same guarantees.)
        conn.exec_driver_sql("LOCK TABLE submissions IN SHARE MODE")
        conn.exec_driver_sql(
            "LOCK TABLE benchmark, pooling_opportunities, campaign_status IN EXCLUSIVE MODE"
        )


def _pooling_rows(frame: pd.DataFrame, computed_at: datetime) -> list[dict[str, Any]]:
    rows = _rows(frame[list(POOLING_COLUMNS)], computed_at)
    rank: dict[int, int] = {}
    for row in rows:  # compute_pooling sorts by year first
        rank[row["annee"]] = rank.get(row["annee"], 0) + 1
        row["id"] = row["annee"] * POOLING_ID_STRIDE + rank[row["annee"]]
    return rows


def _write(
    conn: Connection,
    frames: dict[str, pd.DataFrame],
    *,
    bench_years: set[int] | None,
    status_years: set[int] | None,
    bench_rows_also: set[tuple[str, int]] = frozenset(),  # type: ignore[assignment]
) -> dict[str, int]:
    """Replace the rows of those years (None = every row) by the computed ones; for the
    benchmark, also the single rows ``bench_rows_also`` (chu, annee)."""
    computed_at = datetime.now(UTC)
    bench = frames["benchmark"]
    if bench_years is not None:
        keys = list(zip(bench["chu"], bench["annee"], strict=True))
        keep = [a in bench_years or (c, a) in bench_rows_also for c, a in keys]
        bench = bench[pd.Series(keep, index=bench.index, dtype=bool)]
    bench_rows = _rows(bench[list(OUTPUT_COLUMNS)], computed_at)
    pooling_rows = _pooling_rows(frames["pooling_opportunities"], computed_at)
    status_rows = _rows(frames["campaign_status"][list(CAMPAIGN_STATUS_COLUMNS)], computed_at)
    for table, rows, years in (
        (benchmark, bench_rows, bench_years),
        (pooling_opportunities, pooling_rows, status_years),
        (campaign_status, status_rows, status_years),
    ):
        delete = table.delete()
        if years is not None:
            condition = table.c.annee.in_(sorted(years))
            if table is benchmark:
                for chu, annee in sorted(bench_rows_also):
                    condition = condition | ((table.c.chu == chu) & (table.c.annee == annee))
            delete = delete.where(condition)
        conn.execute(delete)
        if rows:
            conn.execute(table.insert(), rows)
    return {
        "benchmark": len(bench_rows),
        "pooling_opportunities": len(pooling_rows),
        "campaign_status": len(status_rows),
    }


def rebuild_benchmark(
    engine: Engine,
    reference: ReferenceData,
    pooling_rate: float | None = None,
    *,
    settings: BenchmarkSettings | None = None,
) -> dict[str, int]:
    """Recompute and replace the three derived tables entirely, atomically; the number of
    rows written per table. Settings: ``settings``, else ``pooling_rate``, else
    :func:`benchmark_settings`."""
    if settings is None:
        settings = (
            benchmark_settings()
            if pooling_rate is None
            else BenchmarkSettings(pooling_rate=float(pooling_rate))
        )
    with write_transaction(engine) as conn:
        _lock(conn)
        frames = _compute(conn, reference, settings, data_years=None, status_years=None)
        return _write(conn, frames, bench_years=None, status_years=None)


def _stale(conn: Connection, reference: ReferenceData, changed_years: set[int]) -> bool:
    """True when the stored tables cannot serve as the base of an incremental refresh: a
    campaign year (outside the changed ones) missing from the campaign status (never
    rebuilt, or a campaign opened since), or current data outside the changed years and no
    benchmark row outside them."""
    stored_years = {
        int(y) for y in conn.execute(sa.select(campaign_status.c.annee).distinct()).scalars()
    }
    if set(reference.campaign_years) - changed_years - stored_years:
        return True
    outside_data = conn.execute(
        sa.select(submissions.c.id)
        .where((submissions.c.status == str(CURRENT)) & submissions.c.annee.not_in(changed_years))
        .limit(1)
    ).first()
    if outside_data is None:
        return False
    outside_rows = conn.execute(
        sa.select(benchmark.c.chu).where(benchmark.c.annee.not_in(changed_years)).limit(1)
    ).first()
    return outside_rows is None


# What the incremental refresh reads of the stored benchmark: the alliance-relative
# figures of a row, recomputed from the others' stored index.
_RELATIVE = ("indice_maturite", "rang_maturite", "ecart_mediane_indice", "evolution_indice")


def _stored_rows(conn: Connection, years: set[int], chus: set[str]) -> pd.DataFrame:
    """chu, annee and the relative figures of the stored benchmark rows of ``years`` (every
    CHU: ranks and medians) and of ``chus`` (every year: evolution)."""
    t = benchmark
    query = sa.select(t.c.chu, t.c.annee, *(t.c[name] for name in _RELATIVE)).where(
        t.c.annee.in_(sorted(years)) | t.c.chu.in_(sorted(chus))
    )
    rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["chu", "annee", *_RELATIVE])
    frame = frame.astype({"chu": str, "annee": "int64"})
    for name in ("indice_maturite", "ecart_mediane_indice", "evolution_indice"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    frame["rang_maturite"] = pd.array(
        [None if pd.isna(v) else int(v) for v in frame["rang_maturite"]], dtype="Int64"
    )
    return frame


def _of_pairs(frame: pd.DataFrame, pairs: set[tuple[str, int]]) -> pd.Series:
    """Which rows of ``frame`` (chu, annee) belong to ``pairs`` (a mask, also when empty)."""
    keys = zip(frame["chu"].astype(str), frame["annee"].astype(int), strict=True)
    return pd.Series([key in pairs for key in keys], index=frame.index, dtype=bool)


def _pooling_years(
    conn: Connection, pairs: set[tuple[str, int]], new: pd.DataFrame, rate: float
) -> set[int]:
    """The changed years whose pooling may change: a pair whose current spending file is
    not the one its stored row was computed from (a submission's lines never change), or
    a year stored with another rate. Call it before the pairs' rows are replaced."""
    t = benchmark
    rows = conn.execute(
        sa.select(t.c.chu, t.c.annee, t.c.depenses_submission_id).where(pair_condition(t, pairs))
    ).all()
    stored = {(str(c), int(a)): None if s is None else int(s) for c, a, s in rows}
    current = {
        (str(c), int(a)): None if pd.isna(s) else int(s)
        for c, a, s in zip(new["chu"], new["annee"], new["depenses_submission_id"], strict=True)
    }
    years = {a for c, a in pairs if stored.get((c, a)) != current.get((c, a))}
    p = pooling_opportunities
    other_rate = conn.execute(
        sa.select(p.c.annee)
        .distinct()
        .where(p.c.annee.in_(sorted({a for _c, a in pairs})) & (p.c.taux_economie != rate))
    ).scalars()
    return years | {int(a) for a in other_rate}


def _refresh_pairs(
    conn: Connection,
    reference: ReferenceData,
    settings: BenchmarkSettings,
    pairs: set[tuple[str, int]],
) -> dict[str, int]:
    """Incremental refresh of ``pairs`` on a consistent stored base (see the module
    docstring). Its cost depends on the pairs and on the size of their years, not on the
    history: each CHU's own figures come from that pair's rows only; ranks and medians of a
    changed year from the stored index of the other CHUs; ``evolution_indice`` from the
    stored index of the CHU's other campaigns."""
    computed_at = datetime.now(UTC)
    years = {annee for _chu, annee in pairs}
    chus = {chu for chu, _annee in pairs}

    # Per-CHU figures of the changed pairs, from their own current rows.
    subs = _submissions_frame(conn, pairs=pairs)
    new = compute_benchmark(
        read_current_answers(conn, pairs=pairs),
        read_current_spending(conn, pairs=pairs),
        read_current_profiles(conn, pairs=pairs),
        measures_for_years(reference, years),
        submissions=subs[subs["status"] == str(CURRENT)],
    )
    new = new[_of_pairs(new, pairs)]

    # Alliance-relative figures: the other rows keep their index, take the new ones' place.
    stored = _stored_rows(conn, years, chus)
    others = stored[~_of_pairs(stored, pairs)]
    both = pd.concat(
        [others.assign(_new=False), new[["chu", "annee", *_RELATIVE]].assign(_new=True)],
        ignore_index=True,
    )
    in_years = both["annee"].isin(years)
    relative = alliance_figures(both[in_years])
    both.loc[in_years, "rang_maturite"] = relative["rang_maturite"]
    both.loc[in_years, "ecart_mediane_indice"] = relative["ecart_mediane_indice"]
    of_chus = both["chu"].isin(chus)
    both.loc[of_chus, "evolution_indice"] = evolution_indice(both[of_chus])
    # Rows rewritten besides the new ones: every other row of a changed year (rank, median)
    # and each changed CHU's next campaign with an index (its evolution compares with it).
    rewrite = in_years & ~both["_new"]
    with_index = both[of_chus & both["indice_maturite"].notna()]
    for chu, annee in pairs:
        later = with_index[(with_index["chu"] == chu) & (with_index["annee"] > annee)]
        if not later.empty:
            rewrite |= (both["chu"] == chu) & (both["annee"] == later["annee"].min())
    rewrite &= ~both["_new"]

    new = new.set_index(["chu", "annee"])
    figures = both[both["_new"]].set_index(["chu", "annee"])
    for name in ("rang_maturite", "ecart_mediane_indice", "evolution_indice"):
        new[name] = figures[name].reindex(new.index)
    new = new.reset_index()
    bench_rows = _rows(new[list(OUTPUT_COLUMNS)], computed_at)
    updates = _rows(
        both.loc[rewrite, ["chu", "annee", "rang_maturite", "ecart_mediane_indice"]]
        .assign(evolution_indice=both.loc[rewrite, "evolution_indice"])
        .rename(columns=lambda name: f"b_{name}"),
        computed_at,
    )
    for row in updates:  # a bind name may not be a column's name
        row["b_computed_at"] = row.pop("computed_at")

    # Pooling of the changed years whose spending changed: only the lines that name a
    # solution or a supplier.
    pooling_years = _pooling_years(conn, pairs, new, settings.pooling_rate)
    pooling = compute_pooling(
        read_current_spending(conn, years=pooling_years, named_only=True)
        if pooling_years
        else None,
        rate=settings.pooling_rate,
    )
    pooling_rows = _pooling_rows(pooling, computed_at)
    # Campaign status of the changed pairs only.
    codes = [code for code in reference.chu_codes if code in chus]
    status = compute_campaign_status(
        subs,
        codes,
        [y for y in reference.campaign_years if y in years],
        {code: e.premiere_campagne for code, e in reference.establishments.items() if code in chus},
    )
    status = status[_of_pairs(status, pairs)]
    status_rows = _rows(status[list(CAMPAIGN_STATUS_COLUMNS)], computed_at)

    conn.execute(benchmark.delete().where(pair_condition(benchmark, pairs)))
    if bench_rows:
        conn.execute(benchmark.insert(), bench_rows)
    if updates:
        conn.execute(
            benchmark.update()
            .where(
                (benchmark.c.chu == sa.bindparam("b_chu"))
                & (benchmark.c.annee == sa.bindparam("b_annee"))
            )
            .values(
                rang_maturite=sa.bindparam("b_rang_maturite"),
                ecart_mediane_indice=sa.bindparam("b_ecart_mediane_indice"),
                evolution_indice=sa.bindparam("b_evolution_indice"),
                computed_at=sa.bindparam("b_computed_at"),
            ),
            updates,
        )
    conn.execute(
        pooling_opportunities.delete().where(
            pooling_opportunities.c.annee.in_(sorted(pooling_years))
        )
    )
    if pooling_rows:
        conn.execute(pooling_opportunities.insert(), pooling_rows)
    conn.execute(campaign_status.delete().where(pair_condition(campaign_status, pairs)))
    if status_rows:
        conn.execute(campaign_status.insert(), status_rows)
    return {
        "benchmark": len(bench_rows) + len(updates),
        "pooling_opportunities": len(pooling_rows),
        "campaign_status": len(status_rows),
    }


def refresh_benchmark(
    engine: Engine,
    reference: ReferenceData,
    changed: Iterable[tuple[str, int]] | None,
    *,
    settings: BenchmarkSettings | None = None,
) -> dict[str, int]:
    """Recompute what new submissions of ``changed`` (chu, annee) pairs change (see the
    module docstring); ``None`` = everything. The number of rows written per table."""
    settings = settings or benchmark_settings()
    if changed is None:
        return rebuild_benchmark(engine, reference, settings=settings)
    pairs = {(str(chu), int(annee)) for chu, annee in changed}
    if not pairs:
        return {"benchmark": 0, "pooling_opportunities": 0, "campaign_status": 0}
    changed_years = {annee for _chu, annee in pairs}
    with write_transaction(engine) as conn:
        _lock(conn)
        if _stale(conn, reference, changed_years):
            frames = _compute(conn, reference, settings, data_years=None, status_years=None)
            return _write(conn, frames, bench_years=None, status_years=None)
        return _refresh_pairs(conn, reference, settings, pairs)
