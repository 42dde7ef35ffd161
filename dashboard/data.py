"""Cached reads of the analysis pages, and the few page helpers they share.

Every read is an ``st.cache_data`` wrapper keyed by the database URL (so that two
warehouses never share a cache entry) with a short TTL: a file loaded by the pipeline
shows up within a minute without restarting the dashboard. The functions return raw
data with CHU codes; pages pass it through ``dashboard.access.present`` before showing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from dashboard.access import Viewer
from warehouse import queries, reads

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

TTL_SECONDS = 60

# Absolute figures of a peer that a DSI does not get even under a letter. The total spend
# divided by the spend per bed gives the number of beds, a public figure that names the
# CHU; the change since last year links this year's letter to last year's (letters are
# redrawn every year precisely so that a peer cannot be followed).
PEER_HIDDEN_COLUMNS = ("depense_ssi_mad", "evolution_indice")


def database_url() -> str:
    from warehouse.engine import resolve_database_url

    return resolve_database_url()


def _engine(url: str) -> Engine:
    from warehouse.engine import make_engine

    return make_engine(url)  # cached per URL by warehouse.engine


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _benchmark(url: str, annee: int | None) -> pd.DataFrame:
    return reads.read_benchmark(_engine(url), annee)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _pooling(url: str, annee: int | None) -> pd.DataFrame:
    return reads.read_pooling(_engine(url), annee)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _overall_status(url: str, annee: int | None) -> pd.DataFrame:
    return reads.read_overall_status(_engine(url), annee)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _spending_by_category(url: str, annee: int | None) -> pd.DataFrame:
    return queries.spending_by_category(_engine(url), annee)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _measure_levels(url: str, annee: int, chu: str | None) -> pd.DataFrame:
    return queries.measure_levels(_engine(url), annee, chu)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _measure_statistics(url: str, annee: int) -> pd.DataFrame:
    return queries.measure_statistics(_engine(url), annee)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _received_files(url: str, annee: int | None) -> pd.DataFrame:
    return queries.received_files(_engine(url), annee)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _freshness(url: str) -> dict:
    return queries.data_freshness(_engine(url))


def benchmark(annee: int | None = None) -> pd.DataFrame:
    """The §5 table (every year when ``annee`` is None)."""
    return _benchmark(database_url(), annee)


def pooling(annee: int | None = None) -> pd.DataFrame:
    return _pooling(database_url(), annee)


def overall_status(annee: int | None = None) -> pd.DataFrame:
    return _overall_status(database_url(), annee)


def spending_by_category(annee: int | None = None) -> pd.DataFrame:
    return _spending_by_category(database_url(), annee)


def measure_levels(annee: int, chu: str | None = None) -> pd.DataFrame:
    return _measure_levels(database_url(), int(annee), chu)


def measure_statistics(annee: int) -> pd.DataFrame:
    return _measure_statistics(database_url(), int(annee))


def received_files(annee: int | None = None) -> pd.DataFrame:
    return _received_files(database_url(), annee)


def freshness() -> dict:
    return _freshness(database_url())


def clear() -> None:
    """Forget every cached read (after an upload, so that it shows at once)."""
    for function in (
        _benchmark,
        _pooling,
        _overall_status,
        _spending_by_category,
        _measure_levels,
        _measure_statistics,
        _received_files,
        _freshness,
    ):
        function.clear()


# --- page helpers ---------------------------------------------------------------------------


def years_of(frame: pd.DataFrame) -> list[int]:
    if frame is None or frame.empty or "annee" not in frame.columns:
        return []
    return sorted({int(y) for y in frame["annee"].dropna()})


def select_year(years: list[int], *, key: str) -> int:
    """The campaign selector; the latest campaign by default."""
    return st.selectbox(
        "Campagne",
        options=sorted(years, reverse=True),
        index=0,
        key=key,
        help="Année de la campagne de collecte.",
    )


def mask_peer_figures(
    viewer: Viewer, df: pd.DataFrame, columns: tuple[str, ...] = PEER_HIDDEN_COLUMNS
) -> pd.DataFrame:
    """For a DSI, blank the figures of ``PEER_HIDDEN_COLUMNS`` on its peers' rows (call before
    ``present``, while the ``chu`` column still holds codes)."""
    if viewer.sees_all_names or df.empty or "chu" not in df.columns:
        return df
    out = df.copy()
    peers = out["chu"].astype(str) != str(viewer.chu)
    for column in columns:
        if column in out.columns:
            out[column] = out[column].astype("float64")
            out.loc[peers, column] = float("nan")
    return out


def order_rows(df: pd.DataFrame, *columns: str, label_column: str = "chu") -> pd.DataFrame:
    """Rows of a presented table sorted by ``columns`` then by the shown label, never left in
    the order of the CHU codes: for a DSI, rows in code order (AGA, CAS, FES…) would tell
    which letter is which CHU."""
    keys = [c for c in columns if c in df.columns]
    if label_column in df.columns:
        keys.append(label_column)
    if not keys:
        return df.reset_index(drop=True)
    return df.sort_values(keys, na_position="last", kind="mergesort").reset_index(drop=True)


def sort_label_lists(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Within a cell listing several CHUs (« CHU C, CHU A »), sort the labels: the order of
    the codes they replaced must not show through."""
    if column not in df.columns:
        return df
    out = df.copy()
    out[column] = [
        ", ".join(sorted(p.strip() for p in str(v).split(",") if p.strip()))
        if isinstance(v, str)
        else v
        for v in out[column]
    ]
    return out


def median_of(df: pd.DataFrame, column: str) -> float | None:
    """The alliance median of a KPI (CHUs with a value only); None when nobody has it."""
    if df is None or df.empty or column not in df.columns:
        return None
    values = pd.to_numeric(df[column], errors="coerce").dropna()
    return None if values.empty else float(values.median())


def own_label(viewer: Viewer, labels: dict[str, str]) -> str | None:
    """The viewer's own CHU label (to highlight it in charts), or None."""
    return labels.get(viewer.chu) if viewer.chu else None
