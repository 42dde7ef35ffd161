"""The schema is versioned with Alembic: a new warehouse is created by the revisions, a
warehouse of the version before Alembic is upgraded in place, the migrated database equals
schema.metadata, and two processes creating a fresh warehouse at once both succeed."""

from __future__ import annotations

import math
import multiprocessing
import os
import stat
from contextlib import nullcontext
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.dashboard_support import seeded_warehouse_fixture  # noqa: F401
from tests.migration_support import build_main_warehouse
from warehouse.engine import dispose_engines, make_engine
from warehouse.migrations import alembic_config, current_revision, head_revision
from warehouse.schema import BENCHMARK_COLUMNS, metadata

NEW_COLUMNS = ("preparation_iso27001_pct", "preparation_iso27001_clauses_pct")


@pytest.fixture(autouse=True)
def _fresh_engines():
    dispose_engines()
    yield
    dispose_engines()


def test_the_revisions_alone_give_exactly_the_metadata(database_url: str) -> None:
    """Only Alembic (not make_engine's safety net): any table or column of schema.py
    without its revision shows here."""
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        with pytest.warns(UserWarning) if conn.dialect.name == "sqlite" else nullcontext():
            # SQLite cannot reflect the expression index; it is checked below.
            diff = compare_metadata(context, metadata)
        assert diff == []
        if conn.dialect.name == "sqlite":
            sql = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'ux_submissions_sha256_sender'"
            ).scalar_one()
            assert "coalesce(sender_chu, '')" in sql.lower().replace('"', "")
    engine.dispose()


def _benchmark(url: str) -> pd.DataFrame:
    from warehouse.reads import read_benchmark

    return read_benchmark(make_engine(url))


def _same(a: object, b: object) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA:
        return b is None or (isinstance(b, float) and math.isnan(b)) or b is pd.NA
    return a == b


def test_a_warehouse_of_the_version_before_alembic_is_upgraded_in_place(
    database_url: str, seeded_warehouse: Path
) -> None:
    from expectations.reference import load_reference
    from warehouse.refresh import rebuild_benchmark

    source = f"sqlite:///{seeded_warehouse}"
    before = build_main_warehouse(database_url, source)
    assert len(before["submissions"]) == 48 and len(before["benchmark"]) > 0
    raw = sa.create_engine(database_url)
    assert "alembic_version" not in sa.inspect(raw).get_table_names()
    raw.dispose()

    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        for name, rows in before.items():
            count = conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
            assert count == len(rows), name
    # The same benchmark as before, plus the new columns, computed in place.
    old_rows = {(r["chu"], r["annee"]): r for r in before["benchmark"]}
    upgraded = _benchmark(database_url)
    expected = _benchmark(source)  # the sample warehouse of this version, built from scratch
    assert tuple(upgraded.columns) == BENCHMARK_COLUMNS
    for row in upgraded.to_dict(orient="records"):
        old = old_rows[(row["chu"], row["annee"])]
        for column in BENCHMARK_COLUMNS:
            if column not in NEW_COLUMNS:
                assert _same(row[column], old[column]), column
    pd.testing.assert_frame_equal(upgraded, expected, check_dtype=False)
    assert upgraded["preparation_iso27001_pct"].notna().any()
    # A rebuild changes nothing.
    rebuild_benchmark(engine, load_reference())
    pd.testing.assert_frame_equal(_benchmark(database_url), expected, check_dtype=False)
    # Accounts survived and still log in (their new session column starts at 0).
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT session_version FROM users")).scalars().all()
    assert versions and set(versions) == {0}


def _open(url: str, barrier: multiprocessing.synchronize.Barrier, queue) -> None:  # type: ignore[name-defined]
    try:
        barrier.wait(timeout=60)
        from warehouse.engine import make_engine as make

        engine = make(url)
        with engine.connect() as conn:
            queue.put(("ok", current_revision(conn)))
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        queue.put(("error", f"{type(exc).__name__}: {exc}"))


def test_two_processes_create_a_fresh_warehouse_at_once(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    queue = context.Queue()
    processes = [
        context.Process(target=_open, args=(database_url, barrier, queue)) for _ in range(3)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert results == [("ok", head_revision())] * 3, results
    engine = sa.create_engine(database_url)
    assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "entrepot.sqlite"
    previous = os.umask(0o022)  # a permissive umask: the mode must not depend on it
    try:
        make_engine(f"sqlite:///{path}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_two_chu_bench_runs_on_a_brand_new_warehouse_both_succeed(
    database_url: str, tmp_path: Path
) -> None:
    """Issue 8.7 as reported: two `chu-bench run` started at once on a new warehouse."""
    import shutil
    import subprocess
    import sys

    from tests.dashboard_support import SAMPLE_DIR

    landings = []
    for chu in ("FES", "MAR"):
        folder = tmp_path / f"landing_{chu}" / chu
        folder.mkdir(parents=True)
        shutil.copy(SAMPLE_DIR / chu / f"profil_{chu.lower()}_2025.csv", folder)
        landings.append(folder.parent)
    env = {
        k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CHU_BENCH_DATABASE_URL")
    }
    command = [sys.executable, "-m", "pipelines.cli", "run", "--database-url", database_url]
    runs = [
        subprocess.Popen(
            [*command, "--landing", str(landing)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for landing in landings
    ]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
        statuses = conn.execute(sa.text("SELECT chu, status FROM submissions ORDER BY chu")).all()
    engine.dispose()
    assert [tuple(s) for s in statuses] == [("FES", "current"), ("MAR", "current")]


def test_every_revision_downgrades_and_upgrades_again(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001_baseline")
    with engine.connect() as conn:
        assert current_revision(conn) == "0001_baseline"
        columns = {c["name"] for c in sa.inspect(conn).get_columns("benchmark")}
        assert not set(NEW_COLUMNS) & columns
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_a_warehouse_written_by_the_code_of_that_version_upgrades_in_place(
    database_url: str, tmp_path: Path
) -> None:
    """The faithful version of the test above: the code of commit 5413623 itself (git
    archive, run with this interpreter) runs `chu-bench run` on data/sample, then today's
    code opens the warehouse: the same export, plus the new columns equal to a fresh build."""
    import io
    import json
    import subprocess
    import sys
    import tarfile
    from contextlib import redirect_stdout

    from pipelines.cli import main
    from tests.conftest import PROJECT_ROOT, skip_or_fail

    old_tree = tmp_path / "main-5413623"
    archive = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "archive", "5413623"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        skip_or_fail(f"commit 5413623 absent de l'historique git : {archive.stderr.decode()[:200]}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(old_tree, filter="data")
    env = {
        k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CHU_BENCH_DATABASE_URL")
    }
    env["PYTHONPATH"] = str(old_tree)

    def old(*args: str) -> str:
        code = "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
        done = subprocess.run(
            [sys.executable, "-c", code, *args, "--database-url", database_url],
            cwd=old_tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    old("run", "--landing", str(old_tree / "data" / "sample"))
    before = json.loads(old("export", "--format", "json"))
    assert len(before) == 16 and "preparation_iso27001_pct" not in before[0]

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["export", "--format", "json", "--database-url", database_url]) == 0
    after = json.loads(out.getvalue())
    assert [{k: r[k] for k in b} for r, b in zip(after, before, strict=True)] == before
    readiness = {(r["chu"], r["annee"]): r["preparation_iso27001_pct"] for r in after}
    from tests.iso_support import independent_percentages

    for chu, (annex, _clauses) in independent_percentages(2025).items():
        assert readiness[(chu, 2025)] == annex, chu
