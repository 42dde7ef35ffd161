"""Maturité: radar per NIST CSF function against the alliance median, heatmap CHU × DNSSI
chapter, trend over campaigns, and the measure-level view with the gap to target.

A DSI gets the measure-level view of its own CHU only (with the alliance's mean per
measure): 104 answers and their free-text comments are a fingerprint of an establishment
(a comment naming a project, a supplier or a building identifies it better than any code),
so peers' answers are shown only in aggregates.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, chu_labels, page_roles, present, require_role
from dashboard.context import get_reference
from dashboard.downloads import table_with_downloads
from dashboard.formatting import format_index, format_table
from dashboard.labels import (
    FORMULAS,
    KPI_LABELS,
    LEVEL_LABELS,
    MEASURE_COLUMN_LABELS,
    NO_DATA,
    NOT_APPLICABLE_LABEL,
)
from expectations.reference import CSF_FUNCTIONS
from warehouse.charts import chapter_heatmap, csf_radar_chart, trend_chart

SCORE_COLUMNS = [f"score_{f}" for f in CSF_FUNCTIONS]


def _radar(viewer: Viewer, current: pd.DataFrame, labels: dict[str, str]) -> None:
    reference = get_reference()
    names = reference.csf_function_names()
    shown = data.order_rows(present(viewer, current))
    options = shown["chu"].astype(str).tolist()
    own = data.own_label(viewer, labels)
    default = [own] if own in options else options[:3]
    chosen = st.multiselect(
        "CHU à comparer", options=options, default=default, key="maturite_radar_chu"
    )
    medians = {f: data.median_of(current, f"score_{f}") for f in CSF_FUNCTIONS}
    fig = csf_radar_chart(
        shown[shown["chu"].isin(chosen)], names, median_scores=medians, title=None
    )
    st.plotly_chart(fig, key="maturite_radar")
    st.caption(FORMULAS["score_fonction"])
    table = shown[["chu", *SCORE_COLUMNS]]
    table_with_downloads(
        table,
        "scores_fonctions_csf",
        key="maturite_scores_csf",
        display=format_table(table, dict.fromkeys(SCORE_COLUMNS, "index")).rename(
            columns=KPI_LABELS
        ),
    )


def _heatmap(viewer: Viewer, current: pd.DataFrame, annee: int) -> None:
    titles = get_reference().chapter_titles(annee)
    shown = data.order_rows(present(viewer, current), "rang_maturite")
    st.plotly_chart(chapter_heatmap(shown, titles, title=None), key="maturite_heatmap")
    st.caption(FORMULAS["score_chapitre"])
    columns = [f"score_chapitre_{c}" for c in sorted(titles)]
    table = shown[["chu", *[c for c in columns if c in shown.columns]]]
    table_with_downloads(
        table,
        f"scores_chapitres_{annee}",
        key="maturite_scores_chapitres",
        display=format_table(table, dict.fromkeys(columns, "index")).rename(columns=KPI_LABELS),
    )


def _trend(viewer: Viewer, everything: pd.DataFrame) -> None:
    values = everything.dropna(subset=["indice_maturite"])
    by_year = values.groupby("annee")["indice_maturite"]
    median = by_year.median().rename("value").reset_index()
    if viewer.sees_all_names:
        lines = present(viewer, values[["chu", "annee", "indice_maturite"]])
        band = None
    else:
        # Peers' letters change every year: one line per peer would follow them across
        # campaigns. A DSI sees its own line against the alliance median and range.
        lines = present(
            viewer, values.loc[values["chu"] == viewer.chu, ["chu", "annee", "indice_maturite"]]
        )
        band = pd.DataFrame(
            {"annee": by_year.min().index, "min": by_year.min().values, "max": by_year.max().values}
        )
        st.caption(
            "Votre CHU face à la médiane et à l'étendue (minimum–maximum) de l'alliance : "
            "les autres CHU ne sont pas suivis d'une campagne à l'autre."
        )
    if values["annee"].nunique() < 2:
        st.info("Une seule campagne consolidée : l'évolution apparaîtra avec la suivante.")
    st.plotly_chart(trend_chart(lines, median=median, band=band, title=None), key="maturite_trend")
    table = lines.pivot_table(index="chu", columns="annee", values="indice_maturite")
    table.columns = [str(c) for c in table.columns]
    table = table.reset_index()
    table_with_downloads(
        table,
        "evolution_indice_maturite",
        key="maturite_evolution",
        display=format_table(table, {c: "index" for c in table.columns if c != "chu"}).rename(
            columns={"chu": "CHU"}
        ),
    )


def _measures_frame(annee: int, levels: pd.DataFrame, stats: pd.DataFrame) -> pd.DataFrame:
    reference = get_reference()
    names = reference.csf_function_names()
    measures = pd.DataFrame(
        [
            {
                "mesure_id": m.mesure_id,
                "titre": m.titre,
                "chapitre": m.chapitre,
                "chapitre_titre": m.chapitre_titre.capitalize(),
                "fonction": f"{names.get(m.fonction_csf, m.fonction_csf)} ({m.fonction_csf})",
            }
            for m in reference.measures_for_year(annee)
        ]
    )
    frame = measures.merge(
        levels[["chu", "annee", "mesure_id", "niveau", "cible", "ecart_cible", "commentaire"]],
        on="mesure_id",
        how="left",
    )
    frame = frame.merge(
        stats[["mesure_id", "niveau_moyen"]].rename(
            columns={"niveau_moyen": "niveau_moyen_alliance"}
        ),
        on="mesure_id",
        how="left",
    )
    frame["libelle_niveau"] = [
        NOT_APPLICABLE_LABEL if pd.isna(n) else LEVEL_LABELS.get(int(n), str(n))
        for n in frame["niveau"]
    ]
    frame["chu"] = frame["chu"].ffill().bfill()
    frame["annee"] = annee
    return frame


def _measure_view(
    viewer: Viewer, current: pd.DataFrame, annee: int, labels: dict[str, str]
) -> None:
    if viewer.sees_all_names:
        codes = current["chu"].astype(str).tolist()
        by_label = {labels[c]: c for c in sorted(codes, key=labels.__getitem__)}
        chosen_label = st.selectbox("CHU", options=list(by_label), key="maturite_mesures_chu")
        code = by_label[chosen_label]
    else:
        code = viewer.chu
        st.caption(
            "Le détail mesure par mesure n'est ouvert que pour votre CHU : les réponses et "
            "commentaires des autres CHU ne sont visibles qu'agrégés (niveau moyen de "
            "l'alliance)."
        )
    levels = data.measure_levels(annee, code)
    if levels.empty:
        st.info(f"Pas d'auto-évaluation de maturité consolidée pour ce CHU en {annee}.")
        return
    frame = _measures_frame(annee, levels, data.measure_statistics(annee))

    titles = get_reference().chapter_titles(annee)
    left, middle, right = st.columns(3)
    chapters = left.multiselect(
        "Chapitres",
        options=sorted(titles),
        format_func=lambda c: f"{c}. {titles[c].capitalize()}",
        key="maturite_mesures_chapitres",
        placeholder="Tous les chapitres",
    )
    functions = middle.multiselect(
        "Fonctions NIST CSF",
        options=sorted(frame["fonction"].unique()),
        key="maturite_mesures_fonctions",
        placeholder="Toutes les fonctions",
    )
    below_target = right.toggle(
        "Seulement les mesures sous leur cible", key="maturite_mesures_sous_cible"
    )
    if chapters:
        frame = frame[frame["chapitre"].isin(chapters)]
    if functions:
        frame = frame[frame["fonction"].isin(functions)]
    if below_target:
        frame = frame[frame["ecart_cible"].fillna(0) > 0]

    assessed = frame["niveau"].dropna()
    st.markdown(
        f"**{len(frame)}** mesure(s) affichée(s) — niveau moyen "
        f"**{format_index(assessed.mean() if len(assessed) else None)}**, "
        f"{int(frame['niveau'].isna().sum())} non applicable(s), "
        f"{int((frame['ecart_cible'].fillna(0) > 0).sum())} sous la cible."
    )
    shown = present(viewer, frame)
    columns = [
        "mesure_id",
        "titre",
        "chapitre",
        "chapitre_titre",
        "fonction",
        "niveau",
        "libelle_niveau",
        "cible",
        "ecart_cible",
        "niveau_moyen_alliance",
        "commentaire",
    ]
    table = shown[["chu", "annee", *columns]]
    display = format_table(
        shown[columns],
        {
            "niveau": "integer",
            "cible": "integer",
            "ecart_cible": "integer",
            "niveau_moyen_alliance": "index",
        },
    )
    table_with_downloads(
        table,
        f"mesures_{annee}",
        key="maturite_mesures",
        display=display.rename(columns=MEASURE_COLUMN_LABELS),
    )
    st.caption(FORMULAS["ecart_cible"])


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("maturite"))
    st.title("Maturité")
    everything = data.benchmark()
    years = data.years_of(everything)
    if not years:
        st.info(NO_DATA)
        return
    annee = data.select_year(years, key="maturite_annee")
    current = everything[
        (everything["annee"] == annee) & everything["indice_maturite"].notna()
    ].copy()
    if current.empty:
        st.info(f"Aucune auto-évaluation de maturité consolidée pour la campagne {annee}.")
        return
    labels = chu_labels(viewer, current["chu"].astype(str).tolist(), annee)

    st.subheader("Fonctions NIST CSF 2.0")
    _radar(viewer, current, labels)
    st.subheader("Chapitres de la DNSSI")
    _heatmap(viewer, current, annee)
    st.subheader("Évolution sur les campagnes")
    _trend(viewer, everything)
    st.subheader("Détail par mesure")
    _measure_view(viewer, current, annee, labels)
