"""The landing folder stays inside itself (issue 7.2): a symbolic link (file or folder), or
a path that resolves outside the landing root, is refused without being read and kept as
a rejected submission with its path and a French reason; workbooks are picked up too."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import sqlalchemy as sa

from assets.landing import REASON_SYMLINK, plan_landing, scan_landing
from expectations.reference import load_reference
from pipelines.cli import main
from tests.ingestion_support import evaluate_landing_sensor, execute_request, land
from warehouse.engine import make_engine
from warehouse.schema import maturity_answers, profiles, spending_lines, submissions

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")

MARKER = "SECRET-HORS-DU-DEPOT-7f3a"
CODES = load_reference().chu_codes


def _outside_secret(tmp_path: Path) -> Path:
    """A valid-looking FES profile outside the landing folder, holding a marker."""
    outside = tmp_path / "ailleurs"
    outside.mkdir()
    secret = outside / "profil_fes_2025.csv"
    content = (Path(__file__).parent.parent / "data/sample/FES/profil_fes_2025.csv").read_bytes()
    secret.write_bytes(content + f"\n# {MARKER}\n".encode())
    return secret


def _everything_stored(url: str) -> str:
    """Every text and byte the warehouse holds about submissions and their rows."""
    engine = make_engine(url)
    parts = []
    with engine.connect() as conn:
        for table in (submissions, maturity_answers, spending_lines, profiles):
            for row in conn.execute(sa.select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("utf-8", "replace"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


def test_symlinked_files_and_folders_are_refused_and_recorded_never_read(
    tmp_path: Path, sqlite_url: str
) -> None:
    landing = tmp_path / "depot"
    secret = _outside_secret(tmp_path)
    land(landing, "FES", "FES/maturite_fes_2025.csv")
    (landing / "FES" / "secret.csv").symlink_to(secret)
    (landing / "MAR").symlink_to(secret.parent, target_is_directory=True)
    (landing / "RAB").mkdir()
    # A link to a file inside the landing folder is refused too: only plain files are read.
    (landing / "RAB" / "lien.csv").symlink_to(landing / "FES" / "maturite_fes_2025.csv")

    scan = scan_landing(landing, CODES)
    assert [f.display for f in scan.files] == ["FES/maturite_fes_2025.csv"]
    assert sorted(r.display for r in scan.refused) == ["FES/secret.csv", "MAR/", "RAB/lien.csv"]

    (request,) = evaluate_landing_sensor(landing, sqlite_url)
    assert execute_request(request, sqlite_url).success
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                submissions.c.filename,
                submissions.c.status,
                submissions.c.sender_chu,
                submissions.c.size_bytes,
                submissions.c.report,
            ).order_by(submissions.c.filename)
        ).all()
    refused = {r.filename: r for r in rows if r.filename != "maturite_fes_2025.csv"}
    assert sorted(refused) == ["FES/secret.csv", "MAR/", "RAB/lien.csv"]
    for row in refused.values():
        assert row.status == "rejected" and row.size_bytes == 0
        (error,) = row.report["errors"]
        assert error["rule"] == "chemin_refuse" and error["message"] == REASON_SYMLINK
    assert refused["MAR/"].sender_chu == "MAR"
    assert MARKER not in _everything_stored(sqlite_url)
    # Recorded once: the next tick has nothing to do.
    assert evaluate_landing_sensor(landing, sqlite_url) == []


def test_chu_bench_run_reports_a_refused_link(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    landing = tmp_path / "depot"
    secret = _outside_secret(tmp_path)
    land(landing, "FES", "FES/profil_fes_2025.csv")
    (landing / "FES" / "passwd.csv").symlink_to(secret)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["run", "--landing", str(landing), "--database-url", sqlite_url])
    assert code == 0, out.getvalue() + err.getvalue()
    assert "FES/passwd.csv … rejetée : 1 erreur" in out.getvalue()
    assert "Lien symbolique refusé" in out.getvalue()
    assert "FES/profil_fes_2025.csv … acceptée" in out.getvalue()
    assert MARKER not in _everything_stored(sqlite_url)


def test_a_file_swapped_for_a_link_after_the_scan_is_not_followed(tmp_path: Path) -> None:
    from assets.landing import read_landed

    secret = _outside_secret(tmp_path)
    link = tmp_path / "lien.csv"
    link.symlink_to(secret)
    with pytest.raises(OSError):
        read_landed(link)


def test_workbooks_are_picked_up_like_csv_files(tmp_path: Path, sqlite_url: str) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "chu",
            "annee",
            "lits",
            "effectif_total",
            "effectif_si",
            "effectif_ssi",
            "budget_total_mad",
            "budget_si_mad",
            "iso27001",
        ]
    )
    sheet.append(["FES", 2025, 900, 2700, 15, 1, 850000000, 13400000, "aucun"])
    folder = tmp_path / "FES"
    folder.mkdir()
    workbook.save(folder / "profil_fes_2025.xlsx")
    (folder / "notes.txt").write_text("pas un fichier du contrat")
    plan = plan_landing(tmp_path, make_engine(sqlite_url), CODES)
    assert [f.display for f in plan.new] == ["FES/profil_fes_2025.xlsx"]
