"""Jobs: the ingestion of a batch, and the full rebuild of the benchmark."""

from __future__ import annotations

import dagster as dg

from assets.benchmark import BENCHMARK, CAMPAIGN_STATUS, POOLING
from assets.ingest import ingest


# One step in the run's own process: a subprocess per step (the multiprocess executor)
# would spend more time importing Great Expectations than working.
@dg.job(
    name="ingest_batch",
    executor_def=dg.in_process_executor,
    description=(
        "Ingestion d'un lot (config : fichiers déposés, chemins refusés, dépôts en attente) : "
        "validation en une fois, conservation, chargement, puis benchmark des partitions "
        "touchées. Un fichier rejeté est un contrôle en échec, pas une exécution en échec."
    ),
)
def ingest_batch_job() -> None:
    ingest()


benchmark_job = dg.define_asset_job(
    "benchmark_job",
    selection=dg.AssetSelection.assets(BENCHMARK, POOLING, CAMPAIGN_STATUS),
    executor_def=dg.in_process_executor,
    description=(
        "Recalcul complet du benchmark, des mutualisations et de l'état de la campagne, et "
        "contrôle du dossier de dépôt."
    ),
)
