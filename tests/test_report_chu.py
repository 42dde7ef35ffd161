"""`chu-bench report --chu CODE`: one CHU's position, ISO readiness, plan and joint projects,
its peers as its DSI sees them (no peer name, code, city or region anywhere in the file),
every file-derived value escaped."""

from __future__ import annotations

import io
import re
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.dashboard_support import copy_warehouse, seeded_warehouse_fixture  # noqa: F401
from tests.iso_support import (
    REFERENCE_DIR,
    independent_joint_projects,
    independent_percentages,
    independent_plan,
    peer_leaks,
)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def url(seeded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_warehouse(seeded_warehouse, tmp_path_factory.mktemp("report_chu"))


def report(url: str, tmp_path: Path, chu: str, annee: int = 2025) -> str:
    target = tmp_path / f"{chu}.html"
    code, out, err = cli(
        "report", "--chu", chu, "--annee", str(annee), "-o", str(target), "--database-url", url
    )
    assert code == 0, err
    assert f"Rapport {annee} de {chu}" in out
    return target.read_text(encoding="utf-8")


@pytest.mark.parametrize("chu", ["FES", "TNG", "AGA"])
def test_no_other_chu_is_named_anywhere_in_the_file(url: str, tmp_path: Path, chu: str) -> None:
    document = report(url, tmp_path, chu)
    assert not peer_leaks(document, chu), peer_leaks(document, chu)


def test_fes_report_holds_its_figures(url: str, tmp_path: Path) -> None:
    document = report(url, tmp_path, "FES")
    text = re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", document))
    assert "CHU Hassan II de Fès — campagne 2025" in text
    for heading in ("1. Position", "2. Préparation", "3. Plan d'action", "4. Projets communs"):
        assert heading in text
    annex, clauses = independent_percentages(2025)["FES"]
    shown = lambda v: f"{v:.1f}".replace(".", ",") + "\u00a0%"  # noqa: E731
    assert f"Contrôles de l'annexe A prêts : {shown(annex)}" in text
    assert f"clauses prêtes : {shown(clauses)}" in text
    # One table row per plan measure, ranked 1…n.
    plan = independent_plan("FES", 2025)
    plan_table = document.split("3. Plan d'action")[1].split("4. Projets communs")[0]
    assert plan_table.count("<tr>") - 1 == len(plan)
    for mesure in plan:
        assert f">{mesure}<" in plan_table.replace("&#x27;", "'")
    # The joint projects FES belongs to in 2025, counted, never listed by peer.
    mine = [p for p in independent_joint_projects(3) if p["annee"] == 2025 and "FES" in p["chu"]]
    projects = document.split("4. Projets communs")[1]
    for project in mine:
        assert project["mesure_id"] in projects


def test_file_derived_values_are_escaped(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, reference)
    establishments = reference / "etablissements.csv"
    establishments.write_text(
        establishments.read_text(encoding="utf-8").replace(
            "CHU Hassan II de Fès", "CHU <script>alert(1)</script> de Fès"
        ),
        encoding="utf-8",
    )
    referential = reference / "referentiel_dnssi_2023.csv"
    referential.write_text(
        referential.read_text(encoding="utf-8").replace(
            "Usage de la messagerie électronique", "Usage <img src=x onerror=alert(2)>"
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("CHU_BENCH_REFERENCE_DIR", str(reference))
    document = report(url, tmp_path, "FES")
    assert "<script>alert" not in document and "<img src=x" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "&lt;img src=x onerror=alert(2)&gt;" in document


def test_unknown_chu_is_a_usage_error(url: str, tmp_path: Path) -> None:
    code, _out, err = cli(
        "report",
        "--chu",
        "XYZ",
        "--annee",
        "2025",
        "-o",
        str(tmp_path / "x.html"),
        "--database-url",
        url,
    )
    assert code == 2 and "CHU inconnu" in err


def test_too_few_peers_keeps_their_figures_and_count_secret(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHU_BENCH_SDC_MIN_PEERS", "6")  # FES has 5 peers in 2025
    document = report(url, tmp_path, "FES")
    position = document.split("1. Position")[1].split("2. Préparation")[0]
    assert "secret statistique" in position and "None" not in position
    assert not peer_leaks(document, "FES")
