"""Projets communs, a section of the Mutualisation page (rendered from it): the measures
where at least N CHUs (a setting, 3 by default) are at niveau 0 or 1 the same year — a
project to run together — and what the CHUs at niveau 4 or more spent in the measure's CSF
function that year (a first hint of the budget).

A DSI sees the projects its own CHU belongs to, how many CHUs share each, and the budget
hint only when published under the aggregate rules; never a peer's code or amount."""

from __future__ import annotations

import streamlit as st

from dashboard.access import Viewer
from dashboard.decisions_data import decision_scope
from dashboard.downloads import table_with_downloads
from dashboard.formatting import format_table
from dashboard.labels import CSF_FUNCTION_LABELS
from dashboard.scoped import SECRET
from warehouse.joint_projects import default_min_chu
from warehouse.spreadsheets import list_text

LABELS = {
    "annee": "Année",
    "mesure_id": "Mesure",
    "titre": "Intitulé",
    "fonction_csf": "Fonction NIST CSF",
    "chu": "CHU au niveau 0 ou 1",
    "n_chu": "CHU au niveau 0 ou 1 (nombre)",
    "chu_au_niveau_4": "CHU au niveau 4 ou plus",
    "n_chu_au_niveau_4": "CHU au niveau 4 ou plus (nombre)",
    "n_chu_avec_depenses": "Dont avec des dépenses dans la fonction",
    "depense_fonction_mediane_mad": "Dépense médiane dans la fonction (MAD)",
    "diffusion": "Diffusion",
}


def render_joint_projects(viewer: Viewer, annee: int) -> None:
    threshold = default_min_chu()
    st.subheader("Projets communs")
    st.caption(
        f"Mesures pour lesquelles au moins {threshold} CHU sont au niveau 0 ou 1 la même année "
        "(les réponses « NA » ne comptent pas) : un projet à mener ensemble. La dépense médiane "
        "est celle des CHU au niveau 4 ou plus sur la mesure, dans la même fonction NIST CSF, "
        "la même année : un premier ordre de grandeur du budget."
    )
    scope = decision_scope(viewer)
    if scope.sees_names:
        projects = scope.named_joint_projects(annee)
        projects = projects.assign(
            chu=projects["chu"].map(lambda cs: [scope.scoped.name(c) for c in cs]),
            chu_au_niveau_4=projects["chu_au_niveau_4"].map(
                lambda cs: [scope.scoped.name(c) for c in cs]
            ),
        ).drop(columns=["depenses_fonction_mad"])
    else:
        projects = scope.own_joint_projects(annee)
    if projects.empty:
        who = "" if scope.sees_names else " auxquels participe votre CHU"
        st.info(f"Aucun projet commun{who} en {annee}.")
        return
    projects = projects.assign(
        fonction_csf=projects["fonction_csf"].map(lambda f: CSF_FUNCTION_LABELS.get(f, f))
    )
    table = projects.drop(columns="annee")
    for column in ("chu", "chu_au_niveau_4"):
        if column in table.columns:
            table[column] = table[column].map(lambda v: list_text(v, ", "))
    display = format_table(table, {"depense_fonction_mediane_mad": "mad"})
    if "diffusion" in table.columns:
        display.loc[table["diffusion"].eq(SECRET).to_numpy(), "depense_fonction_mediane_mad"] = (
            SECRET
        )
    table_with_downloads(
        table,
        f"projets_communs_{annee}",
        key="projets_communs",
        display=display.rename(columns=LABELS),
    )
