"""The landing sensor (one run per new file, keyed by content) and the automatic benchmark."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import LandingResource, WarehouseResource
from pipelines.definitions import build_defs
from pipelines.sensors import landing_sensor
from tests.conftest import SAMPLE_DIR
from warehouse.engine import make_engine
from warehouse.submissions import get_submission, list_submissions

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")

QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def land(landing: Path, chu: str, sample: str) -> Path:
    target = landing / chu / Path(sample).name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLE_DIR / sample, target)
    return target


def evaluate(landing: Path, url: str, settle: float = 0.0) -> list[dg.RunRequest]:
    context = dg.build_sensor_context(
        resources={
            "landing": LandingResource(directory=str(landing), settle_seconds=settle),
            "warehouse": WarehouseResource(database_url=url),
        }
    )
    result = landing_sensor(context)
    if isinstance(result, dg.SkipReason):
        return []
    return list(result.run_requests or [])


def run(request: dg.RunRequest, url: str) -> dg.ExecuteInProcessResult:
    """Execute what the sensor asked for, as the daemon would."""
    job = build_defs(database_url=url).resolve_job_def(request.job_name)
    return job.execute_in_process(
        run_config={**request.run_config, **QUIET},
        partition_key=request.partition_key,
        raise_on_error=False,
    )


def test_a_new_file_gives_one_run_in_its_partition_keyed_by_content(
    tmp_path: Path, sqlite_url: str
) -> None:
    path = land(tmp_path, "FES", "FES/maturite_fes_2025.csv")
    (request,) = evaluate(tmp_path, sqlite_url)
    assert request.job_name == "ingest_file"
    assert request.partition_key == "2025|FES"
    # Keyed by content and sender: the same bytes from FES never give a second run.
    assert request.run_key == f"{hashlib.sha256(path.read_bytes()).hexdigest()}:FES"
    config = request.run_config["ops"]["validated_submission"]["config"]
    assert Path(config["path"]) == path.resolve()
    assert request.tags["chu_bench/fichier"] == "FES/maturite_fes_2025.csv"

    assert run(request, sqlite_url).success
    # The same bytes again (even under another name): already stored, no new run.
    assert evaluate(tmp_path, sqlite_url) == []
    shutil.copyfile(path, path.with_name("copie.csv"))
    assert evaluate(tmp_path, sqlite_url) == []


def test_a_rejected_file_is_not_requested_again(tmp_path: Path, sqlite_url: str) -> None:
    land(tmp_path, "MAR", "MAR/maturite_mar_2024.csv")
    (request,) = evaluate(tmp_path, sqlite_url)
    assert request.partition_key == "2024|MAR"
    assert not run(request, sqlite_url).success  # blocking check
    assert evaluate(tmp_path, sqlite_url) == []


def test_a_file_in_another_chus_folder_is_rejected_on_column_chu(
    tmp_path: Path, sqlite_url: str
) -> None:
    # Fès's file dropped in Marrakech's folder: Marrakech is the sender.
    target = tmp_path / "MAR" / "maturite_fes_2025.csv"
    target.parent.mkdir()
    shutil.copyfile(SAMPLE_DIR / "FES" / "maturite_fes_2025.csv", target)
    (request,) = evaluate(tmp_path, sqlite_url)
    assert request.partition_key == "2025|MAR"

    result = run(request, sqlite_url)
    assert not result.success
    engine = make_engine(sqlite_url)
    (submission_id,) = list_submissions(engine)["id"].tolist()
    submission = get_submission(engine, int(submission_id))
    assert submission["status"] == "rejected"
    assert submission["sender_chu"] == "MAR"
    assert "chu" in {e["column"] for e in submission["report"]["errors"]}


def test_files_without_partition_use_the_unmapped_job(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "FES").mkdir()
    (tmp_path / "FES" / "vide.csv").write_bytes(b"")
    (tmp_path / "FES" / "classeur.csv").write_bytes(b"PK\x03\x04\x00\x00binaire")
    requests = evaluate(tmp_path, sqlite_url)
    assert {r.job_name for r in requests} == {"ingest_unmapped_file"}
    assert len(requests) == 2
    for request in requests:
        assert request.partition_key is None
        config = request.run_config["ops"]["store_unmapped_file"]["config"]
        assert config["sender_chu"] == "FES"
        assert run(request, sqlite_url).success
    assert list_submissions(make_engine(sqlite_url))["status"].tolist() == ["rejected"] * 2
    assert evaluate(tmp_path, sqlite_url) == []


def test_unknown_folders_and_fresh_files_are_left_alone(tmp_path: Path, sqlite_url: str) -> None:
    land(tmp_path, "Fez", "FES/profil_fes_2025.csv")  # not a registry code
    assert evaluate(tmp_path, sqlite_url) == []
    path = land(tmp_path, "fes", "FES/profil_fes_2025.csv")  # codes ignore case
    now = time.time()
    os.utime(path, (now, now))
    assert evaluate(tmp_path, sqlite_url, settle=60) == []  # may still be being copied
    (request,) = evaluate(tmp_path, sqlite_url, settle=0)
    assert request.partition_key == "2025|FES"


def test_missing_landing_folder_is_a_skip(tmp_path: Path, sqlite_url: str) -> None:
    context = dg.build_sensor_context(
        resources={
            "landing": LandingResource(directory=str(tmp_path / "absent")),
            "warehouse": WarehouseResource(database_url=sqlite_url),
        }
    )
    result = landing_sensor(context)
    assert isinstance(result, dg.SkipReason)
    assert "introuvable" in result.skip_message


def test_benchmark_refreshes_automatically_after_an_ingestion(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The automation condition requests the three benchmark assets once partitions were
    updated, although most CHU × year partitions are (and stay) missing."""
    defs = build_defs(database_url=sqlite_url, landing_dir=str(tmp_path))
    benchmark = dg.AssetSelection.assets("benchmark", "pooling_opportunities", "campaign_status")
    with dg.instance_for_test() as instance:
        path = land(tmp_path, "FES", "FES/profil_fes_2025.csv")
        defs.resolve_job_def("benchmark_job").execute_in_process(
            instance=instance, run_config=QUIET
        )
        first = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=benchmark
        )
        assert first.total_requested == 0  # up to date, nothing ingested since

        defs.resolve_job_def("ingest_file").execute_in_process(
            instance=instance,
            partition_key="2025|FES",
            run_config={
                "ops": {"validated_submission": {"config": {"path": str(path)}}},
                **QUIET,
            },
        )
        second = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=benchmark, cursor=first.cursor
        )
        assert second.total_requested == 3
        third = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=benchmark, cursor=second.cursor
        )
        assert third.total_requested == 0  # requested once, not on every tick

        # A rejected file changes the campaign status: it triggers a rebuild too.
        rejected = land(tmp_path, "MAR", "MAR/maturite_mar_2024.csv")
        defs.resolve_job_def("ingest_file").execute_in_process(
            instance=instance,
            partition_key="2024|MAR",
            run_config={
                "ops": {"validated_submission": {"config": {"path": str(rejected)}}},
                **QUIET,
            },
            raise_on_error=False,
        )
        fourth = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=benchmark, cursor=third.cursor
        )
        assert fourth.total_requested == 3


def test_an_oversized_file_is_kept_as_rejected_without_being_parsed(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHU_BENCH_MAX_FILE_BYTES", "1000")
    land(tmp_path, "FES", "FES/maturite_fes_2025.csv")
    (request,) = evaluate(tmp_path, sqlite_url)
    assert request.job_name == "ingest_unmapped_file"
    assert run(request, sqlite_url).success
    engine = make_engine(sqlite_url)
    (submission_id,) = list_submissions(engine)["id"].tolist()
    report = get_submission(engine, int(submission_id))["report"]
    assert [e["rule"] for e in report["errors"]] == ["fichier_trop_gros"]
