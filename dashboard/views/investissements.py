"""Investissements: security spending against the published reference figures (ENISA, the
French 5–10 % rule, the Cour des comptes), per bed, staff, capex/opex, category mix, and
maturity against spend per bed.

A DSI sees its own figures against the other CHUs' median, quartiles and range only
(``dashboard.scoped``), each published over enough other CHUs and, for amounts, without a
dominant CHU; never a peer's bar, point or amount.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, page_roles, present, require_role
from dashboard.context import get_reference
from dashboard.downloads import table_with_downloads
from dashboard.formatting import comparison_display, format_number, format_table
from dashboard.labels import CATEGORY_LABELS, FORMULAS, KPI_LABELS, NATURE_LABELS, NO_DATA
from dashboard.scoped import SECRET, ScopedData
from warehouse.charts import (
    amount_bar_chart,
    capex_opex_chart,
    category_mix_chart,
    maturity_vs_spend_chart,
    peer_position_chart,
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


def _category_mix(scoped: ScopedData, annee: int) -> None:
    viewer = scoped.viewer
    spending = scoped.named_spending(annee)
    if spending.empty:
        st.info(f"Aucune dépense consolidée pour la campagne {annee}.")
        return
    as_share = st.toggle(
        "Afficher en % de la dépense de chaque CHU", key="investissements_mix_part"
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


def _position(
    scoped: ScopedData,
    comparison: pd.DataFrame,
    column: str,
    *,
    key: str,
    decimals: int = 1,
    suffix: str = " %",
) -> None:
    """A DSI's value of one KPI against the other CHUs' distribution, with the published
    reference figures of that KPI."""
    row = comparison[comparison["indicateur"] == column]
    st.plotly_chart(
        peer_position_chart(
            row,
            value_label=KPI_LABELS[column],
            decimals=decimals,
            suffix=suffix,
            references=_references(column) if suffix.strip() == "%" else (),
            title=None,
        ),
        key=key,
    )
    st.caption(FORMULAS[column])
    _cite(column)


def _render_dsi(scoped: ScopedData, years: list[int]) -> None:
    annee = data.select_year(years, key="investissements_annee")
    own = scoped.own_row(annee)
    if own is None or pd.isna(own[["depense_ssi_mad", "part_si_budget_total_pct"]]).all():
        st.info(f"Aucune dépense ni aucun profil consolidés pour votre CHU en {annee}.")
        return
    columns = [c for c in INVESTMENT_COLUMNS if c != "chu"]
    comparison = scoped.comparison(annee, columns, {c: KPI_LABELS.get(c, c) for c in columns})
    st.caption(
        "Votre CHU face aux autres CHU : médiane, quartiles et minimum–maximum, publiés "
        f"seulement quand au moins {scoped.rules.min_peers} autres CHU ont la valeur et, pour "
        f"un montant, quand aucun CHU ne pèse plus de {format_number(scoped.rules.dominance_pct, 0)}"
        f" % du total (sinon « {SECRET} »)."
    )
    tabs = st.tabs(
        [
            "Part du budget informatique",
            "Par lit et effectifs",
            "Investissement / fonctionnement",
            "Catégories",
            "Poids de l'informatique",
        ]
    )
    with tabs[0]:
        _position(scoped, comparison, "part_budget_si_pct", key="investissements_part_si")
    with tabs[1]:
        _position(
            scoped,
            comparison,
            "depense_par_lit_mad",
            key="investissements_par_lit",
            decimals=0,
            suffix=" MAD",
        )
        _position(
            scoped,
            comparison,
            "effectif_ssi_pour_100_si",
            key="investissements_effectifs",
            suffix="",
        )
    with tabs[2]:
        _position(scoped, comparison, "part_capex_pct", key="investissements_capex")
    with tabs[3]:
        shares = scoped.category_shares(annee)
        shares = shares.assign(
            indicateur="part_pct",
            libelle=shares["categorie"].map(lambda c: CATEGORY_LABELS.get(c, c)),
        )
        st.markdown("**Part de chaque catégorie dans la dépense de sécurité**")
        st.plotly_chart(
            peer_position_chart(
                shares, value_label="Part de la dépense SSI (%)", decimals=1, suffix=" %"
            ),
            key="investissements_categories",
        )
        table_with_downloads(
            shares.drop(columns=["indicateur"]),
            f"parts_par_categorie_{annee}",
            key="investissements_parts_categories",
            display=comparison_display(shares, {"part_pct": "pct"}).rename(
                columns={"Indicateur": "Catégorie"}
            ),
        )
        st.markdown("**Dépenses de votre CHU par catégorie et nature**")
        mine = scoped.own_spending(annee)
        mine = mine.assign(
            categorie=mine["categorie"].map(lambda c: CATEGORY_LABELS.get(c, c)),
            nature=mine["nature"].map(lambda n: NATURE_LABELS.get(n, n)),
        )[["categorie", "nature", "montant_mad", "part_pct", "nb_lignes"]]
        table_with_downloads(
            mine,
            f"depenses_par_categorie_{annee}",
            key="investissements_table_categories",
            display=format_table(
                mine, {"montant_mad": "mad", "part_pct": "pct", "nb_lignes": "integer"}
            ).rename(
                columns={
                    "categorie": "Catégorie",
                    "nature": "Nature",
                    "montant_mad": "Montant",
                    "part_pct": "Part de la dépense de votre CHU",
                    "nb_lignes": "Lignes",
                }
            ),
        )
    with tabs[4]:
        _position(scoped, comparison, "part_si_budget_total_pct", key="investissements_part_total")

    st.subheader("Tableau des indicateurs de dépense")
    table_with_downloads(
        comparison.drop(columns=["indicateur"]),
        f"investissements_{annee}",
        key="investissements_tableau",
        display=comparison_display(comparison, INVESTMENT_FORMATS),
    )


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("investissements"))
    st.title("Investissements")
    scoped = data.scoped(viewer)
    years = scoped.years()
    if not years:
        st.info(NO_DATA)
        return
    if not scoped.sees_names:
        _render_dsi(scoped, years)
        return
    everything = scoped.named_benchmark()
    annee = data.select_year(years, key="investissements_annee")
    current = everything[everything["annee"] == annee].copy()
    if current.empty or current[["depense_ssi_mad", "part_si_budget_total_pct"]].isna().all().all():
        st.info(f"Aucune dépense ni aucun profil consolidés pour la campagne {annee}.")
        return
    highlight = None
    shown = present(viewer, current)

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
        _category_mix(scoped, annee)
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
