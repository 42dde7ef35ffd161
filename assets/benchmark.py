"""The alliance benchmark (DESIGN §5): benchmark, pooling opportunities, campaign status.

``warehouse.refresh`` is the one place that writes these three tables. Each ingestion run
(``assets/ingest.py``) refreshes them incrementally for the partitions it changed and
records their materialization; this multi-asset rebuilds them entirely, in one warehouse
transaction: weekly (``pipelines/schedules.py``, which also re-checks the landing folder,
asset check ``depot_entierement_traite``), and on demand from the Dagster UI (after a
change of settings or of reference data). Metadata are counts, never a figure of a CHU.
"""

# No ``from __future__ import annotations``: Dagster reads config and resource types
# from the annotations at definition time.
from collections.abc import Iterator
from typing import TYPE_CHECKING

import dagster as dg

from assets.ingest import WAREHOUSE_LOAD
from assets.landing import markdown_table, plan_landing
from assets.resources import BenchmarkSettings, LandingResource, WarehouseResource

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

BENCHMARK_GROUP = "benchmark"
BENCHMARK = dg.AssetKey("benchmark")
POOLING = dg.AssetKey("pooling_opportunities")
CAMPAIGN_STATUS = dg.AssetKey("campaign_status")
LANDING_CHECK = "depot_entierement_traite"

_DEPS = [WAREHOUSE_LOAD]


@dg.multi_asset(
    group_name=BENCHMARK_GROUP,
    specs=[
        dg.AssetSpec(
            BENCHMARK,
            deps=_DEPS,
            kinds={"sql"},
            description=(
                "Tableau du benchmark (§5) : une ligne par CHU et par année, indicateurs de "
                "maturité et de dépenses, rang et évolution."
            ),
        ),
        dg.AssetSpec(
            POOLING,
            deps=_DEPS,
            kinds={"sql"},
            description=(
                "Opportunités de mutualisation : même solution ou même fournisseur acheté par "
                "au moins deux CHU la même année, avec l'économie estimée."
            ),
        ),
        dg.AssetSpec(
            CAMPAIGN_STATUS,
            deps=_DEPS,
            kinds={"sql"},
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
    from warehouse.reads import read_campaign_status
    from warehouse.refresh import refresh_benchmark

    engine = warehouse.get_engine()
    reference = load_reference()
    counts = refresh_benchmark(engine, reference, None, settings=settings.to_settings())
    context.log.info(f"Benchmark recalculé : {counts}.")

    yield dg.MaterializeResult(
        asset_key=BENCHMARK, metadata={"dagster/row_count": counts["benchmark"]}
    )
    yield dg.MaterializeResult(
        asset_key=POOLING,
        metadata={
            "dagster/row_count": counts["pooling_opportunities"],
            "taux_economie": settings.pooling_rate,
        },
    )
    status = read_campaign_status(engine)
    counts_by_status = status["status"].value_counts().to_dict() if not status.empty else {}
    yield dg.MaterializeResult(
        asset_key=CAMPAIGN_STATUS,
        metadata={
            "dagster/row_count": counts["campaign_status"],
            **{f"nb_{name}": int(count) for name, count in sorted(counts_by_status.items())},
        },
    )
    yield landing_check(engine, landing, reference.chu_codes)


def landing_check(
    engine: "Engine", landing: LandingResource, chu_codes: list[str]
) -> dg.AssetCheckResult:
    """Files of the landing folder that the warehouse has not received yet (the sensor was
    stopped, a run failed): a warning listing them, so that the weekly run shows them."""
    scan = plan_landing(landing.path(), engine, chu_codes)
    pending = [{"fichier": f.display} for f in scan.new]
    pending += [{"fichier": f.display} for f, _reason in scan.unreadable]
    pending += [{"fichier": r.display} for r in scan.refused]
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
            "fichiers": scan.seen,
            "fichiers_en_attente": len(pending),
            "dossiers_ignores": len(unknown),
            "details": dg.MetadataValue.md("\n\n".join(parts) or "Tout a été reçu."),
        },
    )
