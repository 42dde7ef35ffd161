"""Plan d'action: the measures a CHU should raise first (``warehouse.plan``: applicable
measures below their target, by priority), with the ISO 27001 items each one serves and the
peers at niveau ≥ 4 to learn from.

A DSI sees its own CHU's plan only, the peers as a count; the alliance picks any CHU and
sees the peers by name. Downloads: CSV, and an Excel workbook ready for the CHU's director
(the same as ``chu-bench plan --format xlsx``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, page_roles, require_role
from dashboard.decisions_data import decision_scope
from dashboard.downloads import CSV_MIME, XLSX_MIME, safe_file_stem, to_csv_bytes
from dashboard.formatting import format_integer
from dashboard.scoped import SECRET
from warehouse.plan import PEER_CODES_COLUMN, PLAN_LABELS, PRIORITY_TEXT
from warehouse.plan_export import plan_workbook
from warehouse.spreadsheets import list_text


def plan_display(plan: pd.DataFrame, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The plan as shown and downloaded as CSV: lists as text, peers by name (alliance)."""
    shown = plan.copy()
    if PEER_CODES_COLUMN in shown.columns:
        shown[PEER_CODES_COLUMN] = shown[PEER_CODES_COLUMN].map(
            lambda codes: [(names or {}).get(c, c) for c in codes]
        )
    for column in ("controles_iso", PEER_CODES_COLUMN):
        if column in shown.columns:
            shown[column] = shown[column].map(lambda v: list_text(v, ", "))
    return shown


def _downloads(plan: pd.DataFrame, shown: pd.DataFrame, chu: str, annee: int) -> None:
    from dashboard.auth import download_recorder
    from dashboard.context import get_reference

    stem = safe_file_stem(f"plan_action_{chu}_{annee}")
    csv_audit = download_recorder(stem, "csv")
    xlsx_audit = download_recorder(stem, "xlsx")

    def csv_bytes() -> bytes:
        payload = to_csv_bytes(shown.rename(columns=PLAN_LABELS))
        csv_audit()
        return payload

    def xlsx_bytes() -> bytes:
        payload = plan_workbook(plan, get_reference(), chu, annee)
        xlsx_audit()
        return payload

    left, right = st.columns([1, 1, 3])[:2]
    left.download_button(
        "Télécharger (CSV)",
        data=csv_bytes,
        file_name=f"{stem}.csv",
        mime=CSV_MIME,
        key="plan_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    right.download_button(
        "Télécharger (Excel, pour la direction)",
        data=xlsx_bytes,
        file_name=f"{stem}.xlsx",
        mime=XLSX_MIME,
        key="plan_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("plan_action"))
    st.title("Plan d'action")
    st.caption(
        "Chaque mesure DNSSI applicable dont le niveau est inférieur à la cible retenue (la "
        "cible déclarée par le CHU, sinon 3 « Défini »). " + PRIORITY_TEXT
    )
    scope = decision_scope(viewer)
    years = scope.years()
    if not years:
        st.info("Aucune donnée consolidée pour l'instant.")
        return
    left, right = st.columns(2)
    with left:
        annee = int(data.select_year(years, key="plan_annee"))
    reference = scope.scoped.reference
    if scope.sees_names:
        codes = list(reference.establishments)
        chu = right.selectbox(
            "CHU",
            options=codes,
            format_func=lambda c: reference.establishments[c].nom,
            key="plan_chu",
        )
    else:
        chu = str(viewer.chu)
        right.markdown(f"**{scope.scoped.own_name}**")
    plan = scope.plan(chu, annee)
    if plan.empty:
        st.info(
            f"Aucune mesure à améliorer pour {annee} : pas d'auto-évaluation en vigueur, ou "
            "toutes les mesures applicables atteignent leur cible."
        )
        return
    first, second, third = st.columns(3)
    first.metric("Mesures à améliorer", format_integer(len(plan)))
    second.metric(
        "Exigences ISO 27001 bloquées (total)", format_integer(plan["controles_bloques"].sum())
    )
    peers = plan["pairs_au_niveau_4"]
    third.metric(
        "Mesures où un autre CHU est au niveau 4 ou plus",
        # Withheld for a DSI when too few other CHUs answered (dashboard.scoped rules).
        SECRET if peers.isna().all() else format_integer(int((peers > 0).sum())),
    )
    names = {c: e.nom for c, e in reference.establishments.items()} if scope.sees_names else None
    shown = plan_display(plan, names)
    st.dataframe(shown.rename(columns=PLAN_LABELS), hide_index=True, key="plan_table")
    _downloads(plan, shown, chu, annee)
