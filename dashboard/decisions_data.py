"""Cached reads behind the decision pages (ISO 27001, action plan, joint projects), and the
viewer-scoped entry point they all use: ``decision_scope(viewer)``.

The same caching as ``dashboard.data`` (keyed by the warehouse URL, short TTL); the rules of
what a viewer may see are in ``dashboard.decisions_scoped`` (pure, tested without Streamlit).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer
from dashboard.decisions_scoped import DecisionScope, WarehouseDecisionSource


def _source(url: str) -> WarehouseDecisionSource:
    from warehouse.engine import make_engine

    return WarehouseDecisionSource(make_engine(url))


@st.cache_data(ttl=data.TTL_SECONDS, show_spinner=False)
def _answers(url: str, annee: int) -> pd.DataFrame:
    return _source(url).answers(annee)


@st.cache_data(ttl=data.TTL_SECONDS, show_spinner=False)
def _spending(url: str, annee: int) -> pd.DataFrame:
    return _source(url).spending(annee)


@st.cache_data(ttl=data.TTL_SECONDS, show_spinner=False)
def _profiles(url: str, annee: int) -> pd.DataFrame:
    return _source(url).profiles(annee)


class CachedDecisionSource:
    def __init__(self, url: str) -> None:
        self.url = url

    def answers(self, annee: int) -> pd.DataFrame:
        return _answers(self.url, int(annee))

    def spending(self, annee: int) -> pd.DataFrame:
        return _spending(self.url, int(annee))

    def profiles(self, annee: int) -> pd.DataFrame:
        return _profiles(self.url, int(annee))


def decision_scope(viewer: Viewer) -> DecisionScope:
    """What this viewer may see of the decisions, over SDC's scoped data layer."""
    return DecisionScope(data.scoped(viewer), CachedDecisionSource(data.database_url()))


def clear() -> None:
    for function in (_answers, _spending, _profiles):
        function.clear()
