"""Campagne et qualité: who has sent what, which files were accepted, and why the others were
refused (DESIGN §4, §8). A DSI sees its own submissions in full and the other CHUs only as
counts per status (no row, no label, no file name, sender or date)."""

from __future__ import annotations

import contextlib
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data
from dashboard.access import Viewer, chu_labels, page_roles, present, require_role
from dashboard.context import get_reference
from dashboard.downloads import table_with_downloads
from dashboard.formatting import markdown_text
from dashboard.report_view import show_report
from dashboard.scoped import ScopedData
from warehouse.charts import plain

STATUS_ORDER = ("manquant", "invalide", "recu", "valide")
STATUS_COLOURS = {
    "manquant": "#d5d8dc",  # grey: nothing yet
    "invalide": "#e74c3c",  # red: only refused files
    "recu": "#f5b041",  # amber: some kinds valid, others missing
    "valide": "#27ae60",  # green: every kind valid
}
CHANNEL_LABELS = {
    "cli": "Ligne de commande",
    "depot": "Page Dépôt",
    "capteur": "Dossier surveillé",
    "run": "Traitement chu-bench run",
}
DISPLAY_TZ = "Africa/Casablanca"


def _status_label(status: str) -> str:
    from expectations.labels import STATUS_LABELS

    return STATUS_LABELS.get(status, status)


def _local_time(series: pd.Series) -> pd.Series:
    moments = pd.to_datetime(series, utc=True)
    # No tz database: UTC is still right, just less friendly.
    with contextlib.suppress(Exception):
        moments = moments.dt.tz_convert(DISPLAY_TZ)
    return moments.dt.strftime("%d/%m/%Y %H:%M").fillna("—")


def status_figure(
    viewer: Viewer, overall: pd.DataFrame, years: list[int] | None = None
) -> go.Figure | None:
    """CHU × year heatmap of the overall status (``overall``: what the viewer may see, i.e.
    its own row for a DSI), in registry order."""
    if overall.empty:
        return None
    reference = get_reference()
    years = years or sorted(int(y) for y in overall["annee"].unique())
    shown = present(viewer, overall[["chu", "annee", "status"]])
    codes = [c for c in reference.chu_codes if c in set(overall["chu"])]
    registry_labels = chu_labels(viewer, codes)
    ordered = [registry_labels[c] for c in codes]
    ordered += sorted(set(shown["chu"]) - set(ordered))
    grid = shown.pivot_table(index="chu", columns="annee", values="status", aggfunc="first")
    grid = grid.reindex(index=ordered, columns=years)
    codes = {status: index for index, status in enumerate(STATUS_ORDER)}
    z = [[codes.get(v, 0) if isinstance(v, str) else None for v in row] for row in grid.values]
    text = [[_status_label(v) if isinstance(v, str) else "" for v in row] for row in grid.values]
    n = len(STATUS_ORDER)
    colorscale = []
    for index, status in enumerate(STATUS_ORDER):
        colorscale += [
            [index / n, STATUS_COLOURS[status]],
            [(index + 1) / n, STATUS_COLOURS[status]],
        ]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(y) for y in years],
            y=[plain(label) for label in grid.index],
            text=text,
            texttemplate="%{text}",
            hovertemplate="%{y} — %{x} : %{text}<extra></extra>",
            colorscale=colorscale,
            zmin=-0.5,
            zmax=n - 0.5,
            showscale=False,
            xgap=3,
            ygap=3,
        )
    )
    figure.update_layout(
        height=90 + 48 * len(grid.index),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis={"autorange": "reversed", "title": None},
        xaxis={"title": None, "side": "top", "type": "category"},
    )
    return figure


def peer_counts(scoped: ScopedData) -> pd.DataFrame:
    """For a DSI: how many other CHUs are in each status, per year (no label, no row)."""
    counts = scoped.peer_status_counts()
    if counts.empty:
        return pd.DataFrame()
    table = counts.pivot_table(index="annee", columns="status", values="nb_chu", fill_value=0)
    table = table.reindex(columns=list(reversed(STATUS_ORDER)), fill_value=0).astype(int)
    table.columns = [_status_label(s) for s in table.columns]
    table.index.name = "Année"
    return table.reset_index()


def _detail_by_kind(scoped: ScopedData, annee: int) -> pd.DataFrame:
    from expectations.labels import KIND_LABELS

    viewer = scoped.viewer
    status = scoped.kind_status(annee)
    if status.empty:
        return pd.DataFrame()
    shown = present(viewer, status[["chu", "annee", "kind", "status"]])
    shown["status"] = shown["status"].map(_status_label)
    shown["kind"] = shown["kind"].map(lambda k: KIND_LABELS.get(k, k))
    table = shown.pivot_table(index="chu", columns="kind", values="status", aggfunc="first")
    codes = [c for c in get_reference().chu_codes if c in set(status["chu"])]
    registry = chu_labels(viewer, codes)
    order = [registry[c] for c in codes if registry[c] in table.index]
    order += sorted(set(table.index) - set(order))
    table = table.reindex(order)
    table.index.name = "CHU"
    table.columns.name = None
    return table.reset_index()


def _peer_kinds(scoped: ScopedData, annee: int) -> pd.DataFrame:
    """For a DSI: per file kind, how many other CHUs are in each status."""
    from expectations.labels import KIND_LABELS

    counts = scoped.peer_kind_counts(annee)
    if counts.empty:
        return pd.DataFrame()
    table = counts.pivot_table(index="kind", columns="status", values="nb_chu", fill_value=0)
    table = table.astype(int)
    table.columns = [_status_label(s) for s in table.columns]
    table.index = [KIND_LABELS.get(k, k) for k in table.index]
    table.index.name = "Type de fichier"
    return table.reset_index()


def _submissions_table(scoped: ScopedData, subs: pd.DataFrame) -> pd.DataFrame:
    from expectations.labels import KIND_LABELS

    viewer = scoped.viewer

    def chu_name(code: Any) -> str:
        if code is None or pd.isna(code):
            return "non reconnu"
        if not viewer.sees_all_names and code != viewer.chu:
            # A DSI's own file about another CHU (refused): never that CHU's name.
            return "autre CHU"
        return scoped.name(code)

    scrub = scoped.scrub
    table = pd.DataFrame(
        {
            "N°": subs["id"].astype("Int64"),
            "Reçu le": _local_time(subs["received_at"]),
            "CHU": [chu_name(c) for c in subs["chu"]],
            "Année": subs["annee"].astype("Int64"),
            "Type": [
                KIND_LABELS.get(k, "non reconnu") if isinstance(k, str) else "non reconnu"
                for k in subs["kind"]
            ],
            "Fichier": [scrub(str(f)) for f in subs["filename"]],
            "Expéditeur": subs["sender"],
            "Canal": [CHANNEL_LABELS.get(c, c) for c in subs["channel"]],
            "Statut": [_status_label(s) for s in subs["status"]],
            "Erreurs": subs["n_errors"].astype("Int64"),
            "Avertissements": subs["n_warnings"].astype("Int64"),
        }
    )
    return table.iloc[::-1].reset_index(drop=True)  # most recent first


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("campagne"))
    from expectations.labels import STATUS_LABELS

    st.title("Campagne et qualité des données")
    scoped = data.scoped(viewer)

    st.subheader("Avancement de la campagne")
    legend = " · ".join(
        f":{colour}-background[{STATUS_LABELS.get(s, s)}]"
        for s, colour in zip(STATUS_ORDER, ("gray", "red", "orange", "green"), strict=True)
    )
    st.markdown(
        f"{legend}  \nValide : les trois fichiers (maturité, dépenses, profil) acceptés ; "
        "Reçu : une partie seulement ; Invalide : un fichier refusé sans version valide ; "
        "Manquant : rien reçu. Case vide : l'établissement ne participait pas encore."
    )
    if scoped.sees_names:
        overall = scoped.named_overall_status()
        years = sorted(int(y) for y in overall["annee"].unique()) if not overall.empty else []
        figure = status_figure(viewer, overall)
    else:
        overall = scoped.own_status()
        counts = scoped.peer_status_counts()
        years = sorted({*overall["annee"].astype(int), *counts["annee"].astype(int)})
        figure = status_figure(viewer, overall, years)
    if figure is None:
        st.info(
            "Aucune campagne à afficher : l'entrepôt est vide."
            if not years
            else "Aucun fichier de votre CHU n'a encore été reçu."
        )
    else:
        st.plotly_chart(figure, config={"displayModeBar": False}, key="statut-campagne")
    if not scoped.sees_names and years:
        st.markdown("**Les autres CHU de l'alliance** (nombre d'établissements par statut)")
        table_with_downloads(peer_counts(scoped), "statut_autres_chu", key="pairs")
        st.caption(
            "Les autres CHU ne sont désignés ni par leur nom ni par une lettre : seul le nombre "
            "d'établissements dans chaque statut est indiqué."
        )

    if years:
        annee = st.selectbox(
            "Détail par type de fichier — année", years, index=len(years) - 1, key="campagne_annee"
        )
        table_with_downloads(
            _detail_by_kind(scoped, int(annee)), f"statut_par_type_{annee}", key="detail-types"
        )
        if not scoped.sees_names:
            st.markdown("**Les autres CHU, par type de fichier** (nombre d'établissements)")
            table_with_downloads(
                _peer_kinds(scoped, int(annee)), f"statut_autres_chu_{annee}", key="pairs-types"
            )

    st.subheader("Fichiers reçus" if viewer.sees_all_names else "Fichiers de votre CHU")
    subs = scoped.submissions()
    if subs.empty:
        st.info("Aucun fichier reçu pour l'instant.")
        return
    table = _submissions_table(scoped, subs)
    table_with_downloads(table, "fichiers_recus", key="soumissions")

    st.subheader("Rapport de validation d'un fichier")
    options = table["N°"].astype(int).tolist()
    labels = dict(zip(options, table["Fichier"], strict=True))
    statuses = dict(zip(options, table["Statut"], strict=True))
    chosen = st.selectbox(
        "Fichier",
        options,
        format_func=lambda i: f"n° {i} — {labels[i]} ({statuses[i]})",
        key="campagne_soumission",
    )
    # The id comes from the browser: ScopedData checks again that this viewer may read it.
    submission = None if chosen is None else scoped.submission(int(chosen))
    if submission is None:
        st.error("Ce fichier n'est pas accessible avec votre profil.")
        return
    code = submission.get("chu")
    chu_label = (
        scoped.name(code)
        if code and (viewer.sees_all_names or code == viewer.chu)
        else ("autre CHU" if code else None)
    )
    channel = CHANNEL_LABELS.get(submission["channel"], submission["channel"])
    st.caption(
        f"Reçu par {markdown_text(channel)}, expéditeur {markdown_text(submission['sender'])}, "
        f"statut « {_status_label(submission['status'])} »."
    )
    show_report(
        submission["report"], scrub=scoped.scrub, chu_label=chu_label, key="campagne-rapport"
    )
