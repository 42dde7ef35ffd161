"""Schedules: the weekly rebuild of the benchmark."""

from __future__ import annotations

import dagster as dg

from pipelines.jobs import benchmark_job

# Monday morning, Moroccan time, before the DSIs' weekly meetings. The rebuild also
# re-checks the landing folder (asset check ``depot_entierement_traite``): files the
# sensor missed are listed there.
weekly_benchmark_schedule = dg.ScheduleDefinition(
    name="weekly_benchmark",
    cron_schedule="0 6 * * 1",
    execution_timezone="Africa/Casablanca",
    job=benchmark_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Chaque lundi à 6 h (heure du Maroc) : recalcul du benchmark et contrôle du dossier de dépôt.",
)
