"""Mutualisation: the solutions and suppliers bought by two CHUs or more in a campaign, what
they cost together and what pooling could save at an adjustable rate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, page_roles, present, require_role
from dashboard.downloads import table_with_downloads
from dashboard.formatting import format_integer, format_mad, format_table
from dashboard.labels import FORMULAS, POOLING_COLUMN_LABELS, POOLING_TYPE_LABELS
from warehouse.benchmark import POOLING_COLUMNS
from warehouse.charts import pooling_chart

KIND_HEADINGS = {
    "solution": "Solutions achetées par plusieurs CHU",
    "fournisseur": "Fournisseurs communs à plusieurs CHU",
}
DEFAULT_RATE_PCT = 15
MAX_RATE_PCT = 40
# The stored opportunity's columns, less the year (chosen above) and the traceability ids.
TABLE_COLUMNS = [c for c in POOLING_COLUMNS if c not in ("annee", "submission_ids")]


def recompute_savings(pooling: pd.DataFrame, rate_pct: float) -> pd.DataFrame:
    """Estimated saving at ``rate_pct`` % of the total (the stored one used the default)."""
    out = pooling.copy()
    rate = float(rate_pct) / 100
    out["taux_economie"] = float(rate_pct)
    out["economie_estimee_mad"] = (out["total_mad"].astype(float) * rate).round(2)
    return out


def hide_amounts_that_reveal_a_peer(viewer: Viewer, pooling: pd.DataFrame) -> pd.DataFrame:
    """For a DSI, blank the amounts of purchases shared by its own CHU and exactly one peer:
    the total minus its own spend would be that peer's amount in dirhams, which a DSI must
    not see. Solution, supplier and number of CHUs stay: they are what pooling needs."""
    if viewer.sees_all_names or pooling.empty:
        return pooling
    out = pooling.copy()
    own = out["chus"].astype(str).map(lambda cell: viewer.chu in cell.replace(" ", "").split(","))
    revealing = own & (out["nb_chu"].astype(int) == 2)
    for column in ("total_mad", "economie_estimee_mad"):
        out[column] = out[column].astype(float).mask(revealing)
    return out


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("mutualisation"))
    st.title("Mutualisation")
    st.caption(FORMULAS["economie_estimee_mad"])
    everything = data.pooling()
    years = data.years_of(everything)
    if not years:
        st.info(
            "Aucune opportunité de mutualisation pour l'instant : il faut qu'au moins deux CHU "
            "déclarent la même solution ou le même fournisseur la même année."
        )
        return
    left, right = st.columns(2)
    with left:
        annee = data.select_year(years, key="mutualisation_annee")
    rate = right.slider(
        "Taux d'économie retenu (%)",
        min_value=0,
        max_value=MAX_RATE_PCT,
        value=DEFAULT_RATE_PCT,
        step=1,
        key="mutualisation_taux",
        help="Part de la dépense commune que l'achat groupé permettrait d'économiser.",
    )
    kinds = st.segmented_control(
        "Type",
        options=["solution", "fournisseur"],
        default=["solution", "fournisseur"],
        selection_mode="multi",
        format_func=lambda k: POOLING_TYPE_LABELS[k] + "s",
        key="mutualisation_types",
    )
    pooling = recompute_savings(everything[everything["annee"] == annee], rate)
    pooling = pooling[pooling["type"].isin(kinds or [])]
    pooling = hide_amounts_that_reveal_a_peer(viewer, pooling)
    if pooling.empty:
        st.info(f"Aucune opportunité de mutualisation de ce type pour la campagne {annee}.")
        return

    # A purchase appears once under its solution and once under its supplier: totals are
    # given per type, never added across types.
    columns = st.columns(len(kinds))
    for column, kind in zip(columns, kinds, strict=True):
        part = pooling[pooling["type"] == kind]
        with column, st.container(border=True):
            st.markdown(f"**{KIND_HEADINGS[kind]}**")
            st.metric("Opportunités", format_integer(len(part)))
            st.metric("Dépense totale concernée", format_mad(part["total_mad"].sum()))
            st.metric(
                f"Économie estimée à {rate} %", format_mad(part["economie_estimee_mad"].sum())
            )
    if not viewer.sees_all_names and pooling["total_mad"].isna().any():
        st.caption(
            "Les montants des achats partagés par votre CHU avec un seul autre CHU ne sont "
            "pas affichés : ils révéleraient la dépense de cet établissement."
        )
    if len(kinds) > 1:
        st.caption(
            "Un même achat compte à la fois pour sa solution et pour son fournisseur : les "
            "totaux des deux types ne s'additionnent pas."
        )

    shown = data.sort_label_lists(present(viewer, pooling, list_columns=["chus"]), "chus")
    st.subheader("Principales opportunités")
    st.plotly_chart(pooling_chart(shown, title=None), key="mutualisation_top")

    st.subheader("Toutes les opportunités")
    table = shown[TABLE_COLUMNS].assign(type=shown["type"].map(POOLING_TYPE_LABELS))
    table = table.sort_values(["economie_estimee_mad", "nom"], ascending=[False, True])
    table_with_downloads(
        table,
        f"mutualisation_{annee}",
        key="mutualisation_tableau",
        display=format_table(
            table,
            {"total_mad": "mad", "economie_estimee_mad": "mad", "taux_economie": "integer"},
        ).rename(columns=POOLING_COLUMN_LABELS),
    )
