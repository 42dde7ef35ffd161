"""`chu-bench validate`: exit codes 0/1/2, the §3.4 JSON, a readable French summary, and no
traceback whatever the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.test_reading import PNG
from tests.test_validation_builders import kind_bytes, maturite_rows

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_valid_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "profil.csv", kind_bytes("profil"))
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALIDE — profil.csv")
    assert "CHU FES" in out and "année 2025" in out


def test_invalid_file_exits_1_with_errors_grouped_by_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = maturite_rows()
    rows[5]["niveau"] = "6"
    rows[5]["cible"] = "9"
    rows.pop(50)
    path = _write(tmp_path, "maturite.csv", kind_bytes("maturite", rows))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("INVALIDE — maturite.csv")
    assert "3 erreur(s)" in out
    assert "\nFichier :\n  - Colonne « mesure_id » : la mesure" in out
    block = out.split("Ligne 7 :\n", 1)[1]
    assert block.startswith("  - Colonne « niveau » : 6 n'est pas un niveau de 0 à 5.")
    assert "  - Colonne « cible » : 9 n'est pas un niveau cible" in block


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = maturite_rows()
    rows[5]["niveau"] = "6"
    path = _write(tmp_path, "maturite_fes_2025.csv", kind_bytes("maturite", rows))
    assert main(["validate", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "file": "maturite_fes_2025.csv",
        "kind": "maturite",
        "chu": "FES",
        "annee": 2025,
        "valid": False,
        "rows": 104,
        "errors": [
            {
                "line": 7,
                "column": "niveau",
                "value": "6",
                "rule": "niveau_entre_0_et_5",
                "message": "Ligne 7, colonne « niveau » : 6 n'est pas un niveau de 0 à 5. "
                "Indiquez un entier de 0 à 5, ou NA si la mesure ne s'applique pas.",
            }
        ],
        "warnings": [],
    }


def test_warnings_do_not_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = kind_bytes("profil").replace(b"incidents_declares", b"incidents_declares;remarque", 1)
    path = _write(tmp_path, "p.csv", content)
    assert main(["validate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is True and data["warnings"][0]["rule"] == "colonne_inconnue"


def test_chu_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, "d.csv", kind_bytes("depenses"))
    assert main(["validate", str(path), "--chu", "fes"]) == 0
    assert main(["validate", str(path), "--chu", "MAR", "--json"]) == 1
    out = capsys.readouterr().out
    data = json.loads(out.strip().splitlines()[-1])
    assert [(e["line"], e["column"], e["rule"]) for e in data["errors"]] == [
        (2, "chu", "chu_expediteur")
    ]


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "absent.csv")]) == 2
    assert "fichier introuvable" in capsys.readouterr().err
    path = _write(tmp_path, "d.csv", kind_bytes("depenses"))
    assert main(["validate", str(path), "--chu", "XYZ"]) == 2
    assert "code CHU inconnu" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(path), "--format", "xml"])
    assert exit_info.value.code == 2
    assert "erreur d'utilisation" in capsys.readouterr().err
    assert main(["validate", str(tmp_path)]) == 2  # a directory is not a file


@pytest.mark.parametrize(
    ("content", "phrase"),
    [(b"", "vide"), (PNG, "image PNG"), (b"\x00" * 64, "n'est pas un fichier texte CSV")],
)
def test_unreadable_files_give_a_french_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, phrase: str
) -> None:
    path = _write(tmp_path, "f.csv", content)
    assert main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    assert phrase in captured.out
    assert "Traceback" not in captured.out + captured.err


def test_oversized_file_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHU_BENCH_MAX_FILE_BYTES", "100")
    path = _write(tmp_path, "m.csv", kind_bytes("maturite"))
    assert main(["validate", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"][0]["rule"] == "fichier_trop_gros"
    assert data["kind"] is None and data["chu"] is None and data["annee"] is None


def test_real_process_binary_file_no_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "classeur.csv", b"PK\x03\x04" + bytes(range(256)) * 4)
    executable = Path(sys.executable).parent / "chu-bench"
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "pipelines.cli"]
    completed = subprocess.run(
        [*command, "validate", str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    data = json.loads(completed.stdout)
    assert data["errors"][0]["rule"] == "fichier_binaire"
    assert "xlsx" in data["errors"][0]["message"]


def test_start_up_stays_light() -> None:
    """GX costs seconds to import (DESIGN §9): nothing imports it before a file is validated."""
    code = (
        "import sys, pipelines.cli, expectations.validate, expectations.reading, "
        "expectations.labels, expectations.templates\n"
        "pipelines.cli.build_parser()\n"
        "heavy = [m for m in ('great_expectations', 'dagster', 'streamlit') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, check=False
    )
    assert completed.returncode == 0, completed.stderr
