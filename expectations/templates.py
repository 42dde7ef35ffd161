"""Ready-to-fill templates for a DSI (DESIGN §6: ``chu-bench template``), as CSV or XLSX.

CSV: semicolon-delimited, UTF-8 with a BOM and CRLF line ends: French Excel opens such a file
with accents intact and one value per cell (with a comma, French Excel puts every row in
column A, because its list separator is ``;``).

XLSX (issue 10): one sheet named after the kind, the contract's header frozen, each measure's
title and chapter beside its id, drop-down lists for the coded columns, the id columns locked
(sheet protection without password, on those cells only), a sheet « Aide ».

Both can be prefilled with a campaign's answers (``prefill``: rows as
``warehouse.drafts.campaign_answers`` gives them), so that a DSI only updates what changed.
Prefilled text comes from files: a text that a spreadsheet would run as a formula (``=``,
``+``, ``-``, ``@``…) is neutralised before it reaches a cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from expectations.contract import (
    CATEGORIES,
    CSF_FUNCTIONS,
    DEPENSES,
    FILE_KINDS,
    ISO27001_STATES,
    KINDS,
    MATURITE,
    MIN_YEAR,
    NOT_APPLICABLE,
    PROFIL,
)
from expectations.reference import ReferenceData, load_reference
from expectations.validate import max_year

BOM = "\ufeff"
FORMATS = ("csv", "xlsx")
# Blank spending lines offered in the workbook beyond the prefilled ones.
BLANK_SPENDING_LINES = 200
# The workbook's informative columns (expectations.workbook reads them without a warning).
INFO_COLUMNS = {"titre_mesure": "Titre de la mesure", "chapitre": "Chapitre"}


def _check(kind: str, chu: str, annee: int, reference: ReferenceData) -> str:
    if kind not in KINDS:
        raise ValueError(f"type de fichier inconnu : {kind} (attendu : {', '.join(KINDS)})")
    chu = chu.strip().upper()
    if chu not in reference.establishments:
        raise ValueError(f"code CHU inconnu : {chu} (attendu : {', '.join(reference.chu_codes)})")
    top = max_year()
    if not MIN_YEAR <= annee <= top:
        raise ValueError(
            f"année de campagne impossible : {annee} (attendu : de {MIN_YEAR} à {top})"
        )
    return chu


def template_rows(
    kind: str,
    chu: str,
    annee: int,
    reference: ReferenceData | None = None,
    prefill: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """The template's rows in contract columns (``None`` = to fill). ``maturite`` lists every
    measure of the campaign's referential, with the prefilled answer of the same measure;
    ``depenses`` the prefilled lines (or one line to fill); ``profil`` its one row. ``chu``
    and ``annee`` are always this template's, whatever the prefilled campaign was."""
    reference = reference or load_reference()
    chu = _check(kind, chu, annee, reference)
    columns = FILE_KINDS[kind].columns
    fixed = {"chu": chu, "annee": annee}

    def row(values: Mapping[str, Any]) -> dict[str, Any]:
        return {c: fixed.get(c, values.get(c)) for c in columns}

    if kind == MATURITE:
        answers = {str(a.get("mesure_id", "")).upper(): a for a in prefill}
        rows = []
        for measure in reference.measures_for_year(annee):
            answer = answers.get(measure.mesure_id.upper(), {})
            rows.append(row({**answer, "mesure_id": measure.mesure_id}))
        return rows
    if kind == DEPENSES:
        return [row(line) for line in prefill] or [row({})]
    return [row(prefill[0] if prefill else {})]


def cell_text(value: Any) -> str:
    """A template value as a CSV cell: numbers in French form (``1234,5``), ``""`` for none."""
    from expectations.workbook import number_text

    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return number_text(value)
    return str(value)


def contract_csv(kind: str, rows: Sequence[Mapping[str, Any]]) -> bytes:
    """Rows in the contract's CSV, exactly as given (no neutralisation): what the form sends
    through the ingestion service, and the body of the CSV template."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    columns = FILE_KINDS[kind].columns
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell_text(row.get(column)) for column in columns])
    return (BOM + buffer.getvalue()).encode("utf-8")


def render_template(
    kind: str,
    chu: str,
    annee: int,
    reference: ReferenceData | None = None,
    prefill: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """The CSV template's bytes (see :func:`template_rows`); prefilled text that a
    spreadsheet would run as a formula gets a leading quote."""
    from warehouse.spreadsheets import neutralise_cell

    rows = template_rows(kind, chu, annee, reference, prefill)
    safe = [{c: neutralise_cell(v) for c, v in row.items()} for row in rows]
    return contract_csv(kind, safe)


# --------------------------------------------------------------------------- XLSX

# Drop-down lists: (allowed values, what the DSI is told when a value is refused).
_LISTS: dict[str, tuple[tuple[str, ...], str]] = {
    "niveau": (("0", "1", "2", "3", "4", "5", NOT_APPLICABLE), "un niveau de 0 à 5, ou NA"),
    "cible": (("0", "1", "2", "3", "4", "5"), "un niveau cible de 0 à 5, ou rien"),
    "categorie": (CATEGORIES, "l'une des catégories de la liste"),
    "nature": (("capex", "opex"), "capex (investissement) ou opex (fonctionnement)"),
    "iso27001": (ISO27001_STATES, "aucun, en_cours ou certifie"),
    "fonction_csf": (CSF_FUNCTIONS, "une fonction NIST CSF 2.0 (GV, ID, PR, DE, RS, RC)"),
}
# Number checks Excel applies as the DSI types: (type, operator, bounds, message).
_NUMBERS: dict[str, tuple[str, str, tuple[float, ...], str]] = {
    "montant_mad": ("decimal", "greaterThanOrEqual", (0,), "un montant positif, en dirhams"),
    "lits": ("whole", "greaterThanOrEqual", (0,), "un nombre entier de lits"),
    "effectif_total": ("decimal", "greaterThanOrEqual", (0,), "un effectif positif (ETP)"),
    "effectif_si": ("decimal", "greaterThanOrEqual", (0,), "un effectif positif (ETP)"),
    "effectif_ssi": ("decimal", "greaterThanOrEqual", (0,), "un effectif positif (ETP)"),
    "budget_total_mad": ("decimal", "greaterThan", (0,), "un montant supérieur à 0, en dirhams"),
    "budget_si_mad": ("decimal", "greaterThan", (0,), "un montant supérieur à 0, en dirhams"),
    "stade_numerique": ("whole", "between", (0, 7), "un entier de 0 à 7"),
    "incidents_declares": ("whole", "greaterThanOrEqual", (0,), "un nombre entier positif"),
}
# Cells the DSI never changes: locked (the sheet is protected, without password).
_LOCKED = {
    MATURITE: ("chu", "annee", "mesure_id", *INFO_COLUMNS),
    DEPENSES: (),
    PROFIL: ("chu", "annee"),
}
_WIDTHS = {"mesure_id": 18, "titre_mesure": 60, "chapitre": 34, "commentaire": 50, "libelle": 40}


def workbook_columns(kind: str) -> tuple[str, ...]:
    """The workbook's columns: the contract's, with the measure's title and chapter beside
    its id for ``maturite``."""
    columns = FILE_KINDS[kind].columns
    if kind != MATURITE:
        return columns
    at = columns.index("mesure_id") + 1
    return (*columns[:at], *INFO_COLUMNS, *columns[at:])


def _write_text(cell: Any, text: str) -> None:
    """A text cell that stays text: never read as a formula by openpyxl (which would store a
    leading ``=`` as one) nor by Excel when the DSI edits it (quote prefix, Excel's own
    escape; the text itself is unchanged, so it reads back exactly)."""
    from warehouse.spreadsheets import FORMULA_PREFIXES

    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True


def render_workbook(
    kind: str,
    chu: str,
    annee: int,
    reference: ReferenceData | None = None,
    prefill: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """The XLSX template's bytes: same rows as the CSV template (:func:`template_rows`)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from expectations.labels import COLUMN_LABELS, KIND_LABELS

    reference = reference or load_reference()
    rows = template_rows(kind, chu, annee, reference, prefill)
    chu = rows[0]["chu"]
    measures = {m.mesure_id: m for m in reference.measures_for_year(annee)}
    columns = workbook_columns(kind)
    letters = {c: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    book = Workbook()
    sheet = book.active
    sheet.title = kind

    header_fill = PatternFill("solid", fgColor="DCE6F1")
    locked_fill = PatternFill("solid", fgColor="F2F2F2")
    sheet.append(list(columns))
    for column in columns:
        cell = sheet[f"{letters[column]}1"]
        cell.font = Font(bold=True)
        cell.fill = header_fill
        label = COLUMN_LABELS.get(column) or INFO_COLUMNS.get(column, column)
        cell.comment = Comment(f"{label}. Ne modifiez pas ce nom de colonne.", "chu-bench")
        sheet.column_dimensions[letters[column]].width = _WIDTHS.get(column, 16)

    if kind == DEPENSES:
        # Spending lines are open-ended: blank lines follow the prefilled ones (the CSV
        # template's one line to fill is one of them), every cell of them to fill.
        rows = rows if prefill else []
        last = len(rows) + 1 + BLANK_SPENDING_LINES
    else:
        last = len(rows) + 1
    for index, row in enumerate(rows, start=2):
        values = dict(row)
        if kind == MATURITE:
            measure = measures.get(row["mesure_id"])
            values["titre_mesure"] = measure.titre if measure else None
            values["chapitre"] = (
                f"{measure.chapitre}. {measure.chapitre_titre}" if measure else None
            )
        for column in columns:
            value = values.get(column)
            cell = sheet[f"{letters[column]}{index}"]
            if value is None:
                continue
            if isinstance(value, str):
                _write_text(cell, value)
            else:
                cell.value = value
    for index in range(2, last + 1):
        for column in columns:
            cell = sheet[f"{letters[column]}{index}"]
            if column in _LOCKED[kind]:
                cell.fill = locked_fill
            else:
                cell.protection = Protection(locked=False)
            if column in ("titre_mesure", "commentaire", "libelle"):
                cell.alignment = Alignment(wrap_text=True, vertical="top")

    def validation(column: str, **options: Any) -> None:
        rule = DataValidation(
            showErrorMessage=True, showInputMessage=True, allow_blank=True, **options
        )
        rule.errorTitle = "Valeur refusée"
        rule.promptTitle = COLUMN_LABELS.get(column, column)[:32]
        rule.add(f"{letters[column]}2:{letters[column]}{max(last, 2)}")
        sheet.add_data_validation(rule)

    for column in columns:
        if column in _LISTS:
            values, expected = _LISTS[column]
            validation(
                column,
                type="list",
                formula1='"' + ",".join(values) + '"',
                error=f"Choisissez {expected}.",
                prompt=f"Choisissez {expected} dans la liste.",
            )
        elif column in _NUMBERS:
            kind_of, operator, bounds, expected = _NUMBERS[column]
            formulas = {f"formula{i}": str(b) for i, b in enumerate(bounds, start=1)}
            validation(
                column,
                type=kind_of,
                operator=operator,
                error=f"Indiquez {expected}.",
                prompt=f"Indiquez {expected}.",
                **formulas,
            )
    if kind == DEPENSES:
        # New lines need their CHU and year: a one-value list, so nothing else can be typed.
        for column, value in (("chu", chu), ("annee", str(annee))):
            validation(
                column,
                type="list",
                formula1=f'"{value}"',
                error=f"Indiquez {value}.",
                prompt=f"Indiquez {value} sur chaque ligne de dépense.",
            )

    frozen = {MATURITE: "F2", DEPENSES: "C2", PROFIL: "C2"}[kind]
    sheet.freeze_panes = frozen
    # Protection without password, on the locked cells only: the DSI can still resize,
    # sort and filter; Excel's « Révision > Ôter la protection » needs no password.
    protection = sheet.protection
    protection.sheet = True
    protection.formatColumns = False
    protection.formatRows = False
    protection.sort = False
    protection.autoFilter = False

    help_sheet = book.create_sheet("Aide")
    help_sheet.column_dimensions["A"].width = 110
    for line in _help_lines(kind, chu, annee, KIND_LABELS[kind], bool(prefill)):
        help_sheet.append([line])
    help_sheet["A1"].font = Font(bold=True, size=13)

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _help_lines(kind: str, chu: str, annee: int, label: str, prefilled: bool) -> list[str]:
    lines = [
        f"{label} — {chu}, campagne {annee}",
        "",
        f"Remplissez la feuille « {kind} », puis envoyez ce classeur tel quel (.xlsx) par la "
        "page Dépôt ou le dossier de dépôt : il est vérifié avec les mêmes règles qu'un CSV.",
        "Ne renommez pas la feuille ni les noms de colonnes de la première ligne.",
        "Les cellules grisées (CHU, année, mesure) sont protégées ; la protection n'a pas de "
        "mot de passe (« Révision > Ôter la protection de la feuille »).",
        "Les listes déroulantes donnent les valeurs admises ; NA signifie « non applicable ».",
    ]
    if prefilled:
        lines.append(
            "Le classeur reprend les réponses de votre dernière campagne : mettez à jour ce qui "
            "a changé."
        )
    if kind == DEPENSES:
        lines.append(
            "Une ligne par dépense ; sur chaque ligne, indiquez votre CHU et l'année (listes). "
            "Laissez vides les lignes inutilisées."
        )
    lines.append("Ne gardez pas de formules sans valeur : enregistrez le classeur dans Excel.")
    return lines
