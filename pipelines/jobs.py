"""Jobs: one ingestion run per landed file, and the benchmark rebuild."""

from __future__ import annotations

import dagster as dg

from assets.benchmark import BENCHMARK, CAMPAIGN_STATUS, POOLING
from assets.ingest import VALIDATED_SUBMISSION, WAREHOUSE_LOAD
from assets.unmapped import store_unmapped_file

# Two small steps run one after the other: a subprocess per step (the multiprocess
# executor) would spend more time importing Great Expectations than working.
ingest_file_job = dg.define_asset_job(
    "ingest_file",
    selection=dg.AssetSelection.assets(VALIDATED_SUBMISSION, WAREHOUSE_LOAD),
    executor_def=dg.in_process_executor,
    description=(
        "Ingestion d'un fichier déposé (config : chemin du fichier) dans sa partition "
        "CHU × année : validation, conservation, chargement."
    ),
)

benchmark_job = dg.define_asset_job(
    "benchmark_job",
    selection=dg.AssetSelection.assets(BENCHMARK, POOLING, CAMPAIGN_STATUS),
    executor_def=dg.in_process_executor,
    description="Recalcul du benchmark, des mutualisations et de l'état de la campagne.",
)


@dg.job(
    name="ingest_unmapped_file",
    executor_def=dg.in_process_executor,
    description=(
        "Ingestion d'un fichier qui ne correspond à aucune partition CHU × année "
        "(fichier illisible, année absente ou hors campagne) : il est conservé avec son rapport."
    ),
)
def ingest_unmapped_file_job() -> None:
    store_unmapped_file()
