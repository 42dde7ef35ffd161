"""The alliance benchmark (DESIGN §5): recomputed from the current data of every partition.

One step rebuilds the three tables in one warehouse transaction
(``warehouse.refresh.rebuild_benchmark``), so they are three assets of one multi-asset.
They refresh:

* after ingestions, when the Dagster daemon runs: their automation condition fires once
  the partitions they depend on were updated and no ingestion is still running (a burst
  of 50 files gives one rebuild, not 50);
* weekly, through the schedule of ``pipelines/schedules.py``, which also re-checks the
  landing folder (asset check ``depot_entierement_traite``);
* at the end of ``chu-bench run``.
"""

# No ``from __future__ import annotations``: Dagster reads config and resource types
# from the annotations at definition time.
from collections.abc import Iterator
from typing import TYPE_CHECKING

import dagster as dg

from assets.ingest import VALIDATED_SUBMISSION, WAREHOUSE_LOAD
from assets.landing import markdown_table, scan_landing
from assets.resources import BenchmarkSettings, LandingResource, WarehouseResource

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BENCHMARK_GROUP = "benchmark"
BENCHMARK = dg.AssetKey("benchmark")
POOLING = dg.AssetKey("pooling_opportunities")
CAMPAIGN_STATUS = dg.AssetKey("campaign_status")
LANDING_CHECK = "depot_entierement_traite"

# ``eager()`` minus "no dependency missing": the benchmark depends on every CHU × year
# partition, and some will always be missing (Agadir joined in 2025), which would block
# eager() forever. Kept: wait for running ingestions, never two rebuilds at once.
BENCHMARK_AUTOMATION = dg.AutomationCondition.eager().without(
    ~dg.AutomationCondition.any_deps_missing()
)

_DEPS = [VALIDATED_SUBMISSION, WAREHOUSE_LOAD]


@dg.multi_asset(
    group_name=BENCHMARK_GROUP,
    specs=[
        dg.AssetSpec(
            BENCHMARK,
            deps=_DEPS,
            kinds={"sql"},
            automation_condition=BENCHMARK_AUTOMATION,
            description=(
                "Tableau du benchmark (§5) : une ligne par CHU et par année, indicateurs de "
                "maturité et de dépenses, rang et évolution."
            ),
        ),
        dg.AssetSpec(
            POOLING,
            deps=_DEPS,
            kinds={"sql"},
            automation_condition=BENCHMARK_AUTOMATION,
            description=(
                "Opportunités de mutualisation : même solution ou même fournisseur acheté par "
                "au moins deux CHU la même année, avec l'économie estimée."
            ),
        ),
        dg.AssetSpec(
            CAMPAIGN_STATUS,
            deps=_DEPS,
            kinds={"sql"},
            automation_condition=BENCHMARK_AUTOMATION,
            description="État de la campagne : fichier valide, invalide ou manquant par CHU, année et type.",
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            LANDING_CHECK,
            asset=CAMPAIGN_STATUS,
            description=(
                "Chaque fichier du dossier de dépôt a été reçu par l'entrepôt (les fichiers en "
                "attente sont listés) et chaque dossier porte le code d'un CHU du registre."
            ),
        )
    ],
)
def benchmark_tables(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    landing: LandingResource,
    settings: BenchmarkSettings,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    from expectations.reference import load_reference
    from warehouse.benchmark import POOLING_COLUMNS
    from warehouse.reads import read_benchmark, read_campaign_status, read_pooling
    from warehouse.refresh import rebuild_benchmark

    engine = warehouse.get_engine()
    reference = load_reference()
    counts = rebuild_benchmark(engine, reference, pooling_rate=settings.pooling_rate)
    context.log.info(f"Benchmark recalculé : {counts}.")

    table = read_benchmark(engine)
    latest = table[table["annee"] == table["annee"].max()] if not table.empty else table
    preview_columns = [
        "chu",
        "annee",
        "indice_maturite",
        "rang_maturite",
        "depense_ssi_mad",
        "part_budget_si_pct",
        "evolution_indice",
    ]
    yield dg.MaterializeResult(
        asset_key=BENCHMARK,
        metadata={
            "dagster/row_count": len(table),
            "annees": ", ".join(str(y) for y in sorted(table["annee"].dropna().unique())),
            "apercu": dg.MetadataValue.md(
                markdown_table(latest[preview_columns].to_dict(orient="records"), preview_columns)
            ),
        },
    )

    pooling = read_pooling(engine)
    pooling_columns = [c for c in POOLING_COLUMNS if c not in ("taux_economie", "submission_ids")]
    yield dg.MaterializeResult(
        asset_key=POOLING,
        metadata={
            "dagster/row_count": len(pooling),
            "taux_economie": settings.pooling_rate,
            "apercu": dg.MetadataValue.md(
                markdown_table(pooling[pooling_columns].to_dict(orient="records"), pooling_columns)
            ),
        },
    )

    status = read_campaign_status(engine)
    counts_by_status = status["status"].value_counts().to_dict() if not status.empty else {}
    yield dg.MaterializeResult(
        asset_key=CAMPAIGN_STATUS,
        metadata={
            "dagster/row_count": len(status),
            **{f"nb_{name}": int(count) for name, count in sorted(counts_by_status.items())},
        },
    )
    yield landing_check(engine, landing, reference.chu_codes)


def landing_check(
    engine: "Engine", landing: LandingResource, chu_codes: list[str]
) -> dg.AssetCheckResult:
    """Files of the landing folder that the warehouse has not received yet (the sensor was
    stopped, a run failed): a warning listing them, so that the weekly run shows them."""
    from warehouse.submissions import sha256_hex, submission_exists

    scan = scan_landing(landing.path(), chu_codes)
    pending = [
        {"fichier": f.display}
        for f in scan.files
        if not submission_exists(engine, sha256_hex(f.path.read_bytes()), f.chu)
    ]
    unknown = [{"dossier": p.name} for p in scan.unknown_folders]
    parts = []
    if pending:
        parts.append("**Fichiers en attente**\n\n" + markdown_table(pending, ["fichier"], 50))
    if unknown:
        parts.append(
            "**Dossiers ignorés** (pas un code du registre)\n\n"
            + markdown_table(unknown, ["dossier"], 50)
        )
    return dg.AssetCheckResult(
        asset_key=CAMPAIGN_STATUS,
        check_name=LANDING_CHECK,
        passed=not pending and not unknown,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "dossier_de_depot": str(landing.path()),
            "fichiers": len(scan.files),
            "fichiers_en_attente": len(pending),
            "dossiers_ignores": len(unknown),
            "details": dg.MetadataValue.md("\n\n".join(parts) or "Tout a été reçu."),
        },
    )
