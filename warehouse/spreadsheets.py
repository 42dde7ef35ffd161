"""Spreadsheet output shared by the CLI and the dashboard (no Streamlit here).

Cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return at the start: CSV/formula injection, OWASP) get a leading quote: measure titles and
comments come from files, so they are untrusted text.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """``=SOMME(A1)`` → ``'=SOMME(A1)``; numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def list_text(value: Any, separator: str = ",") -> Any:
    """A list cell (``["A.5.1", "5.2"]``) as text for CSV/XLSX; other values unchanged."""
    if isinstance(value, list | tuple):
        return separator.join(str(v) for v in value)
    return value


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    return neutralise_cell(list_text(value, ", "))


def workbook_bytes(
    frame: pd.DataFrame,
    *,
    title: str,
    subtitle_lines: Sequence[str],
    headers: Mapping[str, str],
    definitions: Mapping[str, str] | None = None,
    sheet_name: str = "Plan d'action",
    wide_columns: Sequence[str] = (),
    generated_at: datetime | None = None,
) -> bytes:
    """A workbook ready to hand over: a title block, French headers, frozen header row,
    filters, sensible widths, and a sheet « Définitions » explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.properties.title = str(neutralise_cell(title))
    book.properties.creator = "chu-bench"
    sheet = book.active
    sheet.title = sheet_name[:31]
    sheet.append([neutralise_cell(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in subtitle_lines:
        sheet.append([neutralise_cell(line)])
    if generated_at is not None:
        sheet.append([f"Établi le {generated_at:%d/%m/%Y à %H:%M}."])
    sheet.append([])
    header_row = sheet.max_row + 1
    columns = list(frame.columns)
    sheet.append([neutralise_cell(headers.get(c, c)) for c in columns])
    fill = PatternFill("solid", fgColor="DCE6F1")
    for index in range(1, len(columns) + 1):
        cell = sheet.cell(row=header_row, column=index)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for record in frame.itertuples(index=False):
        sheet.append([_cell(v) for v in record])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        width = (
            60 if column in wide_columns else max(12, min(30, len(headers.get(column, column)) + 2))
        )
        sheet.column_dimensions[letter].width = width
        if column in wide_columns:
            for row in range(header_row + 1, sheet.max_row + 1):
                sheet.cell(row=row, column=index).alignment = Alignment(
                    wrap_text=True, vertical="top"
                )
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    if len(frame):
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{sheet.max_row}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    if definitions:
        notes = book.create_sheet("Définitions")
        notes.append(["Colonne", "Signification"])
        notes["A1"].font = Font(bold=True)
        notes["B1"].font = Font(bold=True)
        for column in columns:
            if column in definitions:
                notes.append(
                    [
                        neutralise_cell(headers.get(column, column)),
                        neutralise_cell(definitions[column]),
                    ]
                )
        notes.column_dimensions["A"].width = 32
        notes.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
