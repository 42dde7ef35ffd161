"""Shared fixtures: databases (SQLite always, PostgreSQL when CHU_BENCH_TEST_DATABASE_URL is set)
and paths to the project's data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
REQUIRE_SERVICES = os.environ.get("CHU_BENCH_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip with a visible reason on a developer machine; fail in CI, where the service must be up."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CHU_BENCH_REQUIRE_SERVICES=1: this test must run here)")
    pytest.skip(reason)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL to a fresh, empty schema of the test PostgreSQL server, dropped afterwards."""
    base = os.environ.get("CHU_BENCH_TEST_DATABASE_URL")
    if not base:
        skip_or_fail(
            "PostgreSQL non configuré : définir CHU_BENCH_TEST_DATABASE_URL (voir .ci/run)"
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        skip_or_fail(f"PostgreSQL injoignable à {base} : {exc.orig}")
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")
