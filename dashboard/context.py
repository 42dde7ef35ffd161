"""Shared resources of the dashboard: one engine per database URL and the reference data,
cached for the life of the Streamlit server (``st.cache_resource``), not per session."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from expectations.reference import ReferenceData


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    from warehouse.engine import make_engine

    return make_engine(url)


def get_engine() -> Engine:
    """The warehouse engine (``CHU_BENCH_DATABASE_URL`` or the default SQLite file). The URL
    is resolved on every run so that the cache key follows the environment (tests)."""
    from warehouse.engine import resolve_database_url

    return _engine_for(resolve_database_url())


def get_reference() -> ReferenceData:
    """The reference data (``load_reference`` already caches it per directory)."""
    from expectations.reference import load_reference

    return load_reference()
