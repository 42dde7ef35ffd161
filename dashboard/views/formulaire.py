"""The form of the Dépôt page (issue 10): a DSI fills or edits its maturity self-assessment
and its profile in the page instead of a file.

Thin shell over ``warehouse.drafts``: the form starts from the CHU's draft of that year and
kind, else from its latest campaign's answers; « Enregistrer le brouillon » keeps it in the
warehouse (still there after logging out); « Vérifier et envoyer » serialises the answers to
the contract's CSV and sends them through the one ingestion service (channel
« formulaire »), so the report and the figures are the same as for a file. Every read and
write is for the signed-in DSI's own CHU: no other CHU's data or draft is ever loaded here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.access import Viewer, anonymize_text
from dashboard.context import get_engine, get_reference
from dashboard.formatting import markdown_text
from dashboard.report_view import show_report

FORM_RESULT_KEY = "formulaire_result"
FORM_NOTICE_KEY = "formulaire_notice"
LEVELS = ["0", "1", "2", "3", "4", "5", "NA"]
TARGETS = ["0", "1", "2", "3", "4", "5"]
# Profile fields: (contract column, whole number?, step).
_PROFILE_NUMBERS = (
    ("lits", True, 1),
    ("effectif_total", False, 1.0),
    ("effectif_si", False, 1.0),
    ("effectif_ssi", False, 0.5),
    ("budget_total_mad", False, 100_000.0),
    ("budget_si_mad", False, 10_000.0),
    ("stade_numerique", True, 1),
    ("incidents_declares", True, 1),
)


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_download(
    viewer: Viewer, kind: str, annee: int, fmt: str, *, prefill: bool = True
) -> tuple[str, Callable[[], bytes], str]:
    """The Dépôt page's template download: its name, the function that builds it (on the
    click only: it reads the warehouse) and its MIME type. By default prefilled with the
    DSI's own latest answers of that kind up to that year (``warehouse.drafts``)."""
    chu = viewer.chu or ""

    def build() -> bytes:
        from expectations.templates import render_template, render_workbook
        from warehouse.drafts import campaign_answers, latest_campaign

        reference = get_reference()
        rows: list[dict[str, Any]] = []
        if prefill:
            engine = get_engine()
            source = latest_campaign(engine, chu=chu, kind=kind, until=annee)
            if source is not None:
                rows = campaign_answers(engine, chu=chu, annee=source, kind=kind)
        render = render_workbook if fmt == "xlsx" else render_template
        return render(kind, chu, annee, reference=reference, prefill=rows)

    mime = XLSX_MIME if fmt == "xlsx" else "text/csv"
    return f"{kind}_{chu.lower()}_{annee}.{fmt}", build, mime


def _start(viewer: Viewer, kind: str, annee: int) -> tuple[list[dict[str, Any]], str, str]:
    """The rows the form starts from, a sentence saying where they come from, and a version
    tag (widgets are re-created when it changes)."""
    from warehouse.drafts import campaign_answers, latest_campaign, load_draft

    engine = get_engine()
    draft = load_draft(engine, chu=viewer.chu, annee=annee, kind=kind)
    if draft is not None:
        when = draft.saved_at.strftime("%d/%m/%Y à %H:%M")
        return (
            draft.rows,
            f"Brouillon enregistré le {when} (UTC) : vous reprenez vos réponses là où vous "
            "les aviez laissées.",
            f"brouillon-{draft.saved_at.timestamp()}",
        )
    source = latest_campaign(engine, chu=viewer.chu, kind=kind, until=annee)
    if source is None:
        return [], "Aucune réponse antérieure : le formulaire part de zéro.", "vide"
    rows = campaign_answers(engine, chu=viewer.chu, annee=source, kind=kind)
    what = "vos réponses en vigueur" if source == annee else "vos réponses de la campagne"
    return rows, f"Prérempli avec {what} {source} : mettez à jour ce qui a changé.", f"c{source}"


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _maturity_editor(rows: list[dict[str, Any]], annee: int, key: str) -> list[dict[str, Any]]:
    reference = get_reference()
    measures = {m.mesure_id: m for m in reference.measures_for_year(annee)}
    # Every measure of the campaign, with the answer already given to it (matched by id).
    answers = {str(r.get("mesure_id", "")).upper(): r for r in rows}
    frame = pd.DataFrame(
        [
            {
                "mesure_id": m.mesure_id,
                "titre": m.titre,
                "chapitre": f"{m.chapitre}. {m.chapitre_titre}",
                "niveau": _text(answers.get(m.mesure_id.upper(), {}).get("niveau")),
                "cible": _text(answers.get(m.mesure_id.upper(), {}).get("cible")),
                "commentaire": _text(answers.get(m.mesure_id.upper(), {}).get("commentaire")),
            }
            for m in measures.values()
        ]
    )
    edited = st.data_editor(
        frame,
        key=key,
        num_rows="fixed",
        hide_index=True,
        width="stretch",
        height=420,
        disabled=["mesure_id", "titre", "chapitre"],
        column_config={
            "mesure_id": st.column_config.TextColumn("Mesure", width="small"),
            "titre": st.column_config.TextColumn("Titre", width="large"),
            "chapitre": st.column_config.TextColumn("Chapitre", width="medium"),
            "niveau": st.column_config.SelectboxColumn(
                "Niveau (0–5, NA)", options=LEVELS, help="NA : la mesure ne s'applique pas"
            ),
            "cible": st.column_config.SelectboxColumn("Cible", options=TARGETS),
            "commentaire": st.column_config.TextColumn("Commentaire", max_chars=2000),
        },
    )
    return [
        {
            "mesure_id": r["mesure_id"],
            "niveau": _text(r["niveau"]),
            "cible": _text(r["cible"]),
            "commentaire": _text(r["commentaire"]) or None,
        }
        for r in edited.to_dict(orient="records")
    ]


def _profile_inputs(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    from expectations.contract import ISO27001_STATES
    from expectations.labels import COLUMN_LABELS, ISO27001_LABELS

    start = rows[0] if rows else {}
    values: dict[str, Any] = {}
    columns = st.columns(2)
    for index, (name, whole, step) in enumerate(_PROFILE_NUMBERS):
        current = start.get(name)
        if current is not None:
            current = int(current) if whole else float(current)
        with columns[index % 2]:
            values[name] = st.number_input(
                COLUMN_LABELS.get(name, name),
                min_value=0 if whole else 0.0,
                max_value=7 if name == "stade_numerique" else None,
                value=current,
                step=step,
                format="%d" if whole else "%.2f",
                key=f"{key}-{name}",
            )
    iso = start.get("iso27001")
    values["iso27001"] = st.selectbox(
        COLUMN_LABELS["iso27001"],
        ISO27001_STATES,
        index=ISO27001_STATES.index(iso) if iso in ISO27001_STATES else None,
        format_func=lambda code: ISO27001_LABELS.get(code, code),
        placeholder="Choisissez l'état de la certification",
        key=f"{key}-iso27001",
    )
    return [values]


def _result(viewer: Viewer) -> None:
    outcome = st.session_state.get(FORM_RESULT_KEY)
    if outcome is None:
        return
    reference = get_reference()
    establishment = reference.establishments.get(viewer.chu or "")
    with st.container(border=True):
        show_report(
            outcome.report,
            scrub=lambda text: anonymize_text(viewer, text, reference=reference),
            chu_label=establishment.nom if establishment else viewer.chu,
            key="formulaire-rapport",
        )
        if not outcome.created:
            st.info("Ces réponses avaient déjà été envoyées telles quelles : rien n'a changé.")
        elif outcome.valid:
            st.info(
                f"Réponses reçues et vérifiées (dépôt n° {outcome.submission_id}) : le pipeline "
                "les intègre aux données de votre CHU et au benchmark dans la minute. Le "
                "brouillon est supprimé.",
                icon=":material/task_alt:",
            )
        else:
            st.warning(
                f"Réponses conservées avec leur rapport (dépôt n° {outcome.submission_id}), "
                "mais refusées : vos données en vigueur ne changent pas. Votre brouillon est "
                "gardé : corrigez les points signalés puis envoyez à nouveau.",
                icon=":material/warning:",
            )


def render(viewer: Viewer) -> None:
    """The « Remplir en ligne » section of the Dépôt page (a DSI only: the page checks it)."""
    from expectations.contract import MATURITE, PROFIL
    from expectations.labels import KIND_LABELS
    from warehouse.drafts import save_draft, submit_answers

    reference = get_reference()
    st.subheader("Remplir en ligne")
    st.caption(
        "Plutôt qu'un fichier : remplissez ou mettez à jour ici votre auto-évaluation ou "
        "votre profil. Un brouillon reste enregistré (même après déconnexion) jusqu'à l'envoi ; "
        "l'envoi est vérifié avec les mêmes règles qu'un fichier."
    )
    years = reference.campaign_years
    left, right = st.columns(2)
    with left:
        annee = int(st.selectbox("Campagne", years, index=len(years) - 1, key="formulaire_annee"))
    with right:
        kind = st.radio(
            "Questionnaire",
            (MATURITE, PROFIL),
            format_func=lambda k: KIND_LABELS[k],
            horizontal=True,
            key="formulaire_kind",
        )
    notice = st.session_state.pop(FORM_NOTICE_KEY, None)
    if notice:
        st.success(notice, icon=":material/save:")
    rows, origin, version = _start(viewer, kind, annee)
    st.caption(origin)
    key = f"formulaire-{kind}-{annee}-{version}"
    with st.form(key, border=True):
        if kind == MATURITE:
            answers = _maturity_editor(rows, annee, key=f"{key}-grille")
        else:
            answers = _profile_inputs(rows, key=key)
        save_column, send_column = st.columns(2)
        with save_column:
            save = st.form_submit_button("Enregistrer le brouillon", icon=":material/save:")
        with send_column:
            send = st.form_submit_button("Vérifier et envoyer", type="primary")
    engine = get_engine()
    if save:
        try:
            save_draft(
                engine,
                chu=viewer.chu,
                annee=annee,
                kind=kind,
                rows=answers,
                saved_by=viewer.username,
            )
        except ValueError as problem:
            # The message may quote what the DSI typed: shown as text, never as Markdown.
            st.error(markdown_text(problem))
        else:
            st.session_state[FORM_NOTICE_KEY] = (
                f"Brouillon « {KIND_LABELS[kind]} » {annee} enregistré : vous le retrouverez "
                "ici à votre prochaine connexion."
            )
            st.session_state.pop(FORM_RESULT_KEY, None)
            st.rerun()
    if send:
        # The answers as they stand are kept first: a refused submission loses nothing.
        save_draft(
            engine, chu=viewer.chu, annee=annee, kind=kind, rows=answers, saved_by=viewer.username
        )
        with st.spinner("Vérification des réponses…"):
            outcome = submit_answers(
                engine,
                chu=viewer.chu,
                annee=annee,
                kind=kind,
                rows=answers,
                sender=viewer.username,
                reference=reference,
            )
        from dashboard import data
        from warehouse.audit import AuditAction, record

        record(
            engine,
            viewer.username,
            AuditAction.UPLOAD,
            f"soumission {outcome.submission_id} ({outcome.filename})",
            f"formulaire, {outcome.status}",
        )
        data.clear()
        st.session_state[FORM_RESULT_KEY] = outcome
    _result(viewer)
