"""Cached reads of the analysis pages, and the few page helpers they share.

Every read is an ``st.cache_data`` wrapper keyed by the database URL (so that two
warehouses never share a cache entry) with a short TTL: a file loaded by the pipeline
shows up within a minute without restarting the dashboard. Pages never call them
directly: they read through ``scoped(viewer)``, the viewer-scoped data layer
(``dashboard.scoped.ScopedData``) over these cached reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from dashboard.access import Viewer
from dashboard.scoped import DisclosureRules, ScopedData
from warehouse import queries, reads

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

TTL_SECONDS = 60


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
def _purchase_lines(url: str, annee: int) -> pd.DataFrame:
    return queries.purchase_lines(_engine(url), annee)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _campaign_status(url: str, annee: int | None) -> pd.DataFrame:
    return reads.read_campaign_status(_engine(url), annee=annee)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _freshness(url: str) -> dict:
    return queries.data_freshness(_engine(url))


def freshness() -> dict:
    return _freshness(database_url())


class CachedSource:
    """The ``dashboard.scoped.Source`` of the dashboard: the cached reads above (the file
    lists stay uncached: an upload must show at once)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def benchmark(self, annee: int | None) -> pd.DataFrame:
        return _benchmark(self.url, annee)

    def pooling(self, annee: int | None) -> pd.DataFrame:
        return _pooling(self.url, annee)

    def purchase_lines(self, annee: int) -> pd.DataFrame:
        return _purchase_lines(self.url, int(annee))

    def spending_by_category(self, annee: int | None) -> pd.DataFrame:
        return _spending_by_category(self.url, annee)

    def measure_levels(self, annee: int, chu: str | None) -> pd.DataFrame:
        return _measure_levels(self.url, int(annee), chu)

    def measure_statistics(self, annee: int) -> pd.DataFrame:
        return _measure_statistics(self.url, int(annee))

    def overall_status(self, annee: int | None) -> pd.DataFrame:
        return _overall_status(self.url, annee)

    def campaign_status(self, annee: int | None) -> pd.DataFrame:
        return _campaign_status(self.url, annee)

    def received_files(self, annee: int | None) -> pd.DataFrame:
        return _received_files(self.url, annee)

    def submissions(self) -> pd.DataFrame:
        from warehouse.submissions import list_submissions

        return list_submissions(_engine(self.url))

    def submission(self, submission_id: int) -> dict | None:
        from warehouse.submissions import get_submission

        return get_submission(_engine(self.url), submission_id)


def scoped(viewer: Viewer) -> ScopedData:
    """What this viewer may see, over the cached reads: every page reads through it."""
    from dashboard.context import get_reference

    return ScopedData(
        viewer,
        reference=get_reference(),
        rules=DisclosureRules.from_env(),
        source=CachedSource(database_url()),
    )


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
        _purchase_lines,
        _campaign_status,
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


def order_rows(df: pd.DataFrame, *columns: str, label_column: str = "chu") -> pd.DataFrame:
    """Rows of a presented table sorted by ``columns`` then by the shown name."""
    keys = [c for c in columns if c in df.columns]
    if label_column in df.columns:
        keys.append(label_column)
    if not keys:
        return df.reset_index(drop=True)
    return df.sort_values(keys, na_position="last", kind="mergesort").reset_index(drop=True)


def median_of(df: pd.DataFrame, column: str) -> float | None:
    """The alliance median of a KPI (CHUs with a value only); None when nobody has it."""
    if df is None or df.empty or column not in df.columns:
        return None
    values = pd.to_numeric(df[column], errors="coerce").dropna()
    return None if values.empty else float(values.median())
