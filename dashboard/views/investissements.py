"""Investissements: security spending against the published reference figures (ENISA, the
French 5–10 % rule, the Cour des comptes), per bed, staff, capex/opex, category mix, and
maturity against spend per bed.

A DSI sees its peers' ratios under letters but no peer amount in dirhams: an amount and a
per-bed figure together give the number of beds, which is public and names the CHU.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, chu_labels, page_roles, present, require_role
from dashboard.context import get_reference
from dashboard.downloads import table_with_downloads
from dashboard.formatting import format_number, format_table
from dashboard.labels import CATEGORY_LABELS, FORMULAS, KPI_LABELS, NATURE_LABELS, NO_DATA
from warehouse.charts import (
    amount_bar_chart,
    capex_opex_chart,
    category_mix_chart,
    maturity_vs_spend_chart,
    ratio_chart,
)

INVESTMENT_COLUMNS = [
    "chu",
    "depense_ssi_mad",
    "part_budget_si_pct",
    "depense_par_lit_mad",
    "effectif_ssi_pour_100_si",
    "part_capex_pct",
    "part_si_budget_total_pct",
    "indice_maturite",
]
INVESTMENT_FORMATS = {
    "depense_ssi_mad": "mad",
    "part_budget_si_pct": "pct",
    "depense_par_lit_mad": "mad",
    "effectif_ssi_pour_100_si": "number",
    "part_capex_pct": "pct",
    "part_si_budget_total_pct": "pct",
    "indice_maturite": "index",
}


def _references(indicator: str) -> list:
    return [r for r in get_reference().spending_references if r.indicateur == indicator]


def _cite(indicator: str) -> None:
    """The sources of the reference lines, under the chart, with their year."""
    references = _references(indicator)
    if not references:
        return
    lines = []
    for r in references:
        value = (
            f"{format_number(r.valeur_min, 1)} {r.unite}"
            if r.valeur_min == r.valeur_max
            else f"{format_number(r.valeur_min, 0)} à {format_number(r.valeur_max, 0)} {r.unite}"
        )
        lines.append(f"{r.libelle} : {value} — *{r.source}*, {r.annee_source}.")
    st.caption("Références : " + " ".join(lines))


def _ratio_section(
    shown: pd.DataFrame,
    column: str,
    *,
    highlight: str | None,
    key: str,
    decimals: int = 1,
    suffix: str = " %",
) -> None:
    fig = ratio_chart(
        shown,
        column,
        references=_references(column),
        highlight=highlight,
        title=None,
        value_label=KPI_LABELS[column],
        decimals=decimals,
        suffix=suffix,
    )
    st.plotly_chart(fig, key=key)
    st.caption(FORMULAS[column])
    _cite(column)


def _category_mix(viewer: Viewer, annee: int, highlight: str | None) -> None:
    spending = data.spending_by_category(annee)
    if spending.empty:
        st.info(f"Aucune dépense consolidée pour la campagne {annee}.")
        return
    if viewer.sees_all_names:
        as_share = st.toggle(
            "Afficher en % de la dépense de chaque CHU", key="investissements_mix_part"
        )
    else:
        as_share = True
        st.caption(
            "Répartition en % de la dépense de chaque CHU (montants des autres CHU non communiqués)."
        )
    by_category = spending.groupby(["chu", "annee", "categorie"], as_index=False)[
        "montant_mad"
    ].sum()
    shown = present(viewer, by_category)
    st.plotly_chart(
        category_mix_chart(shown, category_labels=CATEGORY_LABELS, as_share=as_share, title=None),
        key="investissements_categories",
    )
    # The table: amount and share per CHU × category × nature (a DSI: shares only for peers).
    table = spending.copy()
    totals = table.groupby("chu")["montant_mad"].transform("sum")
    table["part_pct"] = (table["montant_mad"] / totals.where(totals != 0) * 100).round(2)
    if not viewer.sees_all_names:
        table.loc[table["chu"] != viewer.chu, "montant_mad"] = float("nan")
    table["categorie"] = table["categorie"].map(lambda c: CATEGORY_LABELS.get(c, c))
    table["nature"] = table["nature"].map(lambda n: NATURE_LABELS.get(n, n))
    table = (
        present(viewer, table)[
            ["chu", "categorie", "nature", "montant_mad", "part_pct", "nb_lignes"]
        ]
        .sort_values(["chu", "categorie", "nature"], kind="mergesort")
        .reset_index(drop=True)
    )
    table_with_downloads(
        table,
        f"depenses_par_categorie_{annee}",
        key="investissements_table_categories",
        display=format_table(
            table, {"montant_mad": "mad", "part_pct": "pct", "nb_lignes": "integer"}
        ).rename(
            columns={
                "chu": "CHU",
                "categorie": "Catégorie",
                "nature": "Nature",
                "montant_mad": "Montant",
                "part_pct": "Part de la dépense du CHU",
                "nb_lignes": "Lignes",
            }
        ),
    )


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("investissements"))
    st.title("Investissements")
    everything = data.benchmark()
    years = data.years_of(everything)
    if not years:
        st.info(NO_DATA)
        return
    annee = data.select_year(years, key="investissements_annee")
    current = everything[everything["annee"] == annee].copy()
    if current.empty or current[["depense_ssi_mad", "part_si_budget_total_pct"]].isna().all().all():
        st.info(f"Aucune dépense ni aucun profil consolidés pour la campagne {annee}.")
        return
    labels = chu_labels(viewer, current["chu"].astype(str).tolist(), annee)
    highlight = data.own_label(viewer, labels)
    shown = present(viewer, data.mask_peer_figures(viewer, current))

    tabs = st.tabs(
        [
            "Part du budget informatique",
            "Par lit et effectifs",
            "Investissement / fonctionnement",
            "Catégories",
            "Maturité et dépense",
            "Poids de l'informatique",
        ]
    )
    with tabs[0]:
        st.markdown("**Dépense de sécurité en % du budget informatique**")
        _ratio_section(
            shown, "part_budget_si_pct", highlight=highlight, key="investissements_part_si"
        )
    with tabs[1]:
        st.markdown("**Dépense de sécurité par lit**")
        st.plotly_chart(
            amount_bar_chart(
                shown,
                "depense_par_lit_mad",
                highlight=highlight,
                title=None,
                value_label="Dépense de sécurité par lit",
            ),
            key="investissements_par_lit",
        )
        st.caption(FORMULAS["depense_par_lit_mad"])
        st.markdown("**Effectif sécurité pour 100 informaticiens**")
        _ratio_section(
            shown,
            "effectif_ssi_pour_100_si",
            highlight=highlight,
            key="investissements_effectifs",
            suffix="",
        )
    with tabs[2]:
        st.plotly_chart(capex_opex_chart(shown, title=None), key="investissements_capex")
        st.caption(FORMULAS["part_capex_pct"])
    with tabs[3]:
        _category_mix(viewer, annee, highlight)
    with tabs[4]:
        # The scatter keeps its rows' order in the figure JSON: ranked, never in code order.
        ranked = shown.sort_values(
            ["indice_maturite", "chu"], ascending=[False, True], kind="mergesort"
        )
        st.plotly_chart(
            maturity_vs_spend_chart(ranked, highlight=highlight, title=None),
            key="investissements_maturite_depense",
        )
        st.caption(
            "En haut à gauche : les CHU qui obtiennent le plus de maturité par dirham dépensé "
            "par lit. Les pointillés marquent les médianes de l'alliance."
        )
    with tabs[5]:
        st.markdown("**Budget informatique en % du budget total de l'établissement**")
        _ratio_section(
            shown, "part_si_budget_total_pct", highlight=highlight, key="investissements_part_total"
        )

    st.subheader("Tableau des indicateurs de dépense")
    table = data.order_rows(shown[[c for c in INVESTMENT_COLUMNS if c in shown.columns]])
    table_with_downloads(
        table,
        f"investissements_{annee}",
        key="investissements_tableau",
        display=format_table(table, INVESTMENT_FORMATS).rename(columns=KPI_LABELS),
    )
    if not viewer.sees_all_names:
        st.caption(
            "Les montants en dirhams des autres CHU ne sont pas communiqués : avec la dépense "
            "par lit, ils permettraient de les reconnaître."
        )
