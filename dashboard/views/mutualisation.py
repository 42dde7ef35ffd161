"""Mutualisation: the solutions and suppliers bought by two CHUs or more in a campaign, what
they cost together and what pooling could save at an adjustable rate.

A DSI sees only the items its own CHU bought that enough other CHUs bought too (positive
amounts only), under its own spelling, with no peer label; the totals of every CHU are
published only under the aggregate rules (``dashboard.scoped.ScopedData.own_pooling``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, page_roles, present, require_role
from dashboard.downloads import table_with_downloads
from dashboard.formatting import format_integer, format_mad, format_table
from dashboard.labels import FORMULAS, POOLING_COLUMN_LABELS, POOLING_TYPE_LABELS
from dashboard.scoped import SECRET, STAT_LABELS, ScopedData
from dashboard.views.projets_communs import render_joint_projects
from warehouse.benchmark import POOLING_COLUMNS
from warehouse.charts import own_pooling_chart, pooling_chart

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


OWN_POOLING_LABELS = POOLING_COLUMN_LABELS | {
    "montant_chu_mad": "Dépense de votre CHU (MAD)",
    "total_mad": "Dépense de tous ces CHU (MAD)",
    "diffusion": STAT_LABELS["diffusion"],
}


def _render_dsi(scoped: ScopedData, annee: int, rate: int, kinds: list[str]) -> None:
    pooling = scoped.own_pooling(annee, rate)
    pooling = pooling[pooling["type"].isin(kinds or [])]
    st.caption(
        "Sont listés les achats de votre CHU que au moins "
        f"{scoped.rules.min_peers} CHU (le vôtre compris) ont déclarés avec un montant "
        "positif, sous le nom que votre CHU a saisi ; les autres CHU ne sont jamais nommés. "
        "La dépense de tous ces CHU n'est publiée que si au moins "
        f"{scoped.rules.min_peers} autres CHU l'ont achetée et qu'aucun ne pèse plus de "
        f"{scoped.rules.dominance_pct:g} % du total (sinon « {SECRET} »)."
    )
    if pooling.empty:
        st.info(f"Aucun achat de votre CHU n'est partagé par assez d'autres CHU en {annee}.")
        return
    columns = st.columns(len(kinds))
    for column, kind in zip(columns, kinds, strict=True):
        part = pooling[pooling["type"] == kind]
        with column, st.container(border=True):
            st.markdown(f"**{KIND_HEADINGS[kind]}**")
            st.metric("Achats partagés", format_integer(len(part)))
            st.metric("Dépense de votre CHU concernée", format_mad(part["montant_chu_mad"].sum()))
            published = part.dropna(subset=["economie_estimee_mad"])
            st.metric(
                f"Économie estimée à {rate} % (achats publiés)",
                format_mad(published["economie_estimee_mad"].sum()) if len(published) else SECRET,
            )
    st.subheader("Vos achats partagés")
    st.plotly_chart(own_pooling_chart(pooling, title=None), key="mutualisation_top")
    table = pooling.assign(type=pooling["type"].map(POOLING_TYPE_LABELS))
    display = format_table(
        table,
        {
            "montant_chu_mad": "mad",
            "total_mad": "mad",
            "economie_estimee_mad": "mad",
            "taux_economie": "integer",
            "nb_chu": "integer",
        },
    )
    secret = table["diffusion"].eq(SECRET).to_numpy()
    for column in ("total_mad", "economie_estimee_mad"):
        display.loc[secret, column] = SECRET
    table_with_downloads(
        table,
        f"mutualisation_{annee}",
        key="mutualisation_tableau",
        display=display.rename(columns=OWN_POOLING_LABELS),
    )


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("mutualisation"))
    st.title("Mutualisation")
    st.caption(FORMULAS["economie_estimee_mad"])
    scoped = data.scoped(viewer)
    everything = scoped.named_pooling() if scoped.sees_names else None
    years = data.years_of(everything) if scoped.sees_names else scoped.years()
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
    if not scoped.sees_names:
        _render_dsi(scoped, int(annee), rate, list(kinds or []))
        render_joint_projects(viewer, int(annee))  # ISO (issue 9): joint projects
        return
    pooling = recompute_savings(everything[everything["annee"] == annee], rate)
    pooling = pooling[pooling["type"].isin(kinds or [])]
    if pooling.empty:
        st.info(f"Aucune opportunité de mutualisation de ce type pour la campagne {annee}.")
        render_joint_projects(viewer, int(annee))
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
    if len(kinds) > 1:
        st.caption(
            "Un même achat compte à la fois pour sa solution et pour son fournisseur : les "
            "totaux des deux types ne s'additionnent pas."
        )

    shown = present(viewer, pooling, list_columns=["chus"])
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
    render_joint_projects(viewer, int(annee))
