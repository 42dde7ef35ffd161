"""The Dagster code location of chu-bench (``dagster dev``, ``dg check defs``).

``defs`` reads its settings from the environment (``CHU_BENCH_DATABASE_URL``,
``CHU_BENCH_LANDING_DIR``); :func:`build_defs` builds the same definitions for explicit
settings, as ``chu-bench run --database-url`` and the tests need. Importing this module
does not import Great Expectations (it is imported inside the assets, when they run).
"""

from __future__ import annotations

import dagster as dg

from assets.benchmark import benchmark_tables
from assets.ingest import INGEST_ASSETS, INGEST_CHECKS
from assets.resources import (
    DEFAULT_POOLING_RATE,
    BenchmarkSettings,
    LandingResource,
    WarehouseResource,
)
from pipelines.jobs import benchmark_job, ingest_batch_job
from pipelines.schedules import weekly_benchmark_schedule
from pipelines.sensors import landing_sensor, pending_submissions_sensor


def build_defs(
    *,
    database_url: str | None = None,
    landing_dir: str | None = None,
    pooling_rate: float | None = None,
    settle_seconds: float = 5.0,
) -> dg.Definitions:
    """The definitions, with resources bound to these settings (None = environment)."""
    return dg.Definitions(
        assets=[*INGEST_ASSETS, benchmark_tables],
        asset_checks=INGEST_CHECKS,
        jobs=[ingest_batch_job, benchmark_job],
        sensors=[landing_sensor, pending_submissions_sensor],
        schedules=[weekly_benchmark_schedule],
        # Also for runs launched from the UI (Dagster's implicit asset job): our steps are
        # short, a subprocess per step would mostly import Great Expectations.
        executor=dg.in_process_executor,
        resources={
            "warehouse": WarehouseResource(database_url=database_url),
            "landing": LandingResource(directory=landing_dir, settle_seconds=settle_seconds),
            "settings": BenchmarkSettings(
                pooling_rate=DEFAULT_POOLING_RATE if pooling_rate is None else pooling_rate
            ),
        },
    )


defs = build_defs()
