"""`chu-bench report`: a self-contained French HTML report of a campaign."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from expectations.reference import load_reference
from expectations.validate import validate_file
from pipelines.cli import main
from tests.conftest import SAMPLE_DIR
from warehouse.engine import make_engine
from warehouse.refresh import rebuild_benchmark
from warehouse.submissions import store_submission


@pytest.fixture(scope="module")
def warehouse_2025(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The 2025 sample files stored without Dagster (the report only reads the warehouse)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'warehouse.sqlite'}"
    engine = make_engine(url)
    for path in sorted(SAMPLE_DIR.glob("*/*_2025.csv")):
        result = validate_file(path, sender_chu=path.parent.name)
        store_submission(
            engine,
            content=path.read_bytes(),
            filename=path.name,
            result=result,
            sender="test",
            channel="cli",
            sender_chu=path.parent.name,
        )
    rebuild_benchmark(engine, load_reference())
    yield url


def report(url: str, annee: int, output: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["report", "--annee", str(annee), "-o", str(output), "--database-url", url])
    return code, out.getvalue() + err.getvalue()


def test_report_is_self_contained_and_names_every_chu(warehouse_2025: str, tmp_path: Path) -> None:
    output = tmp_path / "rapport.html"
    code, messages = report(warehouse_2025, 2025, output)
    assert code == 0, messages
    assert "Rapport 2025 écrit" in messages
    document = output.read_text(encoding="utf-8")
    text = html.unescape(document)

    # plotly.js is inlined once, nothing is fetched from the network
    assert re.search(r"<script[^>]+src=[\"']?https?:", document) is None
    assert document.count("Plotly.newPlot") >= 5
    assert len(re.findall(r"plotly\.js v\d", document)) == 1

    assert '<html lang="fr">' in document
    for establishment in load_reference().establishments.values():
        assert establishment.nom in text
    for title in (
        "Chiffres clés",
        "Maturité de la cybersécurité",
        "Dépenses de sécurité",
        "Opportunités de mutualisation",
        "État de la campagne",
    ):
        assert title in text
    # French numbers: decimal comma in the tables and in Plotly's separators
    assert re.search(r"<td class=\"num\">\d,\d\d</td>", document)
    assert '"separators":", "' in document
    # Tanger's profile was rejected: its ratios are shown as missing, not as 0
    assert "—" in text
    assert "Invalide" in text


def test_report_for_a_year_without_data_still_opens(warehouse_2025: str, tmp_path: Path) -> None:
    output = tmp_path / "vide.html"
    code, _messages = report(warehouse_2025, 2023, output)
    assert code == 0
    text = html.unescape(output.read_text(encoding="utf-8"))
    assert "Aucune donnée de benchmark pour 2023" in text
    assert "Membre depuis 2025" in text  # Agadir joined the alliance in 2025


def test_report_usage_errors(tmp_path: Path) -> None:
    code, messages = report("sqlite://", 2025, tmp_path)  # a folder, not a file
    assert code == 2 and "dossier" in messages
    with pytest.raises(SystemExit) as excinfo, redirect_stderr(io.StringIO()):
        main(["report", "-o", str(tmp_path / "x.html")])  # --annee is required
    assert excinfo.value.code == 2
