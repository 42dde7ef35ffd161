"""The validation report (DESIGN §3.4) on screen: the same content as ``chu-bench validate``
— verdict, errors with their line and column, warnings — for the Dépôt and Campagne pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.downloads import table_with_downloads
from dashboard.formatting import markdown_text

FINDING_COLUMNS = {
    "line": "Ligne",
    "column": "Colonne",
    "value": "Valeur lue",
    "message": "Message",
}


def findings_frame(
    findings: list[dict[str, Any]], scrub: Callable[[str], str] = lambda text: text
) -> pd.DataFrame:
    """Findings sorted by spreadsheet row (whole-file problems first), one per line."""
    rows = [
        {
            "line": f.get("line"),
            "column": f.get("column") or "—",
            "value": scrub(str(f["value"])) if f.get("value") is not None else "",
            "message": scrub(str(f.get("message") or "")),
        }
        for f in findings
    ]
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    frame["line"] = pd.array(frame["line"].tolist(), dtype="Int64")
    frame = frame.sort_values("line", na_position="first", kind="stable").reset_index(drop=True)
    # A row number the user can read: whole-file problems say so instead of an empty cell.
    frame["line"] = [("fichier" if pd.isna(v) else str(int(v))) for v in frame["line"]]
    return frame.rename(columns=FINDING_COLUMNS)


def show_report(
    report: dict[str, Any],
    *,
    scrub: Callable[[str], str] = lambda text: text,
    chu_label: str | None = None,
    key: str = "rapport",
) -> None:
    """Verdict, what the file was recognised as, errors then warnings."""
    from expectations.labels import KIND_LABELS

    # The file name is the uploader's text: shown as written, never as a link or an image.
    name = markdown_text(scrub(str(report.get("file") or "fichier")))
    errors = report.get("errors") or []
    warnings = report.get("warnings") or []
    rows = report.get("rows") or 0
    if not errors:
        detail = f"{rows} ligne{'s' if rows > 1 else ''} de données"
        if warnings:
            detail += f", {len(warnings)} avertissement{'s' if len(warnings) > 1 else ''}"
        st.success(f"**{name}** : fichier valide ({detail}).", icon=":material/check_circle:")
    else:
        st.error(
            f"**{name}** : fichier invalide, {len(errors)} erreur"
            f"{'s' if len(errors) > 1 else ''} à corriger"
            + (
                f" et {len(warnings)} avertissement{'s' if len(warnings) > 1 else ''}"
                if warnings
                else ""
            )
            + ".",
            icon=":material/error:",
        )
    kind = report.get("kind")
    facts = [
        f"Type : {KIND_LABELS.get(kind, kind) if kind else 'non reconnu'}",
        f"CHU : {markdown_text(chu_label or report.get('chu') or 'non reconnu')}",
        f"Année : {markdown_text(report.get('annee') or 'non reconnue')}",
    ]
    st.caption(" · ".join(facts))
    if errors:
        st.markdown("**Erreurs** (par ligne du tableur ; l'en-tête est la ligne 1)")
        table_with_downloads(
            findings_frame(errors, scrub), "erreurs", key=f"{key}-e", width="stretch"
        )
    if warnings:
        st.markdown("**Avertissements** (n'empêchent pas l'acceptation)")
        table_with_downloads(
            findings_frame(warnings, scrub), "avertissements", key=f"{key}-w", width="stretch"
        )
