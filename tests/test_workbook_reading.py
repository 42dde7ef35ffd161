"""XLSX files go through the same contract as CSV (issue 10): values typed by Excel read
exactly, rows and columns named as Excel shows them, and every hostile workbook refused with
one French message, no traceback, in bounded memory."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from expectations.reading import read_table
from expectations.validate import validate_bytes
from expectations.workbook import MAX_UNCOMPRESSED_BYTES, csv_to_xlsx
from tests.conftest import PROJECT_ROOT, SAMPLE_DIR
from tests.workbook_support import (
    SHEET_PATH,
    comparable,
    encrypted_workbook,
    rewrite_zip,
    sample_table,
    with_cached_values,
    xlsx,
    zip_bomb,
)

FES_MATURITY = SAMPLE_DIR / "FES" / "maturite_fes_2025.csv"
FES_SPENDING = SAMPLE_DIR / "FES" / "depenses_fes_2025.csv"
FES_PROFILE = SAMPLE_DIR / "FES" / "profil_fes_2025.csv"


def _maturity_rows() -> tuple[list[str], list[list[object]]]:
    header, rows = sample_table(FES_MATURITY)
    return header, [list(row) for row in rows]


# --------------------------------------------------------------------------- values


def test_levels_typed_as_numbers_or_text_read_as_the_same_integer() -> None:
    header, rows = _maturity_rows()
    level = header.index("niveau")
    rows[0][level], rows[1][level], rows[2][level], rows[3][level] = 3, 3.0, "3", "3,0"
    rows[4][level] = "na"
    result = validate_bytes(xlsx([header, *rows]), "m.xlsx", sender_chu="FES")
    assert result.valid, result.report.errors
    niveaux = result.records["niveau"].tolist()
    assert niveaux[:4] == [3, 3, 3, 3]
    assert niveaux[4] is pd_na()


def pd_na() -> object:
    import pandas as pd

    return pd.NA


def test_amounts_as_numbers_or_french_text_read_exactly() -> None:
    header, rows = sample_table(FES_SPENDING)
    amount = header.index("montant_mad")
    typed: list[list[object]] = [list(r) for r in rows[:4]]
    typed[0][amount] = 1234.5
    typed[1][amount] = "1 234,50"
    typed[2][amount] = 150000
    typed[3][amount] = "1\u202f234\u202f567,89"
    result = validate_bytes(xlsx([header, *typed]), "d.xlsx", sender_chu="FES")
    assert result.valid, result.report.errors
    assert result.records["montant_mad"].tolist() == [1234.5, 1234.5, 150000.0, 1234567.89]


def test_a_date_in_a_number_column_is_an_error_never_a_number() -> None:
    header, rows = sample_table(FES_PROFILE)
    row: list[object] = list(rows[0])
    row[header.index("lits")] = dt.datetime(1902, 5, 14)  # Excel's serial 871 shown as a date
    result = validate_bytes(xlsx([header, row]), "p.xlsx", sender_chu="FES")
    assert result.records is None
    [error] = result.report.errors
    letter = "ABCDEFGHIJKL"[header.index("lits")]
    assert (error.line, error.column, error.rule) == (2, "lits", "lits_entier")
    assert error.message.startswith(f"Ligne 2, colonne {letter} (lits) : « 14/05/1902 »")
    [warning] = [w for w in result.report.warnings if w.rule == "date_excel"]
    assert (warning.line, warning.column) == (2, "lits")
    assert "date" in warning.message and "Standard" in warning.message


def test_rows_and_columns_are_named_as_excel_shows_them() -> None:
    """Header on row 3 from column B, a blank row among the data: Excel's numbering."""
    header, rows = _maturity_rows()
    level = header.index("niveau")
    rows[5][level] = 9
    body = [[None, *r] for r in rows]
    sheet = [[], [], [None, *header], *body[:3], [], *body[3:]]
    result = validate_bytes(xlsx(sheet), "m.xlsx", sender_chu="FES")
    [error] = result.report.errors
    # rows[5] sits at row 3 (header) + 1 + 5, plus the blank row after the third record.
    assert (error.line, error.column, error.rule) == (10, "niveau", "niveau_entre_0_et_5")
    assert error.message.startswith("Ligne 10, colonne E (niveau) : 9 n'est pas un niveau")


def test_the_sheet_named_after_the_kind_wins_over_the_first_sheet() -> None:
    header, rows = _maturity_rows()
    notes = [["Notes du DSI"], ["à relire avant envoi"]]
    named = xlsx(notes, title="Notes", more={"Maturité": [header, *rows]})
    read = read_table(named, "m.xlsx")
    assert (read.ok, read.kind, read.sheet, len(read.rows)) == (True, "maturite", "Maturité", 104)
    first = read_table(xlsx([header, *rows], title="Feuil1", more={"Notes": notes}), "m.xlsx")
    assert (first.ok, first.kind, first.sheet) == (True, "maturite", "Feuil1")


def test_formulas_read_as_their_cached_values() -> None:
    header, rows = sample_table(FES_PROFILE)
    row: list[object] = list(rows[0])
    row[header.index("lits")] = "=400+450"
    content = with_cached_values(
        xlsx([header, row]), {f"{'ABCDEFGHIJ'[header.index('lits')]}2": "850"}
    )
    result = validate_bytes(content, "p.xlsx", sender_chu="FES")
    assert result.valid, result.report.errors
    assert result.records["lits"].tolist() == [850]


def test_formulas_without_cached_values_are_refused() -> None:
    header, rows = sample_table(FES_PROFILE)
    row: list[object] = list(rows[0])
    row[header.index("lits")] = "=400+450"
    [error] = validate_bytes(xlsx([header, row]), "p.xlsx").report.errors
    letter = "ABCDEFGHIJ"[header.index("lits")]
    assert error.rule == "formule_sans_valeur"
    assert f"{letter}2" in error.message and "Collage spécial" in error.message


def test_invisible_control_characters_are_refused() -> None:
    header, rows = sample_table(FES_PROFILE)
    row: list[object] = list(rows[0])
    content = xlsx([header, row])
    content = rewrite_zip(
        content,
        lambda name, data: (
            data.replace(b"<t>FES</t>", b"<t>FES_x0000_</t>") if name == SHEET_PATH else data
        ),
    )
    [error] = validate_bytes(content, "p.xlsx").report.errors
    assert (error.rule, error.line) == ("caractere_invisible", 2)
    assert "colonne A" in error.message


# --------------------------------------------------------------------------- CSV ≡ XLSX


@pytest.mark.parametrize(
    "path", sorted(SAMPLE_DIR.glob("*/*.csv")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_csv_and_its_workbook_give_the_same_values_and_report(path: Path) -> None:
    csv_result = validate_bytes(path.read_bytes(), path.name, sender_chu=path.parent.name)
    book = csv_to_xlsx(path.read_bytes())
    xlsx_result = validate_bytes(book, path.name, sender_chu=path.parent.name)
    assert comparable(xlsx_result.report.to_dict()) == comparable(csv_result.report.to_dict())
    if csv_result.records is None:
        assert xlsx_result.records is None
    else:
        assert xlsx_result.records.equals(csv_result.records)


def test_workbook_messages_name_the_column_by_letter_and_contract_name() -> None:
    path = SAMPLE_DIR / "MAR" / "maturite_mar_2024.csv"  # broken on purpose: a level of 6
    report = validate_bytes(csv_to_xlsx(path.read_bytes()), path.name).report
    level = next(f for f in report.errors if f.rule == "niveau_entre_0_et_5")
    assert level.column == "niveau"
    assert level.message.startswith(f"Ligne {level.line}, colonne D (niveau) : 6 ")


# --------------------------------------------------------------------------- hostile files


def _valid_book() -> bytes:
    header, rows = _maturity_rows()
    return xlsx([header, *rows])


def _corrupted(content: bytes) -> bytes:
    """One byte of the sheet's compressed data flipped: the ZIP directory is intact."""
    import io
    import zipfile

    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(SHEET_PATH)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    target = start + info.compress_size // 2
    return content[:target] + bytes([content[target] ^ 0xFF]) + content[target + 1 :]


def _plain_zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("maturite.csv", "chu;annee\n")
    return buffer.getvalue()


def _ods() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def _encrypted_entries() -> bytes:
    """A ZIP whose entries carry the « encrypted » flag (ZipCrypto password)."""
    content = bytearray(_valid_book())
    index = content.find(b"PK\x01\x02")
    while index != -1:
        content[index + 8] |= 0x01
        index = content.find(b"PK\x01\x02", index + 4)
    return bytes(content)


HOSTILE = {
    "macros (vbaProject.bin)": (
        lambda: rewrite_zip(_valid_book(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}),
        "classeur_macros",
        "macros",
    ),
    "macros (content type)": (
        lambda: rewrite_zip(
            _valid_book(),
            lambda name, data: (
                data.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
                if name == "[Content_Types].xml"
                else data
            ),
        ),
        "classeur_macros",
        "macros",
    ),
    "encrypted (OLE container)": (encrypted_workbook, "classeur_chiffre", "mot de passe"),
    "encrypted (ZIP entries)": (_encrypted_entries, "classeur_chiffre", "mot de passe"),
    "old xls": (
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000),
        "classeur_xls",
        ".xlsx",
    ),
    "truncated": (lambda: _valid_book()[:3000], "fichier_binaire", "endommagé"),
    "corrupted data": (lambda: _corrupted(_valid_book()), "classeur_illisible", "endommagé"),
    "broken workbook.xml": (
        lambda: rewrite_zip(
            _valid_book(),
            lambda name, data: data[: len(data) // 2] if name == "xl/workbook.xml" else data,
        ),
        "classeur_illisible",
        "xl/workbook.xml",
    ),
    "ods": (_ods, "fichier_binaire", ".ods"),
    "plain zip": (_plain_zip, "fichier_binaire", ".zip"),
    "over 10 MB": (
        lambda: _valid_book() + bytes(11 * 1024 * 1024),
        "fichier_trop_gros",
        "10,0 Mo",
    ),
    "zip bomb (2 GiB declared)": (
        lambda: zip_bomb(2048),
        "classeur_trop_gros_decompresse",
        "100,0 Mo",
    ),
    "zip bomb (2 GiB behind a lying directory)": (
        lambda: zip_bomb(2048, declared=10_000),
        "classeur_trop_gros_decompresse",
        "décompressé",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE), ids=list(HOSTILE))
def test_hostile_workbooks_get_one_french_message_in_bounded_memory(case: str) -> None:
    build, rule, words = HOSTILE[case]
    content = build()
    tracemalloc.start()
    try:
        result = validate_bytes(content, "classeur.xlsx")
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [error] = result.report.errors
    assert error.rule == rule, error.message
    assert words in error.message
    assert error.message[0].isupper() and error.message.endswith(".")
    assert result.records is None
    # The file itself is in memory already; reading it may cost a few chunks more, never
    # what it expands to (2 GiB for the bombs).
    assert peak < len(content) * 3 + 16 * 1024 * 1024, peak


def test_the_uncompressed_cap_is_far_beyond_an_honest_workbook() -> None:
    assert len(_valid_book()) * 50 < MAX_UNCOMPRESSED_BYTES


def test_a_zip_bomb_through_the_real_command_stays_within_a_small_address_space(
    tmp_path: Path,
) -> None:
    """chu-bench validate on a 2 GiB bomb, in a process that could not even hold 2 GiB."""
    path = tmp_path / "bombe.xlsx"
    path.write_bytes(zip_bomb(2048, declared=10_000))
    code = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20));"
        "from pipelines.cli import main; sys.exit(main(['validate', sys.argv[1]]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "une fois décompressé" in done.stdout.lower()


def test_chu_bench_validate_takes_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from pipelines.cli import main

    broken = SAMPLE_DIR / "MAR" / "maturite_mar_2024.csv"
    target = tmp_path / "maturite_mar_2024.xlsx"
    target.write_bytes(csv_to_xlsx(broken.read_bytes()))
    assert main(["validate", str(target), "--chu", "MAR"]) == 1
    out = capsys.readouterr().out
    assert "Colonne D (niveau) : 6 n'est pas un niveau de 0 à 5" in out
    good = tmp_path / "maturite_fes_2025.xlsx"
    good.write_bytes(csv_to_xlsx(FES_MATURITY.read_bytes()))
    assert main(["validate", str(good), "--chu", "FES"]) == 0
