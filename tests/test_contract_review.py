"""Adversarial review of the contract layer (DESIGN §3, §6): realistic DSI files that used to
get a wrong verdict, a wrong row, an English message or a traceback."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from expectations.validate import validate_bytes
from pipelines.cli import main
from tests.test_validation_builders import (
    depenses_rows,
    errors_of,
    kind_bytes,
    table,
    to_bytes,
    validate,
)


def _french(message: str) -> None:
    """No English left over from Python or the csv module in a user-facing message."""
    for english in ("field larger", "field limit", "expected after", "unexpected end", "Errno"):
        assert english not in message, message


# --------------------------------------------------------------------------- reading


def test_unclosed_quote_never_swallows_rows_silently() -> None:
    """`"Pare-feu 3 ans` (a quote opened, never closed) used to turn the rest of the file into
    one libelle cell: the file was VALID with one spending line silently lost."""
    rows = depenses_rows()
    rows[1]["libelle"] = "PLACEHOLDER"
    content = kind_bytes("depenses", rows).replace(b"PLACEHOLDER", b'"Pare-feu 3 ans')
    result = validate_bytes(content, "depenses.csv")
    assert not result.report.valid
    assert errors_of(result) == [(3, "libelle", "guillemet_non_ferme")]
    message = result.report.errors[0].message
    assert message.startswith("Ligne 3, colonne « libelle » : ")
    assert "guillemet" in message
    assert result.records is None


def test_unclosed_quote_on_last_row_without_final_newline() -> None:
    content = kind_bytes("depenses").rstrip(b"\r\n") + b';"fin'
    result = validate_bytes(content, "depenses.csv")
    assert not result.report.valid
    assert [e.rule for e in result.report.errors] == ["guillemet_non_ferme"]
    assert result.report.errors[0].line == 4


def test_quoted_line_breaks_are_still_fine() -> None:
    rows = depenses_rows()
    rows[0]["libelle"] = 'Licences "EDR"\nsur trois\nlignes'
    rows[2]["montant_mad"] = "douze"
    result = validate("depenses", rows)
    assert errors_of(result) == [(4, "montant_mad", "montant_mad_nombre")]


def test_huge_cell_is_reported_in_french() -> None:
    rows = depenses_rows()
    rows[0]["libelle"] = "x" * 200_000
    result = validate("depenses", rows)
    assert not result.report.valid
    finding = result.report.errors[0]
    assert finding.line == 2 and finding.rule == "csv_illisible"
    _french(finding.message)
    assert "caractères" in finding.message


def test_huge_single_line_is_reported_in_french() -> None:
    result = validate_bytes(b"chu;annee;" + b"a" * 500_000, "ligne.csv")
    assert not result.report.valid
    assert result.report.errors[0].line == 1
    _french(result.report.errors[0].message)


def test_data_under_a_nameless_column_is_not_dropped_silently() -> None:
    """Header `…;solution;` (empty last name) with values in that column: the values were
    ignored without a word; an unknown extra column is a warning (DESIGN §3.3)."""
    records = table("depenses")
    records[0] = records[0] + [""]
    records[1:] = [row + ["à vérifier"] for row in records[1:]]
    result = validate_bytes(to_bytes(records), "depenses.csv")
    assert result.report.valid
    assert [(w.line, w.column, w.rule) for w in result.report.warnings] == [
        (1, None, "colonne_sans_nom")
    ]
    message = result.report.warnings[0].message
    assert message.startswith("Ligne 1 : ")
    assert "J" in message and "à vérifier" in message and "ignor" in message


def test_empty_nameless_column_gives_no_warning() -> None:
    records = table("depenses")
    records = [row + [""] for row in records]
    result = validate_bytes(to_bytes(records), "depenses.csv")
    assert result.report.valid and result.report.warnings == []


@pytest.mark.parametrize("content", [b";;;;\r\n;;;;\r\n", b",,,\n\n,,,\n", b'"";""\r\n'])
def test_file_of_empty_cells_is_empty(content: bytes) -> None:
    """Excel exports an empty sheet with formatted cells as rows of separators: that is an
    empty file, not an unrecognised header."""
    result = validate_bytes(content, "vide.csv")
    assert [(e.line, e.rule) for e in result.report.errors] == [(None, "fichier_vide")]


# --------------------------------------------------------------------------- sender (--chu)


def test_sender_mismatch_quotes_the_chu_the_file_is_about() -> None:
    """First row's chu left empty, the others MAR, sent for FES: the message said « le fichier
    concerne  alors qu'il est envoyé pour FES » and the empty cell was no longer reported."""
    rows = depenses_rows()
    rows[0]["chu"] = ""
    rows[1]["chu"] = rows[2]["chu"] = "MAR"
    result = validate("depenses", rows, sender_chu="FES")
    found = errors_of(result)
    assert (2, "chu", "chu_obligatoire") in found
    mismatch = [e for e in result.report.errors if e.rule == "chu_expediteur"]
    assert len(mismatch) == 1
    assert mismatch[0].value == "MAR"
    assert "concerne MAR alors qu'il est envoyé pour FES" in mismatch[0].message


def test_sender_mismatch_is_on_the_first_row() -> None:
    rows = depenses_rows()
    for row in rows:
        row["chu"] = "mar"
    result = validate("depenses", rows, sender_chu="fes")
    assert errors_of(result) == [(2, "chu", "chu_expediteur")]


# --------------------------------------------------------------------------- CLI validate


def test_validate_a_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "erreur d'utilisation" in err and "dossier" in err


def test_validate_an_unreadable_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "profil.csv"
    path.write_bytes(kind_bytes("profil"))

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert "erreur d'utilisation" in captured.err and "lire" in captured.err
    _french(captured.err)
    assert "Traceback" not in captured.err and captured.out == ""


def test_lower_case_chu_option_and_json_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "profil.csv"
    path.write_bytes(kind_bytes("profil"))
    assert main(["validate", str(path), "--chu", "fes", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["file", "kind", "chu", "annee", "valid", "rows", "errors", "warnings"]
    assert main(["validate", str(path), "--chu", "mar", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert list(data["errors"][0]) == ["line", "column", "value", "rule", "message"]
    assert (data["errors"][0]["line"], data["errors"][0]["column"]) == (2, "chu")


# --------------------------------------------------------------------------- CLI template


@pytest.mark.parametrize("annee", ["2010", "2099"])
def test_template_refuses_a_year_no_file_can_have(
    annee: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A template for 2099 used to be written: 104 rows to fill for a year validate refuses."""
    target = tmp_path / "modele.csv"
    assert main(["template", "maturite", "--chu", "FES", "--annee", annee, "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "erreur d'utilisation" in err and "2015" in err
    assert not target.exists()


def test_template_year_not_a_number_is_french(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["template", "profil", "--chu", "FES", "--annee", "deux-mille"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid int value" not in err and "n'est pas une année" in err


def test_template_kind_any_case(tmp_path: Path) -> None:
    target = tmp_path / "modele.csv"
    assert main(["template", "Profil", "--chu", "FES", "--annee", "2025", "-o", str(target)]) == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbfchu;annee;lits")


def test_template_output_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "profil", "--chu", "FES", "--annee", "2025", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "erreur d'utilisation" in err and "dossier" in err
    assert "IsADirectoryError" not in err


def test_render_template_refuses_a_year_out_of_range() -> None:
    from expectations.templates import render_template

    with pytest.raises(ValueError, match="2015"):
        render_template("profil", "FES", 2014)


def test_parser_namespace_is_unchanged() -> None:
    """The template parser still yields an int year and the canonical kind."""
    from pipelines.cli import build_parser

    args = build_parser().parse_args(["template", "MATURITE", "--chu", "fes", "--annee", "2025"])
    assert isinstance(args, argparse.Namespace)
    assert (args.kind, args.annee) == ("maturite", 2025)
