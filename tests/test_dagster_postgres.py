"""The pipeline with Dagster's instance stored in a real PostgreSQL server.

The instance is built from deploy/dagster.yaml (the production configuration), pointed at
a fresh database created for the test and dropped afterwards; the warehouse is a fresh
schema of the test server (``postgres_url`` fixture). Skipped with a reason when
``CHU_BENCH_TEST_DATABASE_URL`` is unset (fails instead under CHU_BENCH_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.conftest import PROJECT_ROOT, SAMPLE_DIR, skip_or_fail

pytestmark = [pytest.mark.postgres, pytest.mark.filterwarnings("ignore::dagster.BetaWarning")]


@pytest.fixture
def dagster_postgres_url() -> Iterator[str]:
    """A ``postgresql+psycopg2://`` URL to a new database. dagster-postgres needs psycopg2;
    with SQLAlchemy 2.1 a plain ``postgresql://`` URL would select psycopg 3, under which
    its ``NOTIFY run_events, $1`` fails (see deploy/dagster.yaml)."""
    base = os.environ.get("CHU_BENCH_TEST_DATABASE_URL")
    if not base:
        skip_or_fail(
            "PostgreSQL non configuré : définir CHU_BENCH_TEST_DATABASE_URL (voir .ci/run)"
        )
    name = f"dagster_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        skip_or_fail(f"PostgreSQL injoignable à {base} : {exc.orig}")
    url = make_url(base).set(drivername="postgresql+psycopg2", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_pipeline_runs_are_stored_in_postgresql(
    tmp_path: Path, dagster_postgres_url: str, postgres_url: str
) -> None:
    from pipelines.ingest import run_landing

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(PROJECT_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    landing = tmp_path / "landing"
    for sample in (
        "FES/maturite_fes_2025.csv",
        "FES/profil_fes_2025.csv",
        "TNG/profil_tng_2025.csv",
    ):
        target = landing / sample
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLE_DIR / sample, target)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(home))
        patch.setenv("DAGSTER_POSTGRES_URL", dagster_postgres_url)
        with dg.DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
            summary = run_landing(landing, postgres_url, out=io.StringIO(), instance=instance)
            assert not summary.failed
            assert [o.status for o in summary.outcomes] == ["acceptee", "acceptee", "rejetee"]

            runs = instance.get_runs()
            assert len(runs) == 1  # one batch: three files and the benchmark refresh
            assert runs[0].status.value == "SUCCESS"  # the rejected file is a failed check
            loads = instance.fetch_materializations(dg.AssetKey("warehouse_load"), limit=10)
            assert sorted(r.partition_key for r in loads.records) == ["2025|FES", "2025|TNG"]
            key = dg.AssetCheckKey(dg.AssetKey("warehouse_load"), "contrat_respecte")
            history = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
            assert sorted((r.partition, r.status.value) for r in history) == [
                ("2025|FES", "SUCCEEDED"),
                ("2025|TNG", "FAILED"),
            ]
            assert instance.get_latest_materialization_event(dg.AssetKey("benchmark")) is not None

    # Everything above went through Dagster's own tables in the new database.
    engine = sa.create_engine(dagster_postgres_url)
    try:
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM runs")).scalar()
            events = conn.execute(sa.text("SELECT count(*) FROM event_logs")).scalar()
    finally:
        engine.dispose()
    assert count == 1 and events > 10

    # And the warehouse, on PostgreSQL too, holds the three submissions.
    from warehouse.engine import make_engine
    from warehouse.submissions import list_submissions

    stored = list_submissions(make_engine(postgres_url))
    assert sorted(stored["status"]) == ["current", "current", "rejected"]
