"""Rebuild the derived tables (benchmark, pooling opportunities, campaign status).

Reads the current submissions and their rows, computes with warehouse.benchmark, and
replaces the three tables in ONE transaction: readers see either the old tables or the
new ones, never a half-written benchmark. The result depends only on the stored
submissions, so rebuilding twice gives identical tables (except ``computed_at``).
"""

from __future__ import annotations

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
    compute_benchmark,
    compute_campaign_status,
    compute_pooling,
    measures_for_years,
)
from warehouse.engine import is_postgresql, write_transaction
from warehouse.reads import (
    frame_to_records,
    read_current_answers,
    read_current_profiles,
    read_current_spending,
)
from warehouse.schema import benchmark, campaign_status, pooling_opportunities, submissions

DERIVED_TABLES = (benchmark, pooling_opportunities, campaign_status)


def _all_submissions(conn: Connection) -> pd.DataFrame:
    t = submissions
    rows = conn.execute(
        sa.select(
            t.c.id, t.c.chu, t.c.annee, t.c.kind, t.c.status, t.c.received_at, t.c.sender_chu
        ).order_by(t.c.id)
    ).all()
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


def compute_all(
    conn: Connection, reference: ReferenceData, pooling_rate: float = 0.15
) -> dict[str, pd.DataFrame]:
    """The three derived frames, from what is stored now (no write)."""
    answers = read_current_answers(conn)
    spending = read_current_spending(conn)
    profiles = read_current_profiles(conn)
    subs = _all_submissions(conn)
    current = subs[subs["status"] == "current"]
    years = set(current["annee"].dropna().astype(int)) | set(reference.campaign_years)
    bench = compute_benchmark(
        answers, spending, profiles, measures_for_years(reference, years), submissions=current
    )
    pooling = compute_pooling(spending, rate=pooling_rate)
    status = compute_campaign_status(
        subs,
        reference.chu_codes,
        reference.campaign_years,
        {code: e.premiere_campagne for code, e in reference.establishments.items()},
    )
    return {"benchmark": bench, "pooling_opportunities": pooling, "campaign_status": status}


def rebuild_benchmark(
    engine: Engine, reference: ReferenceData, pooling_rate: float = 0.15
) -> dict[str, int]:
    """Recompute and replace benchmark, pooling_opportunities and campaign_status atomically.

    Returns the number of rows written per table.
    """
    computed_at = datetime.now(UTC)
    with write_transaction(engine) as conn:
        if is_postgresql(conn):
            # A consistent picture under READ COMMITTED: SHARE on submissions holds back
            # concurrent loads (they lock it first) while we read; EXCLUSIVE on the derived
            # tables makes concurrent rebuilds queue. Plain readers are never blocked.
            # (SQLite: write_transaction's BEGIN IMMEDIATE gives the same guarantees.)
            conn.exec_driver_sql("LOCK TABLE submissions IN SHARE MODE")
            conn.exec_driver_sql(
                "LOCK TABLE benchmark, pooling_opportunities, campaign_status IN EXCLUSIVE MODE"
            )
        frames = compute_all(conn, reference, pooling_rate)
        for table in DERIVED_TABLES:
            conn.execute(table.delete())

        bench_rows = _rows(frames["benchmark"][list(OUTPUT_COLUMNS)], computed_at)
        # Explicit ids: a rebuild from the same submissions gives the very same table.
        pooling_rows = _rows(frames["pooling_opportunities"][list(POOLING_COLUMNS)], computed_at)
        for index, row in enumerate(pooling_rows, start=1):
            row["id"] = index
        status_rows = _rows(frames["campaign_status"][list(CAMPAIGN_STATUS_COLUMNS)], computed_at)

        for table, rows in (
            (benchmark, bench_rows),
            (pooling_opportunities, pooling_rows),
            (campaign_status, status_rows),
        ):
            if rows:
                conn.execute(table.insert(), rows)
    return {
        "benchmark": len(bench_rows),
        "pooling_opportunities": len(pooling_rows),
        "campaign_status": len(status_rows),
    }
