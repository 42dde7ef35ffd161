"""Downloads: CSV for French Excel and XLSX, with spreadsheet formulas neutralised."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from dashboard.downloads import (
    neutralise_cell,
    neutralise_formulas,
    safe_file_stem,
    to_csv_bytes,
    to_xlsx_bytes,
)

DANGEROUS = [
    '=HYPERLINK("http://x")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_starts_are_prefixed_with_a_quote(value: str) -> None:
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Pare-feu", "a=b", "CHU A", "", "1 234,5"])
def test_harmless_text_is_unchanged(value: str) -> None:
    assert neutralise_cell(value) == value


def test_numbers_stay_numbers() -> None:
    df = pd.DataFrame({"montant": [-5.0, 3.5], "texte": ["=1+1", "ok"]})
    safe = neutralise_formulas(df)
    assert safe["montant"].tolist() == [-5.0, 3.5]
    assert safe["texte"].tolist() == ["'=1+1", "ok"]
    assert df["texte"].tolist() == ["=1+1", "ok"]  # input untouched


def test_column_names_are_neutralised_too() -> None:
    safe = neutralise_formulas(pd.DataFrame({"=cmd": [1]}))
    assert list(safe.columns) == ["'=cmd"]


def test_csv_is_french_excel_friendly() -> None:
    df = pd.DataFrame(
        {"chu": ["CHU A", "CHU B"], "valeur": [1234.5, None], "note": ["=2*3", "Été"]}
    )
    content = to_csv_bytes(df)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel detects the encoding
    text = content.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "chu;valeur;note"
    assert lines[1] == "CHU A;1234,5;'=2*3"
    assert lines[2] == "CHU B;;Été"


def test_xlsx_reads_back_with_openpyxl_and_contains_no_formula() -> None:
    df = pd.DataFrame(
        {
            "nom": DANGEROUS + ["normal"],
            "montant": [1.5, -2.0, 3.0, 4.0, 5.0, 6.0, 7.25],
            "quand": pd.to_datetime(["2025-01-02T03:04:05Z"] * 7, utc=True),
        }
    )
    content = to_xlsx_bytes(df, sheet_name="Mutualisation: 2025/26?")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    assert sheet.title == "Mutualisation  2025 26"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("nom", "montant", "quand")
    for row, expected in zip(rows[1:], DANGEROUS, strict=False):
        # openpyxl stores a carriage return as a line feed; what matters is the quote.
        assert row[0] == "'" + expected.replace("\r", "\n")
    assert rows[-1][0] == "normal"
    assert rows[2][1] == -2.0  # numbers stay numbers
    assert rows[1][2].year == 2025
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"formule dans {cell.coordinate}"


def test_xlsx_of_an_empty_table_is_readable() -> None:
    content = to_xlsx_bytes(pd.DataFrame(columns=["a", "b"]))
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows == [("a", "b")]


def test_file_stems_are_ascii() -> None:
    assert safe_file_stem("Dépenses par catégorie 2025") == "depenses_par_categorie_2025"
    assert safe_file_stem("///") == "tableau"
