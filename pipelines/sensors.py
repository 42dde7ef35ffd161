"""Sensors: the landing folder, and the automatic benchmark refresh.

``landing_sensor`` requests one run per file whose bytes the warehouse has not received from
that CHU (``submission_exists`` on the SHA-256 and the folder's CHU), with ``run_key`` =
``<SHA-256>:<CHU>``, so the same bytes from one CHU never give two runs, whatever their
name; the same bytes in another CHU's folder are another sender's submission (a file
about FES dropped in MAR/ first must not keep FES's own copy from ever loading). Consequence: when a run fails for a
reason other than the file (database down...), Dagster will not request the same bytes
again; the weekly check ``depot_entierement_traite`` lists such files, and re-executing
the failed run from the UI (or ``chu-bench run``) ingests them.

The sensor only reads (it must be free of side effects: it is re-evaluated every 30 s and
its work leaves no run history); storing, even of unreadable files, happens in runs.
"""

# No ``from __future__ import annotations``: Dagster reads config and resource types
# from the annotations at definition time.
import time
from pathlib import Path

import dagster as dg

from assets.benchmark import BENCHMARK, CAMPAIGN_STATUS, POOLING
from assets.landing import CHANNEL_SENSOR, LandingFile, peek_year, scan_landing
from assets.partitions import has_partition, partition_key
from assets.resources import LandingResource, WarehouseResource
from pipelines.jobs import ingest_file_job, ingest_unmapped_file_job


def ingest_run_request(
    landed: LandingFile, content: bytes, sha256: str, *, channel: str = CHANNEL_SENSOR
) -> dg.RunRequest:
    """The run that ingests one landed file: its CHU × year partition when it has one,
    else the unpartitioned job (see ``assets/unmapped.py``). ``run_key`` is the content's
    SHA-256 and the sending CHU: the same bytes from one CHU never give a second run."""
    annee = peek_year(content, landed.path.name)
    tags = {"chu_bench/fichier": landed.display, "chu_bench/chu": landed.chu}
    key = run_key(sha256, landed.chu)
    path = str(landed.path.resolve())
    if annee is not None and has_partition(landed.chu, annee):
        return dg.RunRequest(
            run_key=key,
            job_name=ingest_file_job.name,
            partition_key=str(partition_key(landed.chu, annee)),
            run_config={
                "ops": {"validated_submission": {"config": {"path": path, "channel": channel}}}
            },
            tags=tags,
        )
    return dg.RunRequest(
        run_key=key,
        job_name=ingest_unmapped_file_job.name,
        run_config={
            "ops": {
                "store_unmapped_file": {
                    "config": {"path": path, "sender_chu": landed.chu, "channel": channel}
                }
            }
        },
        tags=tags,
    )


def run_key(sha256: str, chu: str) -> str:
    """The sensor's run key of a landed file: its bytes and the CHU folder it was sent from."""
    return f"{sha256}:{chu}"


@dg.sensor(
    name="landing_sensor",
    jobs=[ingest_file_job, ingest_unmapped_file_job],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Surveille le dossier de dépôt <dépôt>/<CHU>/*.csv et lance une ingestion par nouveau "
        "fichier (les octets déjà reçus sont ignorés)."
    ),
)
def landing_sensor(
    context: dg.SensorEvaluationContext,
    landing: LandingResource,
    warehouse: WarehouseResource,
) -> dg.SensorResult | dg.SkipReason:
    from expectations.reference import load_reference
    from warehouse.submissions import sha256_hex, submission_exists

    directory = landing.path()
    if not directory.is_dir():
        return dg.SkipReason(f"Dossier de dépôt introuvable : {directory}.")
    scan = scan_landing(directory, load_reference().chu_codes)
    for folder in scan.unknown_folders:
        context.log.warning(f"Dossier ignoré (pas un code du registre) : {folder.name}.")
    engine = warehouse.get_engine()
    now = time.time()
    requests: list[dg.RunRequest] = []
    seen: set[tuple[str, str]] = set()
    for landed in scan.files:
        if now - _mtime(landed.path) < landing.settle_seconds:
            continue  # still being written; the next tick will see it whole
        try:
            content = landed.path.read_bytes()
        except OSError as exc:  # removed or unreadable since the scan: one bad file, not the tick
            context.log.warning(f"Fichier illisible, ignoré : {landed.display} ({exc}).")
            continue
        digest = sha256_hex(content)
        if (digest, landed.chu) in seen or submission_exists(engine, digest, landed.chu):
            continue
        seen.add((digest, landed.chu))
        requests.append(ingest_run_request(landed, content, digest))
    if not requests:
        return dg.SkipReason(f"Aucun nouveau fichier dans {directory} ({len(scan.files)} vus).")
    return dg.SensorResult(run_requests=requests)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


benchmark_automation_sensor = dg.AutomationConditionSensorDefinition(
    "benchmark_automation",
    target=dg.AssetSelection.assets(BENCHMARK, POOLING, CAMPAIGN_STATUS),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        "Recalcule le benchmark quand des partitions ont été ingérées et qu'aucune ingestion "
        "n'est en cours."
    ),
)
