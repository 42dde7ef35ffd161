"""Ingestion in batches (DESIGN §4, §7): one run ingests every new file of a sensor tick or
of a ``chu-bench run`` call, and the pending submissions of the Dépôt page.

The run's single step, ``ingest`` (job ``ingest_batch``), is a thin shell over ``warehouse.ingestion``:
it reads the landed files (never through a symbolic link), hands them to the ingestion
service (one batch validation, bulk loads), records the refused paths, processes the
pending submissions, then refreshes the benchmark for the CHU × year partitions the batch
changed (``warehouse.refresh.refresh_benchmark``). It then records, per partition, what
the Dagster UI shows:

* a materialization of ``warehouse_load`` on the CHU × year partition (counts of new,
  current and rejected submissions, their ids);
* an evaluation of the asset check ``contrat_respecte`` on that partition: passed when
  every new file of the partition is valid, **failed (severity ERROR)** when one was
  rejected, with each rejected file's report (rules, lines, columns) in its metadata. A rejection is data: it never fails
  the run; a run fails only when the pipeline itself fails (warehouse down...);
* a materialization of the three benchmark assets, with the years recomputed.

Nothing of a file leaves the warehouse: steps hand each other nothing (the step's output
is ``Nothing``, so no IO manager pickles hospital data under ``DAGSTER_HOME``), metadata
are counts, ids, codes, rules and line numbers, never a cell value nor a message.
Files without a partition (unreadable year, year without a campaign) are stored like the
others; they only have no partition to show on.
"""

# No ``from __future__ import annotations``: Dagster reads config and resource types
# from the annotations at definition time.
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from assets.landing import markdown_table, read_landed, report_markdown, sender_label
from assets.partitions import CHU_YEAR_PARTITIONS, has_partition, partition_key
from assets.resources import BenchmarkSettings, WarehouseResource

if TYPE_CHECKING:
    from warehouse.ingestion import IngestionOutcome

INGESTION_GROUP = "ingestion"
CONTRACT_CHECK = "contrat_respecte"
WAREHOUSE_LOAD = dg.AssetKey("warehouse_load")
BENCHMARK_KEYS = (
    dg.AssetKey("benchmark"),
    dg.AssetKey("pooling_opportunities"),
    dg.AssetKey("campaign_status"),
)

# Files read, validated and stored per call of the service: bounds the bytes held in memory.
READ_CHUNK = 200

# What the step reports (metadata of its output, besides the service's own timings
# ``duree_validation_s`` and ``duree_stockage_s``), read back by ``chu-bench run``.
TIMING_READ = "duree_lecture_s"
TIMING_BENCHMARK = "duree_benchmark_s"


class LandedFileConfig(dg.Config):
    path: str = Field(description="Path of the landed file (<landing>/<CHU>/<file>).")
    sender_chu: str = Field(description="Registry code of the CHU folder it was found in.")
    sha256: str = Field(default="", description="SHA-256 of its bytes when the batch was planned.")


class RefusedPathConfig(dg.Config):
    path: str = Field(description="The refused path as shown to users (<CHU>/<name>).")
    sender_chu: str = Field(description="Registry code of the CHU folder.")
    reason: str = Field(description="Why it was refused, in French.")


class IngestBatchConfig(dg.Config):
    """What this run ingests: landed files, refused paths, pending submissions."""

    files: list[LandedFileConfig] = Field(default_factory=list)
    refused: list[RefusedPathConfig] = Field(default_factory=list)
    submission_ids: list[int] = Field(
        default_factory=list, description="Pending submissions (Dépôt page, form) to process."
    )
    channel: str = Field(
        default="capteur",
        description="How the landed files arrived: 'capteur' (sensor), 'run' (chu-bench run).",
    )


warehouse_load = dg.AssetSpec(
    WAREHOUSE_LOAD,
    partitions_def=CHU_YEAR_PARTITIONS,
    group_name=INGESTION_GROUP,
    kinds={"sql"},
    description=(
        "Données du CHU pour l'année dans l'entrepôt : chaque fichier reçu est une soumission ; "
        "le dernier fichier valide de chaque type est en vigueur, les précédents sont conservés "
        "comme remplacés, un fichier invalide est conservé comme rejeté avec son rapport. "
        "Matérialisé par les exécutions du job ingest_batch."
    ),
)


@dg.asset_check(
    asset=WAREHOUSE_LOAD,
    name=CONTRACT_CHECK,
    description=(
        "Le fichier respecte le contrat de données v1 (colonnes, codes, nombres, une seule "
        "année et un seul CHU, celui de l'expéditeur). Évalué par chaque exécution "
        "d'ingestion, pour chaque fichier, sur sa partition CHU × année ; lancé seul, il "
        "compte les partitions dont le dernier fichier reçu a été rejeté."
    ),
)
def contrat_respecte(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from warehouse.ingestion import latest_rejections

    rejected = latest_rejections(warehouse.get_engine())
    return dg.AssetCheckResult(
        passed=not rejected,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "partitions_dernier_fichier_rejete": len(rejected),
            "details": dg.MetadataValue.md(
                markdown_table(
                    [
                        {"partition": f"{annee}|{chu}", "type": kind, "soumission": i}
                        for chu, annee, kind, i in rejected
                    ],
                    ["partition", "type", "soumission"],
                    50,
                )
            ),
        },
    )


def _partition(outcome: "IngestionOutcome") -> str | None:
    """The CHU × year partition of a submission: its sender's CHU (who it is about for a
    valid file; a file about another CHU is the sender's rejected one) and its year."""
    annee = outcome.annee
    chu = outcome.sender_chu or outcome.chu
    if chu is None or not isinstance(annee, int) or not has_partition(chu, annee):
        return None
    return str(partition_key(chu, annee))


def _record(context: dg.OpExecutionContext, outcomes: list["IngestionOutcome"]) -> None:
    """One materialization and one check evaluation per partition the batch touched."""
    by_partition: dict[str, list[IngestionOutcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.created:
            key = _partition(outcome)
            if key is not None:
                by_partition[key].append(outcome)
    for key, items in sorted(by_partition.items()):
        statuses = [str(o.status) for o in items]
        context.log_event(
            dg.AssetMaterialization(
                asset_key=WAREHOUSE_LOAD,
                partition=key,
                metadata={
                    "nouvelles_soumissions": len(items),
                    "en_vigueur": statuses.count("current"),
                    "remplacees": statuses.count("superseded"),
                    "rejetees": statuses.count("rejected"),
                    "soumissions": dg.MetadataValue.text(
                        ", ".join(str(o.submission_id) for o in items)
                    ),
                },
            )
        )
        # One evaluation per partition and run: Dagster keeps one check result per
        # partition and run, so a rejected file must not hide behind a valid one.
        rejected = [o for o in items if not o.valid]
        reports = [
            f"**Soumission {o.submission_id}** ({o.kind or 'type inconnu'})\n\n"
            + report_markdown(o.report)
            for o in rejected
        ]
        context.log_event(
            dg.AssetCheckEvaluation(
                asset_key=WAREHOUSE_LOAD,
                check_name=CONTRACT_CHECK,
                passed=not rejected,
                severity=dg.AssetCheckSeverity.ERROR,
                partition=key,
                metadata={
                    "fichiers": len(items),
                    "rejetes": len(rejected),
                    "erreurs": sum(len(o.errors) for o in rejected),
                    "soumissions_rejetees": dg.MetadataValue.text(
                        ", ".join(str(o.submission_id) for o in rejected)
                    ),
                    "rapport": dg.MetadataValue.md(
                        "\n\n".join(reports) or "Chaque fichier respecte le contrat."
                    ),
                },
            )
        )


@dg.op(
    name="ingest",
    out=dg.Out(dg.Nothing),
    description=(
        "Ingère un lot : fichiers déposés (lus, validés en une fois, conservés), chemins "
        "refusés, dépôts en attente ; puis recalcule le benchmark des partitions touchées."
    ),
)
def ingest(
    context: dg.OpExecutionContext,
    config: IngestBatchConfig,
    warehouse: WarehouseResource,
    settings: BenchmarkSettings,
) -> None:
    from expectations.reference import load_reference
    from warehouse.ingestion import (
        ReceivedFile,
        RefusedPath,
        changed_partitions,
        ingest_files,
        process_pending,
        record_refused,
    )
    from warehouse.refresh import refresh_benchmark

    engine = warehouse.get_engine()
    reference = load_reference()
    timings: dict[str, float] = defaultdict(float)
    outcomes: list[IngestionOutcome] = []
    unreadable = 0
    for start in range(0, len(config.files), READ_CHUNK):
        clock = time.perf_counter()
        received = []
        for landed in config.files[start : start + READ_CHUNK]:
            path = Path(landed.path)
            try:
                content = read_landed(path)
            except OSError as exc:  # vanished since the scan: one bad file, not the batch
                unreadable += 1
                context.log.warning(
                    f"Fichier illisible, ignoré : {path.parent.name}/{path.name} "
                    f"({exc.strerror or exc})."
                )
                continue
            received.append(
                ReceivedFile(
                    content=content,
                    filename=path.name,
                    sender_chu=landed.sender_chu,
                    sender=sender_label(landed.sender_chu),
                    channel=config.channel,
                )
            )
        timings[TIMING_READ] += time.perf_counter() - clock
        outcomes += ingest_files(engine, received, reference=reference, timings=timings)
    if config.refused:
        outcomes += record_refused(
            engine,
            [
                RefusedPath(
                    r.path, r.sender_chu, r.reason, sender_label(r.sender_chu), config.channel
                )
                for r in config.refused
            ],
        )
    if config.submission_ids:
        outcomes += process_pending(engine, config.submission_ids)

    clock = time.perf_counter()
    changed = changed_partitions(outcomes)
    counts = refresh_benchmark(engine, reference, changed, settings=settings.to_settings())
    timings[TIMING_BENCHMARK] += time.perf_counter() - clock

    _record(context, outcomes)
    years = ", ".join(str(y) for y in sorted({annee for _chu, annee in changed}))
    if changed:
        for key, table in zip(
            BENCHMARK_KEYS, ("benchmark", "pooling_opportunities", "campaign_status"), strict=True
        ):
            context.log_event(
                dg.AssetMaterialization(
                    asset_key=key,
                    metadata={"annees_recalculees": years, "lignes_ecrites": counts[table]},
                )
            )
    new = [o for o in outcomes if o.created]
    rejected = sum(1 for o in new if str(o.status) == "rejected")
    context.log.info(
        f"{len(new)} nouvelle(s) soumission(s), dont {rejected} rejetée(s) ; "
        f"{len(outcomes) - len(new)} déjà reçue(s) ; {unreadable} illisible(s)."
    )
    context.add_output_metadata(
        {
            "fichiers": len(config.files),
            "nouvelles_soumissions": len(new),
            "rejetees": rejected,
            "deja_recues": len(outcomes) - len(new),
            "illisibles": unreadable,
            "chemins_refuses": len(config.refused),
            "depots_traites": len(config.submission_ids),
            "partitions_touchees": len(changed),
            **{name: round(value, 3) for name, value in timings.items()},
        }
    )


INGEST_ASSETS = [warehouse_load]
INGEST_CHECKS = [contrat_respecte]
