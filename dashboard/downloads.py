"""Every table of the dashboard can be downloaded as CSV (for French Excel) and XLSX.

Cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return at the start: CSV/formula injection, OWASP) are neutralised by a leading quote.
Comments and supplier names come from the CHUs' own files, so they are untrusted text.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable

import pandas as pd
import streamlit as st

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise_cell(value: object) -> object:
    """``=SOMME(A1)`` → ``'=SOMME(A1)``; non-text values are left as they are (a negative
    number stays a number: only text is ever evaluated as a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names cannot start a formula."""
    safe = df.copy()
    for column in safe.columns:
        series = safe[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            safe[column] = series.map(neutralise_cell).astype(object)
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    return safe


def _plain_datetimes(df: pd.DataFrame) -> pd.DataFrame:
    """Excel has no time zones: write timestamps as local-free UTC wall times."""
    out = df.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV that French Excel opens as is: UTF-8 with BOM, ``;`` separator, decimal comma."""
    text = neutralise_formulas(df).to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")
    return text.encode("utf-8-sig")


def _sheet_name(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip() or "Données"
    return cleaned[:31]


def to_xlsx_bytes(df: pd.DataFrame, sheet_name: str = "Données") -> bytes:
    """An XLSX workbook (openpyxl) with one sheet; numbers stay numbers."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        _plain_datetimes(neutralise_formulas(df)).to_excel(
            writer, index=False, sheet_name=_sheet_name(sheet_name)
        )
    return buffer.getvalue()


def safe_file_stem(name: str) -> str:
    """``Dépenses par catégorie 2025`` → ``depenses_par_categorie_2025``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9]+", "_", ascii_name).strip("_").lower()
    return stem or "tableau"


def _on_click(build: Callable[[], bytes], name: str, file_format: str) -> Callable[[], bytes]:
    """SEC (7.6, 7.8): the file is made only when the viewer clicks (nothing of it is kept
    under /media before), and each download is recorded in the audit trail."""
    from dashboard.auth import download_recorder

    audit = download_recorder(name, file_format)

    def data() -> bytes:
        payload = build()
        audit()
        return payload

    return data


def download_buttons(df: pd.DataFrame, name: str, *, key: str) -> None:
    """Two buttons (CSV, XLSX) for ``df``, which must already be what the viewer may see."""
    stem = safe_file_stem(name)
    left, right = st.columns([1, 1, 3])[:2]
    left.download_button(
        "Télécharger (CSV)",
        data=_on_click(lambda: to_csv_bytes(df), name, "csv"),
        file_name=f"{stem}.csv",
        mime=CSV_MIME,
        key=f"{key}_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    right.download_button(
        "Télécharger (Excel)",
        data=_on_click(lambda: to_xlsx_bytes(df, sheet_name=name), name, "xlsx"),
        file_name=f"{stem}.xlsx",
        mime=XLSX_MIME,
        key=f"{key}_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )


def table_with_downloads(
    df: pd.DataFrame,
    name: str,
    *,
    key: str,
    display: pd.DataFrame | None = None,
    **dataframe_kwargs: object,
) -> None:
    """Show a table and its downloads. ``display`` is an optional formatted copy (French text
    numbers); the downloads carry ``df``'s raw values so that a spreadsheet can compute."""
    st.dataframe(
        display if display is not None else df,
        hide_index=True,
        key=f"{key}_table",  # explicit: two identical tables on one page must not collide
        **dataframe_kwargs,
    )
    download_buttons(df, name, key=key)
