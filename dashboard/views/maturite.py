"""Maturité: radar per NIST CSF function against the alliance median, heatmap CHU × DNSSI
chapter, trend over campaigns, and the measure-level view with the gap to target.

A DSI sees its own CHU against the other CHUs' median, quartiles and range only
(``dashboard.scoped``): its scores with the peers' median on the radar, its chapter scores
against the peers' quartiles, its own line over the campaigns against the peers' median and
range, and its own answers with the peers' median and quartiles per measure — each
aggregate published only over enough other CHUs (« secret statistique » otherwise). A
mean per measure over two CHUs would give the peer's 104 levels back.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, chu_labels, page_roles, present, require_role
from dashboard.context import get_reference
from dashboard.downloads import table_with_downloads
from dashboard.formatting import comparison_display, format_index, format_table
from dashboard.labels import (
    FORMULAS,
    KPI_LABELS,
    LEVEL_LABELS,
    MEASURE_COLUMN_LABELS,
    NO_DATA,
    NOT_APPLICABLE_LABEL,
)
from dashboard.scoped import SECRET, STAT_LABELS, ScopedData
from expectations.reference import CSF_FUNCTIONS
from warehouse.charts import (
    PEER_MEDIAN_LABEL,
    PEER_RANGE_LABEL,
    chapter_heatmap,
    csf_radar_chart,
    peer_position_chart,
    trend_chart,
)

SCORE_COLUMNS = [f"score_{f}" for f in CSF_FUNCTIONS]
# The other CHUs' statistics per measure that a DSI gets next to its own answers.
PEER_MEASURE_COLUMNS = ["nb_autres_chu", "mediane_autres", "q1_autres", "q3_autres", "diffusion"]


def _radar(viewer: Viewer, current: pd.DataFrame, labels: dict[str, str]) -> None:
    reference = get_reference()
    names = reference.csf_function_names()
    shown = data.order_rows(present(viewer, current))
    options = shown["chu"].astype(str).tolist()
    default = options[:3]
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
    lines = present(viewer, values[["chu", "annee", "indice_maturite"]])
    if values["annee"].nunique() < 2:
        st.info("Une seule campagne consolidée : l'évolution apparaîtra avec la suivante.")
    st.plotly_chart(trend_chart(lines, median=median, title=None), key="maturite_trend")
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


def _measures_frame(annee: int, levels: pd.DataFrame, stats: pd.DataFrame | None) -> pd.DataFrame:
    """The referential's measures with one CHU's answers, and either the alliance's mean per
    measure (``stats``, alliance and admin) or the other CHUs' statistics already in
    ``levels`` (a DSI: ``ScopedData.measures``)."""
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
    peer_columns = [c for c in PEER_MEASURE_COLUMNS if c in levels.columns]
    if stats is not None:
        frame = frame.merge(
            stats[["mesure_id", "niveau_moyen"]].rename(
                columns={"niveau_moyen": "niveau_moyen_alliance"}
            ),
            on="mesure_id",
            how="left",
        )
    elif peer_columns:
        frame = frame.merge(levels[["mesure_id", *peer_columns]], on="mesure_id", how="left")
    frame["libelle_niveau"] = [
        NOT_APPLICABLE_LABEL if pd.isna(n) else LEVEL_LABELS.get(int(n), str(n))
        for n in frame["niveau"]
    ]
    frame["chu"] = frame["chu"].ffill().bfill()
    frame["annee"] = annee
    return frame


def _measure_view(
    scoped: ScopedData, current: pd.DataFrame, annee: int, labels: dict[str, str]
) -> None:
    viewer = scoped.viewer
    if scoped.sees_names:
        codes = current["chu"].astype(str).tolist()
        by_label = {labels[c]: c for c in sorted(codes, key=labels.__getitem__)}
        chosen_label = st.selectbox("CHU", options=list(by_label), key="maturite_mesures_chu")
        code = by_label[chosen_label]
        levels = scoped.named_measure_levels(annee, code)
        stats = scoped.named_measure_statistics(annee)
    else:
        st.caption(
            "Le détail mesure par mesure n'est ouvert que pour votre CHU, face à la médiane et "
            "aux quartiles des niveaux des autres CHU (publiés seulement quand au moins "
            f"{scoped.rules.min_peers} autres CHU ont évalué la mesure)."
        )
        levels = scoped.measures(annee)
        stats = None
    if levels.empty:
        st.info(f"Pas d'auto-évaluation de maturité consolidée pour ce CHU en {annee}.")
        return
    frame = _measures_frame(annee, levels, stats)

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
    peer_columns = (
        ["niveau_moyen_alliance"]
        if scoped.sees_names
        else [c for c in PEER_MEASURE_COLUMNS if c in shown.columns]
    )
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
        *peer_columns,
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
            "nb_autres_chu": "integer",
            "mediane_autres": "number",
            "q1_autres": "number",
            "q3_autres": "number",
        },
    )
    if "diffusion" in shown.columns:
        secret = shown["diffusion"].eq(SECRET).to_numpy()
        for column in ("mediane_autres", "q1_autres", "q3_autres"):
            display.loc[secret, column] = SECRET
        display = display.drop(columns=["diffusion"])
    table_with_downloads(
        table,
        f"mesures_{annee}",
        key="maturite_mesures",
        display=display.rename(columns=MEASURE_COLUMN_LABELS | STAT_LABELS),
    )
    st.caption(FORMULAS["ecart_cible"])


def _render_dsi(scoped: ScopedData, years: list[int]) -> None:
    annee = data.select_year(years, key="maturite_annee")
    own = scoped.own_row(annee)
    if own is None or pd.isna(own["indice_maturite"]):
        st.info(f"Pas d'auto-évaluation de maturité consolidée pour votre CHU en {annee}.")
        return
    reference = get_reference()
    own_name = scoped.own_name or ""
    st.caption(
        "Votre CHU face aux autres CHU de l'alliance : leur médiane, leurs quartiles et leur "
        f"minimum–maximum, publiés seulement quand au moins {scoped.rules.min_peers} autres "
        f"CHU ont la valeur (sinon « {SECRET} »). Aucun autre CHU n'est montré seul."
    )

    st.subheader("Fonctions NIST CSF 2.0")
    names = reference.csf_function_names()
    scores = scoped.comparison(
        annee, SCORE_COLUMNS, {f"score_{f}": f"{names.get(f, f)} ({f})" for f in CSF_FUNCTIONS}
    )
    by_function = scores.set_index("indicateur")
    medians = {
        f: None
        if by_function.at[f"score_{f}", "diffusion"] == SECRET
        else by_function.at[f"score_{f}", "mediane_autres"]
        for f in CSF_FUNCTIONS
    }
    own_scores = pd.DataFrame([{"chu": own_name, **{c: own[c] for c in SCORE_COLUMNS}}])
    st.plotly_chart(
        csf_radar_chart(
            own_scores, names, median_scores=medians, title=None, median_label=PEER_MEDIAN_LABEL
        ),
        key="maturite_radar",
    )
    st.caption(FORMULAS["score_fonction"])
    formats = dict.fromkeys(SCORE_COLUMNS, "index")
    table_with_downloads(
        scores.drop(columns=["indicateur"]),
        f"scores_fonctions_csf_{annee}",
        key="maturite_scores_csf",
        display=comparison_display(scores, formats),
    )

    st.subheader("Chapitres de la DNSSI")
    titles = reference.chapter_titles(annee)
    chapter_columns = [f"score_chapitre_{c}" for c in sorted(titles)]
    chapters = scoped.comparison(
        annee,
        chapter_columns,
        {f"score_chapitre_{c}": f"Ch. {c} — {titles[c].capitalize()}" for c in titles},
    )
    st.plotly_chart(
        peer_position_chart(
            chapters, value_label="Niveau moyen (0–5)", value_range=(0, 5.2), title=None
        ),
        key="maturite_chapitres",
    )
    st.caption(FORMULAS["score_chapitre"])
    table_with_downloads(
        chapters.drop(columns=["indicateur"]),
        f"scores_chapitres_{annee}",
        key="maturite_scores_chapitres",
        display=comparison_display(chapters, dict.fromkeys(chapter_columns, "index")),
    )

    st.subheader("Évolution sur les campagnes")
    trend = scoped.trend("indice_maturite")
    own_line = trend.dropna(subset=["valeur_chu"]).assign(chu=own_name)
    published = trend[trend["diffusion"] != SECRET]
    median = published[["annee", "mediane_autres"]].rename(columns={"mediane_autres": "value"})
    band = published[["annee", "min_autres", "max_autres"]].rename(
        columns={"min_autres": "min", "max_autres": "max"}
    )
    if len(trend) < 2:
        st.info("Une seule campagne consolidée : l'évolution apparaîtra avec la suivante.")
    st.plotly_chart(
        trend_chart(
            own_line,
            value_column="valeur_chu",
            median=median,
            band=band,
            title=None,
            median_label=PEER_MEDIAN_LABEL,
            band_label=PEER_RANGE_LABEL,
        ),
        key="maturite_trend",
    )
    secret_years = trend.loc[trend["diffusion"] == SECRET, "annee"].astype(int).tolist()
    if secret_years:
        st.caption(
            f"Autres CHU en {', '.join(map(str, secret_years))} : {SECRET} (moins de "
            f"{scoped.rules.min_peers} autres CHU)."
        )
    table_with_downloads(
        trend,
        "evolution_indice_maturite",
        key="maturite_evolution",
        display=comparison_display(
            trend.assign(indicateur="indice_maturite", libelle=trend["annee"].astype(str)),
            {"indice_maturite": "index"},
        ).rename(columns={"Indicateur": "Campagne"}),
    )

    st.subheader("Détail par mesure")
    _measure_view(scoped, pd.DataFrame(), annee, {})


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("maturite"))
    st.title("Maturité")
    scoped = data.scoped(viewer)
    years = scoped.years()
    if not years:
        st.info(NO_DATA)
        return
    if not scoped.sees_names:
        _render_dsi(scoped, years)
        return
    everything = scoped.named_benchmark()
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
    _measure_view(scoped, current, annee, labels)
