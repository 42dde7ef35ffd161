"""Nothing of a file leaves the warehouse (issue 8.3), and a rejection is data (8.6): after
``chu-bench run`` recorded in a Dagster instance, no file content is found anywhere under
DAGSTER_HOME; on the sample no run failed and the three broken files are failed checks."""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from pipelines.cli import main
from tests.conftest import SAMPLE_DIR
from tests.ingestion_support import with_first_row_value
from warehouse.engine import make_engine
from warehouse.schema import maturity_answers, submissions

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")

# In a comment of a valid file (stored as a row of the warehouse), and as the value of an
# invalid cell (quoted by the stored report's message).
COMMENT_MARKER = "MARQUEUR-COMMENTAIRE-91c2e7"
CELL_MARKER = "MARQUEUR-CELLULE-5d04aa"
BROKEN = {"2023|CAS", "2024|MAR", "2025|TNG"}


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """data/sample with the two markers, run once into a Dagster instance of its own."""
    root = tmp_path_factory.mktemp("home")
    landing = root / "depot"
    shutil.copytree(SAMPLE_DIR, landing)
    maturity = landing / "FES" / "maturite_fes_2025.csv"
    maturity.write_bytes(
        with_first_row_value(
            maturity.read_bytes(), "maturite", lambda _v: COMMENT_MARKER, "commentaire"
        )
    )
    profile = landing / "FES" / "profil_fes_2024.csv"
    profile.write_bytes(
        with_first_row_value(profile.read_bytes(), "profil", lambda _v: CELL_MARKER, "iso27001")
    )
    home = root / "dagster_home"
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["run", "--landing", str(landing), "--database-url", url])
    assert code == 0, out.getvalue() + err.getvalue()
    return home, url, out.getvalue()


def test_no_file_content_is_found_under_dagster_home(recorded_run: tuple[Path, str, str]) -> None:
    home, url, _out = recorded_run
    # Both markers did reach the warehouse: the test looks for something that exists.
    engine = make_engine(url)
    with engine.connect() as conn:
        comments = conn.execute(sa.select(maturity_answers.c.commentaire)).scalars().all()
        reports = [str(r) for r in conn.execute(sa.select(submissions.c.report)).scalars()]
    assert COMMENT_MARKER in comments
    assert any(CELL_MARKER in r for r in reports)

    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)  # the instance's SQLite event log is there
    for path in files:
        data = path.read_bytes()
        for marker in (COMMENT_MARKER, CELL_MARKER):
            assert marker.encode() not in data, f"{marker} trouvé dans {path}"
            assert marker.encode("utf-16-le") not in data, f"{marker} trouvé dans {path}"


def test_on_the_sample_no_run_fails_and_the_broken_files_are_failed_checks(
    recorded_run: tuple[Path, str, str],
) -> None:
    home, _url, out = recorded_run
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_runs()
            assert len(runs) == 1  # one batch for the whole folder
            assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
            key = dg.AssetCheckKey(dg.AssetKey("warehouse_load"), "contrat_respecte")
            history = instance.event_log_storage.get_asset_check_execution_history(key, limit=500)
    failed = {r.partition for r in history if r.status.value == "FAILED"}
    # The sample's three broken files, and the profile the test broke with its marker.
    assert failed == BROKEN | {"2024|FES"}
    # One evaluation per partition that received files (16 of them in the sample).
    partitions = {f"{p.stem.split('_')[-1]}|{p.parent.name}" for p in SAMPLE_DIR.glob("*/*.csv")}
    assert {r.partition for r in history} == partitions
    assert "Benchmark recalculé." in out
