"""Typed Dagster resources: where the warehouse is, where files land, how savings are estimated.

Each field can be set in the Definitions (``build_defs``), by environment variable, or in the
launchpad of the Dagster UI. The warehouse URL is never put in run config by our own code:
it may hold a password, and run config is stored with every run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from expectations.reference import PROJECT_ROOT
from warehouse.refresh import BenchmarkSettings as Settings
from warehouse.refresh import benchmark_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

LANDING_DIR_ENV = "CHU_BENCH_LANDING_DIR"
DEFAULT_LANDING_DIR = PROJECT_ROOT / "data" / "sample"
# The one source of the benchmark's settings is warehouse.refresh (CHU_BENCH_POOLING_RATE).
DEFAULT_POOLING_RATE = benchmark_settings().pooling_rate


def default_landing_dir() -> Path:
    """``CHU_BENCH_LANDING_DIR`` when set, else ``data/sample`` (the demonstration alliance)."""
    return Path(os.environ.get(LANDING_DIR_ENV) or DEFAULT_LANDING_DIR)


class WarehouseResource(dg.ConfigurableResource):
    """The SQL warehouse (SQLite by default, PostgreSQL in production).

    ``database_url`` is any SQLAlchemy URL; when empty, ``CHU_BENCH_DATABASE_URL`` is used,
    else the SQLite file ``data/warehouse.sqlite``. Engines are cached per URL by
    ``warehouse.engine.make_engine``, which also creates the schema when missing.
    """

    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the warehouse; empty = CHU_BENCH_DATABASE_URL, "
            "else data/warehouse.sqlite."
        ),
    )

    def get_engine(self) -> Engine:
        from warehouse.engine import make_engine

        return make_engine(self.database_url)

    def describe(self) -> str:
        """The URL without its password, for logs and metadata."""
        from sqlalchemy.engine import make_url

        from warehouse.engine import resolve_database_url

        return make_url(resolve_database_url(self.database_url)).render_as_string(
            hide_password=True
        )


class LandingResource(dg.ConfigurableResource):
    """The landing folder the CHUs drop their files in: ``<directory>/<CHU>/*.csv``.

    The folder name says who sent the file: a file placed in ``FES/`` is validated as sent
    by Fès, so a file about another CHU is rejected (error on column ``chu``).
    """

    directory: str | None = Field(
        default=None,
        description="Landing folder; empty = CHU_BENCH_LANDING_DIR, else data/sample.",
    )

    settle_seconds: float = Field(
        default=5.0,
        ge=0.0,
        description="A file modified more recently than this is left for the next sensor tick.",
    )

    def path(self) -> Path:
        return Path(self.directory) if self.directory else default_landing_dir()


class BenchmarkSettings(dg.ConfigurableResource):
    """How the benchmark is computed; defaults from ``warehouse.refresh.benchmark_settings``
    (``CHU_BENCH_POOLING_RATE``), the same settings every rebuild uses."""

    pooling_rate: float = Field(
        default=DEFAULT_POOLING_RATE,
        ge=0.0,
        le=1.0,
        description=(
            "Savings rate assumed when CHUs pool a purchase (0.15 = 15 %), "
            "used for economie_estimee_mad."
        ),
    )

    def to_settings(self) -> Settings:
        return Settings(pooling_rate=self.pooling_rate)
