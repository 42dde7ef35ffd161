"""Ingestion assets on a temporary SQLite warehouse: one file, one partition, one run."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from assets.ingest import validated_submission, warehouse_load
from assets.resources import WarehouseResource
from pipelines.definitions import build_defs
from tests.conftest import SAMPLE_DIR
from warehouse.engine import make_engine
from warehouse.schema import maturity_answers
from warehouse.submissions import list_submissions

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def land(landing: Path, chu: str, sample: str, name: str | None = None) -> Path:
    """Copy a sample file into ``landing/<chu>/``."""
    target = landing / chu / (name or Path(sample).name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLE_DIR / sample, target)
    return target


def ingest(path: Path, partition: str, url: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [validated_submission, warehouse_load],
        partition_key=partition,
        resources={"warehouse": WarehouseResource(database_url=url)},
        run_config={
            "ops": {"validated_submission": {"config": {"path": str(path)}}},
            **QUIET,
        },
        raise_on_error=False,
    )


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    found = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        found[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return found


def check_evaluations(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    return {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_valid_file_is_validated_then_loaded_as_current(tmp_path: Path, sqlite_url: str) -> None:
    path = land(tmp_path, "FES", "FES/maturite_fes_2025.csv")
    result = ingest(path, "2025|FES", sqlite_url)
    assert result.success

    mats = materializations(result)
    validated, loaded = mats["validated_submission"], mats["warehouse_load"]
    assert validated["dagster/row_count"] == 104
    assert validated["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert validated["statut"] == "valide"
    assert "| chu |" in str(validated["apercu"])  # Markdown preview of the first rows
    assert loaded["statut"] == "current" and loaded["dagster/row_count"] == 104
    assert check_evaluations(result)["contrat_respecte"].passed

    engine = make_engine(sqlite_url)
    stored = list_submissions(engine)
    assert stored["status"].tolist() == ["current"]
    assert int(stored["id"].iloc[0]) == loaded["submission_id"]
    assert stored["channel"].tolist() == ["capteur"]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(maturity_answers)).scalar()
    assert rows == 104


def test_invalid_file_is_kept_rejected_and_blocks_the_load(tmp_path: Path, sqlite_url: str) -> None:
    path = land(tmp_path, "MAR", "MAR/maturite_mar_2024.csv")
    result = ingest(path, "2024|MAR", sqlite_url)
    assert not result.success  # the blocking check failed the step

    check = check_evaluations(result)["contrat_respecte"]
    assert not check.passed
    assert check.metadata["erreurs"].value == 2
    assert "niveau" in check.metadata["rapport"].value

    mats = materializations(result)
    assert "warehouse_load" not in mats  # skipped: nothing invalid reaches the warehouse
    assert mats["validated_submission"]["statut"] == "rejete"

    stored = list_submissions(make_engine(sqlite_url))
    assert stored["status"].tolist() == ["rejected"]
    assert stored["n_errors"].tolist() == [2]
    assert int(stored["id"].iloc[0]) == mats["validated_submission"]["submission_id"]
    with make_engine(sqlite_url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(maturity_answers)).scalar() == 0


def test_same_bytes_twice_make_one_submission(tmp_path: Path, sqlite_url: str) -> None:
    path = land(tmp_path, "FES", "FES/profil_fes_2025.csv")
    assert ingest(path, "2025|FES", sqlite_url).success
    second = ingest(path, "2025|FES", sqlite_url)
    assert second.success
    assert materializations(second)["warehouse_load"]["nouvelle_soumission"] is False
    assert len(list_submissions(make_engine(sqlite_url))) == 1


def test_a_file_of_another_year_than_its_partition_fails_without_storing(
    tmp_path: Path, sqlite_url: str
) -> None:
    path = land(tmp_path, "FES", "FES/profil_fes_2025.csv")
    result = ingest(path, "2024|FES", sqlite_url)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "2025" in failure.event_specific_data.error.message
    assert list_submissions(make_engine(sqlite_url)).empty


def test_file_without_partition_goes_through_the_unmapped_job(
    tmp_path: Path, sqlite_url: str
) -> None:
    path = tmp_path / "FES" / "classeur.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PK\x03\x04 not a csv at all \x00\x01\x02")
    job = build_defs(database_url=sqlite_url).resolve_job_def("ingest_unmapped_file")
    result = job.execute_in_process(
        run_config={
            "ops": {"store_unmapped_file": {"config": {"path": str(path), "sender_chu": "FES"}}},
            **QUIET,
        }
    )
    outcome = result.output_for_node("store_unmapped_file")
    assert outcome["status"] == "rejected" and outcome["errors"] >= 1
    stored = list_submissions(make_engine(sqlite_url))
    assert stored["status"].tolist() == ["rejected"]
    assert stored["sender_chu"].tolist() == ["FES"]


def test_benchmark_assets_rebuild_and_recheck_the_landing_folder(
    tmp_path: Path, sqlite_url: str
) -> None:
    for kind in ("maturite", "depenses", "profil"):
        path = land(tmp_path, "FES", f"FES/{kind}_fes_2025.csv")
        assert ingest(path, "2025|FES", sqlite_url).success
    defs = build_defs(database_url=sqlite_url, landing_dir=str(tmp_path))
    job = defs.resolve_job_def("benchmark_job")

    result = job.execute_in_process(run_config=QUIET)
    assert result.success
    mats = materializations(result)
    assert mats["benchmark"]["dagster/row_count"] == 1
    assert "FES" in str(mats["benchmark"]["apercu"])
    assert mats["campaign_status"]["dagster/row_count"] > 0
    assert "pooling_opportunities" in mats
    assert check_evaluations(result)["depot_entierement_traite"].passed

    # A file the sensor missed, and a folder that is not a CHU: a warning, not a failure.
    land(tmp_path, "MAR", "MAR/profil_mar_2025.csv")
    (tmp_path / "Fez").mkdir()
    result = job.execute_in_process(run_config=QUIET)
    assert result.success
    check = check_evaluations(result)["depot_entierement_traite"]
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["fichiers_en_attente"].value == 1
    assert "MAR/profil_mar_2025.csv" in check.metadata["details"].value
    assert check.metadata["dossiers_ignores"].value == 1
