"""The Dagster code location loads, and holds every asset, check, job, sensor and schedule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import (
    CHU_YEAR_PARTITIONS,
    has_partition,
    parse_partition_key,
    partition_key,
)
from expectations.reference import load_reference
from pipelines.definitions import build_defs, defs
from tests.conftest import PROJECT_ROOT

# Dagster 1.13 warns about a beta parameter it passes itself when binding resources.
pytestmark = pytest.mark.filterwarnings("ignore::dagster.BetaWarning")


def test_definitions_load_with_every_object() -> None:
    repository = defs.get_repository_def()
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == {"warehouse_load", "benchmark", "pooling_opportunities", "campaign_status"}
    assert {"ingest_batch", "benchmark_job"} <= set(repository.job_names)
    sensors = {s.name: s for s in repository.sensor_defs}
    assert set(sensors) == {"landing_sensor", "pending_submissions"}
    for sensor in sensors.values():
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
        assert sensor.job_name == "ingest_batch"
    assert sensors["landing_sensor"].minimum_interval_seconds == 30
    (schedule,) = repository.schedule_defs
    assert schedule.name == "weekly_benchmark"
    assert schedule.cron_schedule == "0 6 * * 1"
    assert schedule.execution_timezone == "Africa/Casablanca"
    assert schedule.job_name == "benchmark_job"


def test_contract_check_is_declared_on_the_partitioned_load_and_never_blocks() -> None:
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("warehouse_load")).partitions_def == CHU_YEAR_PARTITIONS
    (check,) = [k for k in graph.asset_check_keys if k.name == "contrat_respecte"]
    assert check.asset_key == dg.AssetKey("warehouse_load")
    # A rejected file must not stop anything: the check is evaluated, never blocking.
    assert not graph.get_check_spec(check).blocking
    landing = defs.resolve_assets_def("campaign_status").check_specs
    assert [spec.name for spec in landing] == ["depot_entierement_traite"]


def test_partitions_come_from_the_reference_data() -> None:
    reference = load_reference()
    keys = CHU_YEAR_PARTITIONS.get_partition_keys()
    assert len(keys) == len(reference.chu_codes) * len(reference.campaign_years)
    assert "2025|FES" in keys
    assert str(partition_key("FES", 2025)) == "2025|FES"
    assert has_partition("AGA", 2023)  # a partition, even if Agadir had no campaign yet
    assert not has_partition("FES", 2014)
    assert not has_partition("XYZ", 2025)


@pytest.mark.parametrize("key", ["2025|FES", partition_key("FES", 2025)])
def test_partition_keys_parse_from_strings_and_multi_keys(key: object) -> None:
    parsed = parse_partition_key(key)  # type: ignore[arg-type]
    assert (parsed.annee, parsed.chu) == (2025, "FES")


def test_build_asset_context_partition_key_is_parsed() -> None:
    context = dg.build_asset_context(partition_key="2024|MAR")
    assert parse_partition_key(context.partition_key).chu == "MAR"


def test_build_defs_binds_explicit_settings(tmp_path: Path) -> None:
    custom = build_defs(database_url=f"sqlite:///{tmp_path}/w.sqlite", landing_dir=str(tmp_path))
    resources = custom.resources or {}
    assert resources["warehouse"].database_url.endswith("w.sqlite")
    assert resources["landing"].path() == tmp_path


def test_definitions_module_does_not_import_great_expectations() -> None:
    code = (
        "import sys, pipelines.definitions as d; d.defs.get_repository_def(); "
        "print('great_expectations' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_production_workspace_validates() -> None:
    """``dagster definitions validate`` on deploy/workspace.yaml, from another directory:
    the code location loads through the production workspace file."""
    dagster = PROJECT_ROOT / ".venv" / "bin" / "dagster"
    if not dagster.exists():
        pytest.skip("dagster CLI absent de .venv")
    out = subprocess.run(
        [
            str(dagster),
            "definitions",
            "validate",
            "-w",
            str(PROJECT_ROOT / "deploy" / "workspace.yaml"),
        ],
        cwd="/",
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
