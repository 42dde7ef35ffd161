"""Campagne et qualité: who has sent what, which files were accepted, and why the others were
refused (DESIGN §4, §8). A DSI sees its own submissions in full and its peers only as an
anonymised status (letters of the year, no file names, no senders, no dates)."""

from __future__ import annotations

import contextlib
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.access import Viewer, anonymize_text, chu_labels, page_roles, present, require_role
from dashboard.context import get_engine, get_reference
from dashboard.downloads import table_with_downloads
from dashboard.report_view import show_report

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


def _row_order(viewer: Viewer, labels: list[str], own_label: str | None) -> list[str]:
    """Own CHU first for a DSI, then the others in label order (registry order otherwise)."""
    if viewer.sees_all_names:
        return labels
    rest = sorted(label for label in labels if label != own_label)
    return ([own_label] if own_label in labels else []) + rest


def status_figure(viewer: Viewer, overall: pd.DataFrame) -> go.Figure | None:
    """CHU × year heatmap of the overall status; a DSI's peers are letters of each year
    (a row « CHU A » is not the same CHU from one year to the next)."""
    if overall.empty:
        return None
    reference = get_reference()
    years = sorted(int(y) for y in overall["annee"].unique())
    if not viewer.sees_all_names:
        # Peers' letters are drawn again each year: a row across years would mix different
        # establishments. A DSI sees its own row here and the peers as counts (peer_counts).
        overall = overall[overall["chu"] == viewer.chu]
        if overall.empty:
            return None
    shown = present(viewer, overall[["chu", "annee", "status"]])
    registry_labels = chu_labels(viewer, reference.chu_codes, None)
    own_label = registry_labels.get(viewer.chu) if viewer.chu else None
    if viewer.sees_all_names:
        ordered = [registry_labels[c] for c in reference.chu_codes]
        ordered += sorted(set(shown["chu"]) - set(ordered))
        ordered = [label for label in ordered if label in set(shown["chu"])]
    else:
        ordered = _row_order(viewer, sorted(set(shown["chu"])), own_label)
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
            y=list(grid.index),
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


def peer_counts(viewer: Viewer, overall: pd.DataFrame) -> pd.DataFrame:
    """For a DSI: how many other CHUs are in each status, per year (no letter, no row)."""
    peers = overall[overall["chu"] != viewer.chu]
    if peers.empty:
        return pd.DataFrame()
    counts = pd.crosstab(peers["annee"].astype(int), peers["status"])
    counts = counts.reindex(columns=[s for s in reversed(STATUS_ORDER)], fill_value=0)
    counts.columns = [_status_label(s) for s in counts.columns]
    counts.index.name = "Année"
    return counts.reset_index()


def _detail_by_kind(viewer: Viewer, annee: int) -> pd.DataFrame:
    from expectations.labels import KIND_LABELS
    from warehouse.reads import read_campaign_status

    status = read_campaign_status(get_engine(), annee=annee)
    if status.empty:
        return pd.DataFrame()
    shown = present(viewer, status[["chu", "annee", "kind", "status"]])
    shown["status"] = shown["status"].map(_status_label)
    shown["kind"] = shown["kind"].map(lambda k: KIND_LABELS.get(k, k))
    table = shown.pivot_table(index="chu", columns="kind", values="status", aggfunc="first")
    registry = chu_labels(viewer, get_reference().chu_codes, annee)
    own_label = registry.get(viewer.chu) if viewer.chu else None
    if viewer.sees_all_names:
        order = [registry[c] for c in get_reference().chu_codes if registry[c] in table.index]
        order += sorted(set(table.index) - set(order))
    else:
        order = _row_order(viewer, list(table.index), own_label)
    table = table.reindex(order)
    table.index.name = "CHU"
    table.columns.name = None
    return table.reset_index()


def visible_submissions(viewer: Viewer) -> pd.DataFrame:
    """The submissions this viewer may list: all for alliance/admin; for a DSI, those its CHU
    sent, and those about its CHU that came through no CHU account (CLI, drop folder)."""
    from warehouse.submissions import list_submissions

    subs = list_submissions(get_engine())
    if viewer.sees_all_names or subs.empty:
        return subs
    sender_chu = subs["sender_chu"].astype("string")
    about = subs["chu"].astype("string")
    own = sender_chu.eq(viewer.chu).fillna(False) | (
        about.eq(viewer.chu).fillna(False) & sender_chu.isna()
    )
    return subs[own]


def _submissions_table(viewer: Viewer, subs: pd.DataFrame) -> pd.DataFrame:
    from expectations.labels import KIND_LABELS

    reference = get_reference()
    names = chu_labels(viewer, [c for c in subs["chu"].dropna().unique()], None)

    def chu_name(code: Any) -> str:
        if code is None or pd.isna(code):
            return "non reconnu"
        if not viewer.sees_all_names and code != viewer.chu:
            # A DSI's own file about another CHU (refused): no letter, it would tell which.
            return "autre CHU"
        return names.get(code) or reference.establishments.get(code, code)

    scrub = (lambda t: t) if viewer.sees_all_names else (lambda t: anonymize_text(viewer, t))
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
    from warehouse.reads import read_overall_status
    from warehouse.submissions import get_submission

    st.title("Campagne et qualité des données")
    engine = get_engine()

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
    overall = read_overall_status(engine)
    figure = status_figure(viewer, overall)
    if figure is None:
        st.info("Aucune campagne à afficher : l'entrepôt est vide.")
    else:
        st.plotly_chart(figure, config={"displayModeBar": False}, key="statut-campagne")
    if not viewer.sees_all_names and not overall.empty:
        st.markdown("**Les autres CHU de l'alliance** (nombre d'établissements par statut)")
        table_with_downloads(peer_counts(viewer, overall), "statut_autres_chu", key="pairs")
        st.caption(
            "Dans le détail par année, les autres CHU sont désignés par une lettre tirée pour "
            "chaque année : « CHU A » n'est pas forcément le même établissement d'une année à "
            "l'autre."
        )

    years = sorted(int(y) for y in overall["annee"].unique()) if not overall.empty else []
    if years:
        annee = st.selectbox(
            "Détail par type de fichier — année", years, index=len(years) - 1, key="campagne_annee"
        )
        table_with_downloads(
            _detail_by_kind(viewer, int(annee)), f"statut_par_type_{annee}", key="detail-types"
        )

    st.subheader("Fichiers reçus" if viewer.sees_all_names else "Fichiers de votre CHU")
    subs = visible_submissions(viewer)
    if subs.empty:
        st.info("Aucun fichier reçu pour l'instant.")
        return
    table = _submissions_table(viewer, subs)
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
    # The id comes from the browser: check again that this viewer may read it.
    if chosen is None or int(chosen) not in set(subs["id"].astype(int)):
        st.error("Ce fichier n'est pas accessible avec votre profil.")
        return
    submission = get_submission(engine, int(chosen))
    if submission is None:
        st.error("Fichier introuvable.")
        return
    scrub = (lambda t: t) if viewer.sees_all_names else (lambda t: anonymize_text(viewer, t))
    code = submission.get("chu")
    chu_label = (
        chu_labels(viewer, [code], None)[code]
        if code and (viewer.sees_all_names or code == viewer.chu)
        else ("autre CHU" if code else None)
    )
    st.caption(
        f"Reçu par {CHANNEL_LABELS.get(submission['channel'], submission['channel'])}, "
        f"expéditeur {submission['sender']}, statut « {_status_label(submission['status'])} »."
    )
    show_report(submission["report"], scrub=scrub, chu_label=chu_label, key="campagne-rapport")
