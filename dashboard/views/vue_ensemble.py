"""Vue d'ensemble (default page).

Alliance and admin: one card per CHU for a campaign, the alliance median, what changed since
the previous campaign, and the maturity index per CHU against the median.
A DSI: its own CHU's card, its rank « n-ième sur N » and its figures against the median,
quartiles and range of the other CHUs (``dashboard.scoped``), never a peer's card or value.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, chu_labels, page_roles, present, require_role
from dashboard.downloads import table_with_downloads
from dashboard.formatting import (
    comparison_display,
    format_delta,
    format_index,
    format_mad,
    format_mad_compact,
    format_pct,
    format_table,
    is_missing,
)
from dashboard.labels import FORMULAS, KPI_LABELS, NO_DATA, STATUS_LABELS, formula_for
from dashboard.scoped import SECRET, ScopedData, rank_text
from warehouse.charts import maturity_bar_chart, peer_position_chart

CARD_COLUMNS = 3
OVERVIEW_COLUMNS = [
    "chu",
    "indice_maturite",
    "rang_maturite",
    "evolution_indice",
    "ecart_mediane_indice",
    "part_mesures_niveau3_pct",
    "depense_ssi_mad",
    "part_budget_si_pct",
    "depense_par_lit_mad",
]
OVERVIEW_FORMATS = {
    "indice_maturite": "index",
    "rang_maturite": "integer",
    "evolution_indice": "index",
    "ecart_mediane_indice": "index",
    "part_mesures_niveau3_pct": "pct",
    "depense_ssi_mad": "mad",
    "part_budget_si_pct": "pct",
    "depense_par_lit_mad": "mad",
}


# The figures a DSI compares with the other CHUs (own value against their statistics).
COMPARED_COLUMNS = [
    "indice_maturite",
    "part_mesures_niveau3_pct",
    "ecart_cible",
    "part_budget_si_pct",
    "depense_par_lit_mad",
    "depense_ssi_mad",
    "effectif_ssi_pour_100_si",
    "part_capex_pct",
    "part_si_budget_total_pct",
]
COMPARISON_FORMATS = OVERVIEW_FORMATS | {
    "ecart_cible": "index",
    "effectif_ssi_pour_100_si": "number",
    "part_capex_pct": "pct",
    "part_si_budget_total_pct": "pct",
}


CHANGE_COLUMN_LABELS = {
    "chu": "CHU",
    "annee": "Année",
    "indice_maturite": "Indice de maturité",
    "rang_maturite": "Rang",
    "campagne_precedente": "Campagne précédente",
    "indice_maturite_precedent": "Indice précédent",
    "rang_maturite_precedent": "Rang précédent",
    "evolution_indice": "Évolution",
}


def _previous_year(years: list[int], annee: int) -> int | None:
    earlier = [y for y in years if y < annee]
    return max(earlier) if earlier else None


def _card(
    viewer: Viewer,
    code: str,
    label: str,
    row: pd.Series | None,
    status: str | None,
    n_chu: int,
) -> None:
    with st.container(border=True):
        st.markdown(f"**{label}**")
        if row is None:
            st.caption("Aucun indicateur calculé pour cette campagne.")
        else:
            delta = format_delta(row["evolution_indice"])
            st.metric(
                "Indice de maturité (0–5)",
                format_index(row["indice_maturite"]),
                delta=delta,
                delta_description="depuis la campagne précédente" if delta else None,
                help=FORMULAS["indice_maturite"],
            )
            # A horizontal container wraps its metrics onto two lines when the card is narrow,
            # instead of truncating the figures.
            with st.container(horizontal=True, gap="medium"):
                st.metric(
                    "Dépense SSI",
                    format_mad_compact(row["depense_ssi_mad"]),
                    help=FORMULAS["depense_ssi_mad"],
                    width="content",
                )
                st.metric(
                    "Part du budget SI",
                    format_pct(row["part_budget_si_pct"]),
                    help=FORMULAS["part_budget_si_pct"],
                    width="content",
                )
            rank = row["rang_maturite"]
            if not is_missing(rank):
                st.caption(f"Rang de maturité : {int(rank)} sur {n_chu}")
        status_text = STATUS_LABELS.get(status, status) if status else "Inconnu"
        st.caption(f"Campagne : {status_text}")


def _changes(
    scoped: ScopedData,
    everything: pd.DataFrame,
    annee: int,
    labels: dict[str, str],
    status_by_chu: dict[str, str],
) -> pd.DataFrame:
    """What changed since each CHU's previous campaign (the last earlier year where it has a
    maturity index: a CHU whose file was rejected one year is compared with the year before),
    as French bullet points (alliance and admin). Returns the table to download."""
    current = everything[(everything["annee"] == annee) & everything["indice_maturite"].notna()]
    earlier = everything[everything["annee"] < annee]
    last = (
        earlier.dropna(subset=["indice_maturite"])
        .sort_values("annee")
        .groupby("chu", as_index=False)
        .tail(1)[["chu", "annee", "indice_maturite", "rang_maturite"]]
        .rename(
            columns={
                "annee": "campagne_precedente",
                "indice_maturite": "indice_maturite_precedent",
                "rang_maturite": "rang_maturite_precedent",
            }
        )
    )
    merged = current[["chu", "annee", "indice_maturite", "rang_maturite"]].merge(
        last, on="chu", how="left"
    )
    merged["evolution_indice"] = (
        merged["indice_maturite"] - merged["indice_maturite_precedent"]
    ).round(2)
    both = merged.dropna(subset=["indice_maturite_precedent"])
    newcomers = merged[~merged["chu"].isin(set(earlier["chu"]))]
    incomplete = [c for c, s in status_by_chu.items() if s != "valide"]
    lines: list[str] = []

    def named(frame: pd.DataFrame) -> str:
        return " ; ".join(
            f"{labels[r.chu]} ({format_delta(r.evolution_indice)})" for r in frame.itertuples()
        )

    ups = both[both["evolution_indice"] > 0].sort_values("evolution_indice", ascending=False)
    downs = both[both["evolution_indice"] < 0].sort_values("evolution_indice")
    if not ups.empty:
        lines.append(f"**Plus fortes progressions** : {named(ups.head(3))}")
    if not downs.empty:
        lines.append(f"**Reculs** : {named(downs.head(3))}")
    moved = both.dropna(subset=["rang_maturite", "rang_maturite_precedent"])
    moved = moved[moved["rang_maturite"] != moved["rang_maturite_precedent"]]
    if not moved.empty:
        lines.append(
            "**Changements de rang** : "
            + " ; ".join(
                f"{labels[r.chu]} {int(r.rang_maturite_precedent)}ᵉ → {int(r.rang_maturite)}ᵉ"
                for r in moved.sort_values("rang_maturite").itertuples()
            )
        )
    if not newcomers.empty:
        lines.append("**Première campagne** : " + ", ".join(labels[c] for c in newcomers["chu"]))
    if incomplete:
        lines.append(
            "**Dossier incomplet ou invalide** : "
            + ", ".join(labels[c] for c in incomplete if c in labels)
        )
    valid, rejected = scoped.received_counts(annee)
    if valid or rejected:
        lines.append(f"**Fichiers reçus pour {annee}** : {valid} valide(s), {rejected} rejeté(s).")
    if lines:
        st.markdown("\n".join(f"- {line}" for line in lines))
    else:
        st.caption("Pas de changement notable depuis la campagne précédente.")
    return merged


def _render_dsi(scoped: ScopedData, years: list[int]) -> None:
    annee = data.select_year(years, key="vue_ensemble_annee")
    own_name = scoped.own_name or ""
    row = scoped.own_row(annee)
    comparison = scoped.comparison(
        annee, COMPARED_COLUMNS, {c: KPI_LABELS.get(c, c) for c in COMPARED_COLUMNS}
    )
    index_stats = comparison.set_index("indicateur").loc["indice_maturite"].to_dict()
    status = scoped.own_status()
    own_status = status.loc[status["annee"] == annee, "status"]

    st.subheader(f"Votre CHU en {annee}")
    with st.container(border=True):
        st.markdown(f"**{own_name}**")
        if row is None:
            st.caption("Aucun indicateur calculé pour votre CHU dans cette campagne.")
        else:
            delta = format_delta(row["evolution_indice"])
            columns = st.columns(4)
            columns[0].metric(
                "Indice de maturité (0–5)",
                format_index(row["indice_maturite"]),
                delta=delta,
                delta_description="depuis la campagne précédente" if delta else None,
                help=FORMULAS["indice_maturite"],
            )
            columns[1].metric(
                "Rang de maturité",
                rank_text(index_stats) if not is_missing(row["indice_maturite"]) else "—",
                help=(
                    "Votre place parmi les CHU de la campagne (1 = indice le plus élevé), "
                    "publiée seulement quand assez d'autres CHU ont répondu."
                ),
            )
            columns[2].metric(
                "Dépense SSI",
                format_mad_compact(row["depense_ssi_mad"]),
                help=FORMULAS["depense_ssi_mad"],
            )
            columns[3].metric(
                "Part du budget SI",
                format_pct(row["part_budget_si_pct"]),
                help=FORMULAS["part_budget_si_pct"],
            )
        status_text = (
            STATUS_LABELS.get(own_status.iloc[0], own_status.iloc[0])
            if len(own_status)
            else "Inconnu"
        )
        st.caption(f"Campagne : {status_text}")

    st.subheader("Votre CHU face aux autres CHU de l'alliance")
    st.caption(
        "Les autres CHU ne sont jamais montrés un par un : seulement leur médiane, leurs "
        "quartiles et leur minimum–maximum, et seulement quand au moins "
        f"{scoped.rules.min_peers} autres CHU ont la valeur (sinon « {SECRET} ») — voir la "
        "page Méthode."
    )
    maturity = comparison[comparison["indicateur"].isin(["indice_maturite"])]
    st.plotly_chart(
        peer_position_chart(
            maturity, value_label="Indice de maturité (0–5)", value_range=(0, 5.2), title=None
        ),
        key="vue_ensemble_position",
    )
    table_with_downloads(
        comparison.drop(columns=["indicateur"]),
        f"comparaison_{annee}",
        key="vue_ensemble_tableau",
        display=comparison_display(comparison, COMPARISON_FORMATS),
    )

    st.subheader("Ce qui a changé depuis la campagne précédente")
    previous_year = _previous_year(years, annee)
    if previous_year is None:
        st.info(f"{annee} est la première campagne consolidée : pas de comparaison possible.")
        return
    own_years = scoped.own_benchmark(None).dropna(subset=["indice_maturite"])
    before = own_years[own_years["annee"] < annee].sort_values("annee").tail(1)
    lines = []
    if row is not None and not before.empty and not is_missing(row["indice_maturite"]):
        previous = before.iloc[0]
        lines.append(
            f"**{own_name}** : indice {format_index(previous['indice_maturite'])} "
            f"en {int(previous['annee'])} → {format_index(row['indice_maturite'])} "
            f"({format_delta(row['evolution_indice']) or '—'})"
        )
    changes = scoped.peer_changes(annee, previous_year)
    if changes is None:
        lines.append(
            f"Autres CHU entre {previous_year} et {annee} : {SECRET} (moins de "
            f"{scoped.rules.min_peers} autres CHU ont répondu aux deux campagnes)."
        )
    else:
        lines.append(
            f"Parmi les autres CHU entre {previous_year} et {annee} : "
            f"{changes['progression']} en progression, {changes['recul']} en recul."
        )
    valid, rejected = scoped.received_counts(annee)
    lines.append(
        f"**Fichiers de votre CHU pour {annee}** : {valid} valide(s), {rejected} rejeté(s)."
    )
    st.markdown("\n".join(f"- {line}" for line in lines))


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("vue_ensemble"))
    st.title("Vue d'ensemble")
    scoped = data.scoped(viewer)
    years = scoped.years()
    if not years:
        st.info(NO_DATA)
        return
    if not scoped.sees_names:
        _render_dsi(scoped, years)
        return
    everything = scoped.named_benchmark()
    annee = data.select_year(years, key="vue_ensemble_annee")
    current = everything[everything["annee"] == annee].copy()
    if current.empty:
        st.info(f"Aucune donnée consolidée pour la campagne {annee}.")
        return

    status = scoped.named_overall_status(annee)
    status_by_chu = dict(zip(status["chu"], status["status"], strict=True)) if len(status) else {}
    codes = list(dict.fromkeys([*current["chu"].astype(str), *status_by_chu]))
    labels = chu_labels(viewer, codes, annee)
    n_chu = int(current["indice_maturite"].notna().sum())

    # Cards by rank, then by name.
    rows = {str(r["chu"]): r for _, r in current.iterrows()}
    order = sorted(
        codes,
        key=lambda c: (
            rows[c]["rang_maturite"]
            if c in rows and not is_missing(rows[c]["rang_maturite"])
            else 99,
            labels[c],
        ),
    )
    st.subheader(f"Les CHU en {annee}")
    for start in range(0, len(order), CARD_COLUMNS):
        columns = st.columns(CARD_COLUMNS)
        for column, code in zip(columns, order[start : start + CARD_COLUMNS], strict=False):
            with column:
                _card(viewer, code, labels[code], rows.get(code), status_by_chu.get(code), n_chu)

    median = data.median_of(current, "indice_maturite")
    previous_year = _previous_year(years, annee)
    previous = everything[everything["annee"] == previous_year] if previous_year else None
    previous_median = data.median_of(previous, "indice_maturite") if previous is not None else None
    st.subheader("Médiane de l'alliance")
    columns = st.columns(3)
    columns[0].metric(
        "Indice de maturité",
        format_index(median),
        delta=format_delta(median - previous_median)
        if median is not None and previous_median is not None
        else None,
        help=FORMULAS["mediane_alliance"],
    )
    columns[1].metric(
        "Part du budget informatique", format_pct(data.median_of(current, "part_budget_si_pct"))
    )
    columns[2].metric(
        "Dépense de sécurité par lit", format_mad(data.median_of(current, "depense_par_lit_mad"))
    )

    st.subheader("Ce qui a changé depuis la campagne précédente")
    if previous is None or previous.empty:
        st.info(f"{annee} est la première campagne consolidée : pas de comparaison possible.")
    else:
        changes = _changes(scoped, everything, annee, labels, status_by_chu)
        if not changes.empty:
            shown = data.order_rows(present(viewer, changes), "rang_maturite")
            with st.expander("Détail des évolutions"):
                table_with_downloads(
                    shown,
                    f"evolutions_{annee}",
                    key="vue_ensemble_evolutions",
                    display=format_table(
                        shown,
                        {
                            "indice_maturite": "index",
                            "indice_maturite_precedent": "index",
                            "evolution_indice": "index",
                            "rang_maturite": "integer",
                            "rang_maturite_precedent": "integer",
                            "campagne_precedente": "plain",
                        },
                    ).rename(columns=CHANGE_COLUMN_LABELS),
                )

    st.subheader("Indice de maturité par CHU")
    shown = present(viewer, current)
    fig = maturity_bar_chart(shown, median=median, title=None)
    st.plotly_chart(fig, key="vue_ensemble_barres")
    st.caption(FORMULAS["indice_maturite"])

    st.subheader("Tableau de la campagne")
    table = data.order_rows(
        shown[[c for c in OVERVIEW_COLUMNS if c in shown.columns]], "rang_maturite"
    )
    table_with_downloads(
        table,
        f"benchmark_{annee}",
        key="vue_ensemble_tableau",
        display=format_table(table, OVERVIEW_FORMATS).rename(columns=KPI_LABELS),
        column_config={
            KPI_LABELS[c]: st.column_config.TextColumn(help=formula_for(c))
            for c in table.columns
            if formula_for(c)
        },
    )
