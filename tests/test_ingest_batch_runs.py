"""The landing sensor and the ``ingest_batch`` run: one run per batch of files, a rejection
is a failed ERROR check on its CHU × year partition (the run succeeds), the benchmark is
refreshed by the same run."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import SAMPLE_DIR
from tests.ingestion_support import (
    check_evaluations,
    evaluate_landing_sensor,
    execute_request,
    land,
    materializations,
)
from warehouse.engine import make_engine
from warehouse.reads import read_benchmark
from warehouse.submissions import get_submission, list_submissions

pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")


def _files(request: dg.RunRequest) -> list[dict]:
    return request.run_config["ops"]["ingest"]["config"]["files"]


def test_new_files_give_one_run_that_loads_them_and_refreshes_the_benchmark(
    tmp_path: Path, sqlite_url: str
) -> None:
    paths = [land(tmp_path, "FES", f"FES/{k}_fes_2025.csv") for k in ("maturite", "depenses")]
    paths.append(land(tmp_path, "MAR", "MAR/profil_mar_2025.csv"))
    (request,) = evaluate_landing_sensor(tmp_path, sqlite_url)
    assert request.job_name in (None, "ingest_batch") and request.partition_key is None
    assert sorted(Path(f["path"]) for f in _files(request)) == sorted(p.absolute() for p in paths)
    assert {f["sender_chu"] for f in _files(request)} == {"FES", "MAR"}

    result = execute_request(request, sqlite_url)
    assert result.success
    loads = [
        m for m in materializations(result) if m.asset_key.to_user_string() == "warehouse_load"
    ]
    assert sorted(m.partition for m in loads) == ["2025|FES", "2025|MAR"]
    fes = next(m for m in loads if m.partition == "2025|FES")
    assert fes.metadata["en_vigueur"].value == 2 and fes.metadata["rejetees"].value == 0
    checks = check_evaluations(result)
    assert sorted(c.partition for c in checks) == ["2025|FES", "2025|MAR"]
    assert all(c.passed for c in checks)
    assert next(c for c in checks if c.partition == "2025|FES").metadata["fichiers"].value == 2
    assert {m.asset_key.to_user_string() for m in materializations(result)} >= {
        "benchmark",
        "pooling_opportunities",
        "campaign_status",
    }
    engine = make_engine(sqlite_url)
    assert list_submissions(engine)["status"].tolist() == ["current"] * 3
    assert set(list_submissions(engine)["channel"]) == {"capteur"}
    bench = read_benchmark(engine)
    assert bench[["chu", "annee"]].values.tolist() == [["FES", 2025], ["MAR", 2025]]
    assert bench.loc[bench["chu"] == "FES", "indice_maturite"].notna().all()

    # The same bytes again, even under another name: already received, no new run.
    assert evaluate_landing_sensor(tmp_path, sqlite_url) == []
    shutil.copyfile(paths[0], paths[0].with_name("copie.csv"))
    assert evaluate_landing_sensor(tmp_path, sqlite_url) == []


def test_a_rejected_file_is_a_failed_error_check_on_its_partition_and_the_run_succeeds(
    tmp_path: Path, sqlite_url: str
) -> None:
    land(tmp_path, "MAR", "MAR/maturite_mar_2024.csv")
    (request,) = evaluate_landing_sensor(tmp_path, sqlite_url)
    result = execute_request(request, sqlite_url)
    assert result.success  # a rejection is data, not a failure of the pipeline
    (check,) = check_evaluations(result)
    assert check.check_name == "contrat_respecte" and check.partition == "2024|MAR"
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["erreurs"].value == 2
    engine = make_engine(sqlite_url)
    (submission_id,) = list_submissions(engine)["id"].tolist()
    assert check.metadata["soumissions_rejetees"].value == str(submission_id)
    report = get_submission(engine, int(submission_id))["report"]
    # The check's report gives each error's rule, line and column, never the value read
    # nor the message (which quotes it): those stay in the warehouse.
    rapport = check.metadata["rapport"].value
    for error in report["errors"]:
        assert error["rule"] in rapport
        if error["line"] is not None:
            assert f"| {error['line']} |" in rapport
    assert "Ligne 13" not in rapport and "n'est pas un niveau" not in rapport
    assert evaluate_landing_sensor(tmp_path, sqlite_url) == []  # not requested again


def test_a_file_in_another_chus_folder_is_rejected_on_the_senders_partition(
    tmp_path: Path, sqlite_url: str
) -> None:
    # Fès's file dropped in Marrakech's folder: Marrakech is the sender.
    land(tmp_path, "MAR", "FES/maturite_fes_2025.csv")
    (request,) = evaluate_landing_sensor(tmp_path, sqlite_url)
    result = execute_request(request, sqlite_url)
    assert result.success
    (check,) = check_evaluations(result)
    assert check.partition == "2025|MAR" and not check.passed
    engine = make_engine(sqlite_url)
    (submission_id,) = list_submissions(engine)["id"].tolist()
    submission = get_submission(engine, int(submission_id))
    assert submission["status"] == "rejected" and submission["sender_chu"] == "MAR"
    assert "chu" in {e["column"] for e in submission["report"]["errors"]}


def test_files_without_a_partition_are_kept_as_rejected(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "FES").mkdir()
    (tmp_path / "FES" / "vide.csv").write_bytes(b"")
    (tmp_path / "FES" / "classeur.csv").write_bytes(b"PK\x03\x04\x00\x00binaire")
    (request,) = evaluate_landing_sensor(tmp_path, sqlite_url)
    assert len(_files(request)) == 2
    result = execute_request(request, sqlite_url)
    assert result.success and check_evaluations(result) == []  # no partition to show on
    stored = list_submissions(make_engine(sqlite_url))
    assert stored["status"].tolist() == ["rejected"] * 2
    assert set(stored["sender_chu"]) == {"FES"}
    assert evaluate_landing_sensor(tmp_path, sqlite_url) == []


def test_five_hundred_new_files_give_one_run(tmp_path: Path, sqlite_url: str) -> None:
    content = (SAMPLE_DIR / "FES" / "profil_fes_2025.csv").read_bytes()
    folder = tmp_path / "FES"
    folder.mkdir()
    for index in range(500):
        # Trailing blank lines: other bytes (another submission), same data.
        (folder / f"profil_{index:03}.csv").write_bytes(content + b"\n" * index)
    requests = evaluate_landing_sensor(tmp_path, sqlite_url)
    assert len(requests) == 1 and len(_files(requests[0])) == 500
    assert requests[0].tags["chu_bench/fichiers"] == "500"


def test_unknown_folders_and_fresh_files_are_left_alone(tmp_path: Path, sqlite_url: str) -> None:
    land(tmp_path, "Fez", "FES/profil_fes_2025.csv")  # not a registry code
    assert evaluate_landing_sensor(tmp_path, sqlite_url) == []
    path = land(tmp_path, "fes", "FES/profil_fes_2025.csv")  # codes ignore case
    now = time.time()
    os.utime(path, (now, now))
    assert evaluate_landing_sensor(tmp_path, sqlite_url, settle=60) == []  # still being copied
    (request,) = evaluate_landing_sensor(tmp_path, sqlite_url, settle=0)
    assert [f["sender_chu"] for f in _files(request)] == ["FES"]


def test_missing_landing_folder_is_a_skip(tmp_path: Path, sqlite_url: str) -> None:
    from assets.resources import LandingResource, WarehouseResource
    from pipelines.sensors import landing_sensor

    context = dg.build_sensor_context(
        resources={
            "landing": LandingResource(directory=str(tmp_path / "absent")),
            "warehouse": WarehouseResource(database_url=sqlite_url),
        }
    )
    result = landing_sensor(context)
    assert isinstance(result, dg.SkipReason)
    assert "introuvable" in result.skip_message


def test_an_oversized_file_is_kept_as_rejected_without_being_parsed(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHU_BENCH_MAX_FILE_BYTES", "1000")
    land(tmp_path, "FES", "FES/maturite_fes_2025.csv")
    (request,) = evaluate_landing_sensor(tmp_path, sqlite_url)
    assert execute_request(request, sqlite_url).success
    engine = make_engine(sqlite_url)
    (submission_id,) = list_submissions(engine)["id"].tolist()
    report = get_submission(engine, int(submission_id))["report"]
    assert [e["rule"] for e in report["errors"]] == ["fichier_trop_gros"]


def test_the_run_key_is_the_batch_of_bytes_and_senders(tmp_path: Path, sqlite_url: str) -> None:
    path = land(tmp_path, "FES", "FES/profil_fes_2025.csv")
    (first,) = evaluate_landing_sensor(tmp_path, sqlite_url)
    (again,) = evaluate_landing_sensor(tmp_path, sqlite_url)
    assert first.run_key == again.run_key  # the daemon launches it once
    (entry,) = _files(first)
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    land(tmp_path, "MAR", "MAR/profil_mar_2025.csv")
    (bigger,) = evaluate_landing_sensor(tmp_path, sqlite_url)
    assert bigger.run_key != first.run_key
