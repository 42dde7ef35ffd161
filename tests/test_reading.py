"""Reading what people actually send (DESIGN §3.3): encodings, delimiters, line ends,
quoted fields, headers, numbers, empty / binary / oversized files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from expectations.numbers import parse_integer, parse_number
from expectations.reading import normalize_name, read_table
from expectations.validate import validate_bytes, validate_file
from tests.test_validation_builders import kind_bytes, table, to_bytes

# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 234 567,89", 1234567.89),
        ("1\u00a0234\u00a0567,89", 1234567.89),
        ("1\u202f234\u202f567,89", 1234567.89),
        ("1234567.89", 1234567.89),
        ("1234567,89", 1234567.89),
        ("  42 ", 42.0),
        ("-3", -3.0),
        ("0,5", 0.5),
    ],
)
def test_french_numbers_accepted(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        "1,234,567",
        "12abc",
        "1.234,56",
        "12 34",
        "",
        "1e5",
        "100 MAD",
        "1..2",
        "--1",
        "٣",
        "２０２５",
    ],
)
def test_ambiguous_or_lettered_numbers_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


def test_parse_integer_refuses_decimals() -> None:
    assert parse_integer("1 200") == 1200
    assert parse_integer("3,0") == 3
    with pytest.raises(ValueError):
        parse_integer("2,5")


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Année", "annee"),
        (" Montant_MAD ", "montant_mad"),
        ("MESURE_ID", "mesure_id"),
        ("\ufeffchu", "chu"),
        ("Montant MAD", "montant_mad"),
        ("Catégorie", "categorie"),
    ],
)
def test_header_normalisation(raw: str, name: str) -> None:
    assert normalize_name(raw) == name


def test_headers_matched_ignoring_case_accents_spaces() -> None:
    records = table("depenses")
    records[0] = [
        " CHU ",
        "Année",
        "Catégorie",
        "NATURE",
        " Montant_MAD ",
        "Libellé",
        "Fonction_CSF",
        "Fournisseur",
        "Solution",
    ]
    result = validate_bytes(to_bytes(records), "d.csv")
    assert result.report.valid, result.report.errors
    assert result.report.kind == "depenses"


# --------------------------------------------------------------------------- variants

VARIANTS = [
    {"encoding": "utf-8", "delimiter": ";", "newline": "\r\n"},
    {"encoding": "utf-8-sig", "delimiter": ";", "newline": "\n"},
    {"encoding": "utf-8", "delimiter": ",", "newline": "\n"},
    {"encoding": "utf-8-sig", "delimiter": "\t", "newline": "\r\n"},
    {"encoding": "utf-16-le-bom", "delimiter": "\t", "newline": "\r\n"},
    {"encoding": "utf-16-be-bom", "delimiter": ";", "newline": "\n"},
    {"encoding": "cp1252", "delimiter": ";", "newline": "\r\n"},
    {"encoding": "cp1252", "delimiter": ",", "newline": "\n"},
]


@pytest.mark.parametrize("kind", ["maturite", "depenses", "profil"])
def test_every_encoding_delimiter_line_end_gives_the_same_records(kind: str) -> None:
    rows = None
    if kind == "maturite":
        from tests.test_validation_builders import maturite_rows

        rows = maturite_rows()
        rows[0]["commentaire"] = "Sécurité « élevée » ; revue, à faire"
        rows[1]["commentaire"] = "Deux lignes\nde commentaire"
    baseline = None
    for options in VARIANTS:
        result = validate_bytes(kind_bytes(kind, rows, **options), f"{kind}.csv")
        assert result.report.valid, (options, result.report.errors[:3])
        if baseline is None:
            baseline = result.records
        else:
            assert result.records.equals(baseline), options
    if kind == "maturite":
        assert baseline.loc[0, "commentaire"] == "Sécurité « élevée » ; revue, à faire"


def test_delimiter_detection_with_decimal_commas() -> None:
    semicolon = to_bytes(table("profil"), delimiter=";")
    comma = to_bytes(table("profil"), delimiter=",")  # csv quotes "3,5" for us
    assert read_table(semicolon, "p.csv").delimiter == ";"
    assert read_table(comma, "p.csv").delimiter == ","
    assert b'"3,5"' in comma
    assert validate_bytes(comma, "p.csv").records.loc[0, "effectif_ssi"] == 3.5


def test_quoted_line_break_keeps_later_row_numbers() -> None:
    from tests.test_validation_builders import maturite_rows

    rows = maturite_rows()
    rows[0]["commentaire"] = "première ligne\nseconde ligne\ntroisième"
    rows[3]["niveau"] = "9"  # record index 4 -> spreadsheet row 5
    result = validate_bytes(kind_bytes("maturite", rows), "m.csv")
    assert [(f.line, f.column, f.rule) for f in result.report.errors] == [
        (5, "niveau", "niveau_entre_0_et_5")
    ]


def test_blank_rows_are_ignored_but_counted() -> None:
    from tests.test_validation_builders import maturite_rows

    records = table("maturite", maturite_rows())
    records.insert(2, ["", "", "", "", "", ""])  # becomes row 3
    records.insert(3, [])  # a truly empty line, row 4
    records[5][3] = "7"  # the 4th measure, now row 6
    result = validate_bytes(to_bytes(records), "m.csv")
    assert result.report.rows == 104
    assert [(f.line, f.rule) for f in result.report.errors] == [(6, "niveau_entre_0_et_5")]


def test_cells_are_trimmed() -> None:
    from tests.test_validation_builders import profil_rows

    rows = profil_rows()
    rows[0] = {k: f"  {v}\u00a0" for k, v in rows[0].items()}
    result = validate_bytes(kind_bytes("profil", rows), "p.csv")
    assert result.report.valid, result.report.errors
    assert result.records.loc[0, "iso27001"] == "en_cours"


# --------------------------------------------------------------------------- header problems


def test_missing_required_column_is_an_error_on_row_1() -> None:
    records = [row[:3] + row[4:] for row in table("maturite")]  # drop niveau
    result = validate_bytes(to_bytes(records), "m.csv")
    assert [(f.line, f.column, f.rule) for f in result.report.errors] == [
        (1, "niveau", "colonne_manquante")
    ]
    assert result.report.kind == "maturite"


def test_unknown_extra_column_is_a_warning() -> None:
    records = table("profil")
    records[0].append("Observations")
    records[1].append("RAS")
    result = validate_bytes(to_bytes(records), "p.csv")
    assert result.report.valid
    assert [(w.line, w.column, w.value, w.rule) for w in result.report.warnings] == [
        (1, None, "Observations", "colonne_inconnue")
    ]
    assert "Observations" in result.report.warnings[0].message


def test_unrecognisable_header_explains_the_three_kinds() -> None:
    result = validate_bytes(b"nom;prenom\nDupont;Jean\n", "maturite_fes_2025.csv")
    [error] = result.report.errors
    assert (error.line, error.column, error.rule) == (1, None, "type_non_reconnu")
    for word in ("maturité", "dépenses", "profil", "mesure_id", "montant_mad", "iso27001"):
        assert word in error.message
    assert result.report.kind is None  # never guessed from the file name


def test_too_many_cells_on_a_row() -> None:
    records = table("depenses")
    records[2].append("en trop")
    result = validate_bytes(to_bytes(records), "d.csv")
    assert [(f.line, f.column, f.rule) for f in result.report.errors] == [
        (3, None, "trop_de_valeurs")
    ]


# --------------------------------------------------------------------------- unreadable files


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "chu;annee\n")
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        (b"", "fichier_vide"),
        (b"  \r\n\r\n", "fichier_vide"),
        (b"\xef\xbb\xbf", "fichier_vide"),
        (PNG, "fichier_binaire"),
        (_zip_bytes(), "fichier_binaire"),
        (b"chu;annee\x00;x\n", "fichier_binaire"),
        (b"chu;annee\x01\x02\n", "fichier_binaire"),
        (b"chu;annee;niveau\n\x81\x8d\x8f;\x90;\x9d\n", "encodage_inconnu"),
    ],
)
def test_unreadable_content_gives_one_clear_french_error(content: bytes, rule: str) -> None:
    result = validate_bytes(content, "f.csv")
    [error] = result.report.errors
    assert (error.line, error.column, error.rule) == (None, None, rule)
    assert error.message[0].isupper() and error.message.endswith(".")
    assert result.records is None
    assert result.report.kind is None and result.report.rows == 0


def test_zip_message_names_excel() -> None:
    [error] = validate_bytes(_zip_bytes(), "f.csv").report.errors
    assert "xlsx" in error.message and "CSV" in error.message


def test_header_only_file() -> None:
    result = validate_bytes(to_bytes(table("depenses", [])), "d.csv")
    assert [(f.line, f.column, f.rule) for f in result.report.errors] == [
        (None, None, "aucune_donnee")
    ]
    assert result.report.kind == "depenses"


def test_oversized_content_refused_before_parsing() -> None:
    content = kind_bytes("maturite")
    result = validate_bytes(content, "m.csv", max_bytes=1000)
    [error] = result.report.errors
    assert error.rule == "fichier_trop_gros"
    assert "Ko" in error.message
    assert result.report.kind is None  # not even the header was read


def test_validate_file_checks_size_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "gros.csv"
    path.write_bytes(kind_bytes("maturite"))
    monkeypatch.setenv("CHU_BENCH_MAX_FILE_BYTES", "2048")

    def no_read(self: Path) -> bytes:
        raise AssertionError("the file must not be read")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    monkeypatch.setattr(Path, "open", no_read)
    result = validate_file(path)
    assert [f.rule for f in result.report.errors] == ["fichier_trop_gros"]


def test_size_limit_parameter_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(kind_bytes("profil"))
    assert validate_file(path).report.valid
    assert not validate_file(path, max_bytes=10).report.valid
    monkeypatch.setenv("CHU_BENCH_MAX_FILE_BYTES", "10")
    assert not validate_file(path).report.valid
    assert validate_file(path, max_bytes=10_000).report.valid
