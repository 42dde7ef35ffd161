"""`chu-bench template`: files French Excel opens (``;``, UTF-8 BOM, CRLF), maturite prefilled
with every measure of the campaign."""

from __future__ import annotations

from pathlib import Path

import pytest

from expectations.reference import load_reference
from expectations.templates import render_template
from expectations.validate import validate_bytes
from pipelines.cli import main


def test_maturite_template_lists_every_measure() -> None:
    content = render_template("maturite", "fes", 2025)
    assert content.startswith(b"\xef\xbb\xbf")
    text = content[3:].decode("utf-8")
    lines = text.split("\r\n")
    assert lines[-1] == ""  # ends with CRLF
    assert "\n" not in text.replace("\r\n", "")
    assert lines[0] == "chu;annee;mesure_id;niveau;cible;commentaire"
    measures = load_reference().measures_for_year(2025)
    assert len(lines) - 2 == len(measures) == 104
    assert lines[1] == f"FES;2025;{measures[0].mesure_id};;;"


def test_freshly_generated_maturite_template_only_lacks_levels() -> None:
    result = validate_bytes(render_template("maturite", "FES", 2025), "modele.csv")
    assert result.report.kind == "maturite" and result.report.chu == "FES"
    assert {e.rule for e in result.report.errors} == {"niveau_obligatoire"}
    assert len(result.report.errors) == 104


def test_filled_maturite_template_is_valid() -> None:
    text = render_template("maturite", "RAB", 2024).decode("utf-8-sig")
    filled = text.replace(";;;\r\n", ";3;4;\r\n")
    result = validate_bytes(filled.encode("utf-8-sig"), "rempli.csv")
    assert result.report.valid, result.report.errors[:3]
    assert (result.report.chu, result.report.annee) == ("RAB", 2024)


@pytest.mark.parametrize(
    ("kind", "header"),
    [
        (
            "depenses",
            "chu;annee;categorie;nature;montant_mad;libelle;fonction_csf;fournisseur;solution",
        ),
        (
            "profil",
            "chu;annee;lits;effectif_total;effectif_si;effectif_ssi;budget_total_mad;"
            "budget_si_mad;iso27001;stade_numerique;incidents_declares",
        ),
    ],
)
def test_other_templates(kind: str, header: str) -> None:
    text = render_template(kind, "TNG", 2025).decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == header
    assert lines[1].startswith("TNG;2025;") and set(lines[1][9:]) == {";"}
    assert validate_bytes(text.encode("utf-8-sig"), "t.csv").report.kind == kind


def test_unknown_chu_or_kind_refused() -> None:
    with pytest.raises(ValueError, match="CHU inconnu"):
        render_template("maturite", "XYZ", 2025)
    with pytest.raises(ValueError, match="type de fichier inconnu"):
        render_template("budget", "FES", 2025)


def test_cli_template_to_file_and_stdout(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    target = tmp_path / "modele.csv"
    assert main(["template", "profil", "--chu", "cas", "--annee", "2025", "-o", str(target)]) == 0
    assert target.read_bytes() == render_template("profil", "CAS", 2025)
    capsysbinary.readouterr()
    assert main(["template", "depenses", "--chu", "FES", "--annee", "2025"]) == 0
    assert capsysbinary.readouterr().out == render_template("depenses", "FES", 2025)


def test_cli_template_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["template", "maturite", "--chu", "XYZ", "--annee", "2025"]) == 2
    assert "code CHU inconnu" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["template", "budget", "--chu", "FES", "--annee", "2025"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main(["template", "maturite", "--chu", "FES"])  # --annee is required
    missing_dir = tmp_path / "absent" / "m.csv"
    assert (
        main(["template", "maturite", "--chu", "FES", "--annee", "2025", "-o", str(missing_dir)])
        == 2
    )
