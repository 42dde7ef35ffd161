"""`chu-bench template … --format xlsx [--depuis ANNEE]` (issue 10): a workbook ready to fill
(drop-down lists, titles and chapters beside the ids, frozen header, locked id cells) that
is valid once filled, and prefilled with exactly the warehouse's answers of a campaign."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from expectations.contract import CATEGORIES, CSF_FUNCTIONS, ISO27001_STATES
from expectations.reference import load_reference
from expectations.templates import render_template, render_workbook
from expectations.validate import validate_bytes
from pipelines.cli import main
from tests.dashboard_support import (  # noqa: F401 - fixtures
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)
from tests.workbook_support import (
    filled_maturity_csv_lines,
    list_validations,
    open_book,
    save_book,
)
from warehouse.drafts import campaign_answers
from warehouse.engine import make_engine
from warehouse.ingestion import Channel, ReceivedFile, ingest_files


def test_maturity_workbook_is_ready_to_fill() -> None:
    measures = load_reference().measures_for_year(2025)
    book = open_book(render_workbook("maturite", "fes", 2025))
    sheet = book["maturite"]
    header = [c.value for c in sheet[1]]
    assert header == [
        "chu", "annee", "mesure_id", "titre_mesure", "chapitre", "niveau", "cible", "commentaire"
    ]  # fmt: skip
    assert sheet.max_row == len(measures) + 1
    first = [c.value for c in sheet[2]][:5]
    m = measures[0]
    assert first == ["FES", 2025, m.mesure_id, m.titre, f"{m.chapitre}. {m.chapitre_titre}"]
    assert sheet.freeze_panes == "F2"
    lists = list_validations(sheet)
    assert lists["niveau"] == ["0", "1", "2", "3", "4", "5", "NA"]
    assert lists["cible"] == ["0", "1", "2", "3", "4", "5"]
    # Protected without password; the id cells locked, the answers not.
    assert sheet.protection.sheet and not sheet.protection.password
    assert all(sheet.cell(2, i).protection.locked for i in range(1, 6))
    assert not any(sheet.cell(2, i).protection.locked for i in range(6, 9))
    assert not sheet.cell(105, 6).protection.locked


def test_spending_and_profile_workbooks_offer_theirlist_validations() -> None:
    spending = list_validations(open_book(render_workbook("depenses", "FES", 2025))["depenses"])
    assert spending["categorie"] == list(CATEGORIES)
    assert spending["nature"] == ["capex", "opex"]
    assert spending["fonction_csf"] == list(CSF_FUNCTIONS)
    assert spending["chu"] == ["FES"] and spending["annee"] == ["2025"]
    profile = list_validations(open_book(render_workbook("profil", "FES", 2025))["profil"])
    assert profile["iso27001"] == list(ISO27001_STATES)


def test_fresh_maturity_workbook_lacks_only_levels_then_is_valid_once_filled() -> None:
    content = render_workbook("maturite", "FES", 2025)
    report = validate_bytes(content, "modele.xlsx", sender_chu="FES").report
    assert {e.rule for e in report.errors} == {"niveau_obligatoire"}
    assert len(report.errors) == 104 and report.warnings == []
    assert report.errors[0].message.startswith("Ligne 2, colonne F (niveau) :")
    book = open_book(content)
    sheet = book["maturite"]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row, 6).value = 3 if row % 2 else "NA"  # typed, or picked in the list
        sheet.cell(row, 7).value = 4
    result = validate_bytes(save_book(book), "rempli.xlsx", sender_chu="FES")
    assert result.valid, result.report.errors[:3]
    assert result.records["niveau"].dropna().unique().tolist() == [3]


def test_filled_spending_and_profile_workbooks_are_valid() -> None:
    book = open_book(render_workbook("depenses", "FES", 2025))
    sheet = book["depenses"]
    sheet.append([])  # unused blank lines stay blank
    for row, values in enumerate(
        [
            ["FES", 2025, "logiciels", "opex", 120000, "EDR", "DE", "Editeur", "Produit"],
            ["FES", 2025, "formation", "capex", "15 000,50", "Sensibilisation", None, None, None],
        ],
        start=2,
    ):
        for column, value in enumerate(values, start=1):
            sheet.cell(row, column).value = value
    result = validate_bytes(save_book(book), "d.xlsx", sender_chu="FES")
    assert result.valid, result.report.errors[:3]
    assert result.records["montant_mad"].tolist() == [120000.0, 15000.5]

    book = open_book(render_workbook("profil", "FES", 2025))
    sheet = book["profil"]
    for column, value in enumerate(
        [850, 2400, 40, 3, 900_000_000, 18_000_000, "en_cours", 4, 2], 3
    ):
        sheet.cell(2, column).value = value
    result = validate_bytes(save_book(book), "p.xlsx", sender_chu="FES")
    assert result.valid, result.report.errors[:3]
    assert result.records["lits"].tolist() == [850]


@pytest.mark.parametrize("kind", ["maturite", "depenses", "profil"])
def test_depuis_prefills_exactly_the_warehouse_answers(
    kind: str, warehouse_url: str, tmp_path: Path
) -> None:
    target = tmp_path / f"{kind}.xlsx"
    code = main(
        ["template", kind, "--chu", "FES", "--annee", "2025", "--depuis", "2024",
         "--format", "xlsx", "-o", str(target), "--database-url", warehouse_url]
    )  # fmt: skip
    assert code == 0
    expected = campaign_answers(make_engine(warehouse_url), chu="FES", annee=2024, kind=kind)
    assert expected, "the seeded warehouse holds FES 2024"
    result = validate_bytes(target.read_bytes(), target.name, sender_chu="FES")
    assert result.valid, result.report.errors[:3]
    records = result.records.drop(columns=["line"]).to_dict(orient="records")
    assert len(records) == len(expected)
    for got, want in zip(records, expected, strict=True):
        assert got["annee"] == 2025 and want["annee"] == 2024
        for column, value in want.items():
            if column in ("annee", "submission_id", "line"):
                continue
            got_value = got[column]
            if kind == "maturite" and column == "niveau" and value == "NA":
                assert got_value is not None and str(got_value) == "<NA>"
                continue
            assert (None if str(got_value) in ("<NA>", "nan", "None") else got_value) == value


def test_formula_like_answers_are_escaped_in_the_workbook(
    warehouse_url: str, tmp_path: Path
) -> None:
    """A comment starting with = from the warehouse is written as text (Excel's quote prefix),
    never as a formula, and reads back unchanged."""
    engine = make_engine(warehouse_url)
    header, *lines = filled_maturity_csv_lines("FES", 2023)
    hostile = '=HYPERLINK("http://exemple.invalid","clic")'
    lines[0] = lines[0].replace(";3;4;", f';3;4;"{hostile.replace(chr(34), chr(34) * 2)}"')
    content = ("\r\n".join([header, *lines])).encode("utf-8")
    [outcome] = ingest_files(engine, [ReceivedFile(content, "m.csv", "FES", "test", Channel.TEST)])
    assert outcome.valid, outcome.errors[:2]
    [answer] = [
        a
        for a in campaign_answers(engine, chu="FES", annee=2023, kind="maturite")
        if a["commentaire"]
    ]
    assert answer["commentaire"] == hostile

    prefill = campaign_answers(engine, chu="FES", annee=2023, kind="maturite")
    workbook = render_workbook("maturite", "FES", 2025, prefill=prefill)
    sheet_xml = zipfile.ZipFile(io.BytesIO(workbook)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"HYPERLINK" in sheet_xml
    cell = next(
        c for row in open_book(workbook)["maturite"].iter_rows() for c in row if c.value == hostile
    )
    assert cell.data_type == "s" and cell.quotePrefix
    back = validate_bytes(workbook, "m.xlsx", sender_chu="FES").records
    assert hostile in back["commentaire"].tolist()
    # The CSV template, opened by Excel, gets OWASP's leading quote instead.
    csv_text = render_template("maturite", "FES", 2025, prefill=prefill).decode("utf-8-sig")
    assert f"'{hostile}" in csv_text.replace('""', '"')
