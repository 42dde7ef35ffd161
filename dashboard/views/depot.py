"""Dépôt: a DSI sends its files, sees at once the same report as ``chu-bench validate``,
and the pipeline makes valid files its CHU's current data (DESIGN §1, §3.4, §4).

The page goes through the ingestion service (``warehouse.ingestion.receive_files``): each
file is validated at once and stored as a *pending* submission with its report. The
Dagster sensor ``pending_submissions`` then ingests it in a run on its CHU × year
partition (current or rejected, benchmark refreshed): the pipeline owns the warehouse's
state and the benchmark, the dashboard never imports Dagster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from dashboard.access import Viewer, anonymize_text, page_roles, require_role
from dashboard.context import get_engine, get_reference
from dashboard.report_view import show_report

if TYPE_CHECKING:
    from warehouse.ingestion import IngestionOutcome

RESULTS_KEY = "depot_results"


def process_uploads(viewer: Viewer, files: list[tuple[str, bytes]]) -> list[IngestionOutcome]:
    """Validate (one batch) and hand to the pipeline the files uploaded by ``viewer``, a
    DSI, for its own CHU (the contract refuses a file about another CHU, and the service
    holds a second lock behind that rule)."""
    from warehouse.ingestion import Channel, ReceivedFile, receive_files

    if viewer.role != "dsi" or not viewer.chu:
        raise PermissionError("Seul le DSI d'un CHU peut déposer des fichiers.")
    return receive_files(
        get_engine(),
        [
            ReceivedFile(content, filename, viewer.chu, viewer.username, Channel.DEPOT)
            for filename, content in files
        ],
        reference=get_reference(),
    )


def _templates(viewer: Viewer) -> None:
    from dashboard.auth import session_download
    from dashboard.views.formulaire import template_download  # FORMS (issue 10): XLSX, prefill
    from expectations.contract import DEPENSES, MATURITE, PROFIL
    from expectations.labels import KIND_LABELS

    reference = get_reference()
    years = reference.campaign_years
    st.subheader("Modèles à remplir")
    st.caption(
        "Chaque modèle est prérempli pour votre CHU et l'année choisie (l'auto-évaluation "
        "liste toutes les mesures du référentiel). Le classeur Excel offre des listes "
        "déroulantes et se renvoie tel quel ; le CSV s'ouvre aussi dans Excel."
    )
    annee = st.selectbox("Année de la campagne", years, index=len(years) - 1, key="depot_annee")
    fmt = st.radio(
        "Format",
        ("xlsx", "csv"),
        format_func={"xlsx": "Classeur Excel (.xlsx)", "csv": "CSV"}.get,
        horizontal=True,
        key="depot_format",
    )
    prefill = st.checkbox(
        "Reprendre les réponses de ma dernière campagne", value=True, key="depot_prefill"
    )
    columns = st.columns(3)
    for column, kind in zip(columns, (MATURITE, DEPENSES, PROFIL), strict=True):
        name, build, mime = template_download(viewer, kind, int(annee), fmt, prefill=prefill)
        with column:
            st.download_button(
                f"Modèle « {KIND_LABELS[kind]} »",
                # SEC (7.6): prefilled with the CHU's own answers, so only on a click of
                # an open session (and in the audit trail).
                data=session_download(build, name, fmt),
                file_name=name,
                mime=mime,
                icon=":material/download:",
                key=f"template-{kind}",
                on_click="ignore",
            )


def _outcome_message(viewer: Viewer, outcome: IngestionOutcome) -> None:
    from expectations.labels import STATUS_LABELS

    status = STATUS_LABELS.get(str(outcome.status), str(outcome.status))
    if not outcome.created:
        own = outcome.chu == viewer.chu and outcome.valid
        # Identical bytes already stored. Say which submission only when it is the DSI's
        # own valid file: a copy of a peer's file must not tell how that peer's file fared.
        detail = f" (dépôt n° {outcome.submission_id}, statut « {status} »)" if own else ""
        st.info(
            f"Ce fichier avait déjà été reçu{detail} : rien n'a changé.",
            icon=":material/info:",
        )
    elif outcome.status == "pending" and outcome.valid:
        st.info(
            f"Dépôt n° {outcome.submission_id} reçu et vérifié : le pipeline l'intègre aux "
            "données de votre CHU et au benchmark dans la minute (le dépôt précédent éventuel "
            "est conservé, marqué « Remplacé »).",
            icon=":material/task_alt:",
        )
    elif outcome.status == "pending":
        st.warning(
            f"Dépôt n° {outcome.submission_id} conservé avec son rapport ; il sera enregistré "
            "comme « Rejeté » : vos données en vigueur ne changent pas. Corrigez le fichier "
            "puis déposez-le à nouveau.",
            icon=":material/warning:",
        )
    elif outcome.status == "current":
        st.info(
            f"Dépôt n° {outcome.submission_id} enregistré : ces données sont désormais celles "
            "de votre CHU pour cette année (le dépôt précédent éventuel est conservé, marqué "
            "« Remplacé »).",
            icon=":material/task_alt:",
        )
    elif outcome.status == "superseded":
        st.info(
            f"Dépôt n° {outcome.submission_id} enregistré, mais un fichier plus récent du même "
            "type est déjà en vigueur.",
            icon=":material/info:",
        )
    else:
        st.warning(
            f"Dépôt n° {outcome.submission_id} conservé comme « {status} » avec son rapport : "
            "vos données en vigueur ne changent pas. Corrigez le fichier puis déposez-le à nouveau.",
            icon=":material/warning:",
        )


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("depot"))
    reference = get_reference()
    establishment = reference.establishments.get(viewer.chu or "")
    name = establishment.nom if establishment else viewer.chu
    st.title("Dépôt des fichiers")
    st.markdown(
        f"Vous déposez pour le **{name}** uniquement. Chaque fichier est vérifié dès son envoi "
        "avec les mêmes règles que `chu-bench validate` ; le pipeline fait ensuite d'un fichier "
        "valide la version en vigueur de votre CHU (dans la minute), un fichier invalide est "
        "conservé avec son rapport sans rien remplacer."
    )

    _templates(viewer)

    from dashboard.views import formulaire  # FORMS (issue 10): the form, same ingestion path

    formulaire.render(viewer)

    st.subheader("Envoyer des fichiers")
    with st.form("depot", clear_on_submit=True):
        files = st.file_uploader(
            "Fichiers CSV ou classeurs Excel .xlsx (auto-évaluation, dépenses, profil)",
            type=["csv", "txt", "xlsx"],
            accept_multiple_files=True,
            key="depot_files",
        )
        submitted = st.form_submit_button("Vérifier et déposer", type="primary")
    if submitted:
        if not files:
            st.warning("Choisissez au moins un fichier (CSV ou XLSX).")
        else:
            with st.spinner("Vérification des fichiers…"):
                outcomes = process_uploads(viewer, [(f.name, f.getvalue()) for f in files])
            # SEC (7.8): each upload in the audit trail (who, which submission; no content).
            from warehouse.audit import AuditAction, record

            for outcome in outcomes:
                record(
                    get_engine(),
                    viewer.username,
                    AuditAction.UPLOAD,
                    f"soumission {outcome.submission_id} ({outcome.filename})",
                    f"page Dépôt, {outcome.status}",
                )
            # The pipeline makes them current and refreshes the benchmark; the campaign
            # page already lists them as received.
            if any(o.created for o in outcomes):
                from dashboard import data

                data.clear()
            st.session_state[RESULTS_KEY] = outcomes

    outcomes = st.session_state.get(RESULTS_KEY) or []
    if outcomes:
        st.subheader("Résultat du dernier dépôt")
        for index, outcome in enumerate(outcomes):
            about = outcome.report.get("chu")
            with st.container(border=True):
                # A file about another CHU is refused without naming that CHU (as on the
                # Campagne page): « autre CHU », its code and name scrubbed from the messages.
                show_report(
                    outcome.report,
                    scrub=lambda text: anonymize_text(viewer, text, reference=reference),
                    chu_label=name if about == viewer.chu else ("autre CHU" if about else None),
                    key=f"depot-report-{index}",
                )
                _outcome_message(viewer, outcome)
