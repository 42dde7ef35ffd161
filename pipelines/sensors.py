"""Sensors: the landing folder, and the files received by the dashboard (pending).

``landing_sensor`` asks for ONE run per tick, whatever the number of new files (up to
``MAX_FILES_PER_RUN`` a run): :func:`assets.landing.plan_landing`, shared with
``chu-bench run``, lists the files whose bytes the warehouse has not received from their
CHU folder, and the refused paths (symbolic links, paths leading outside the landing root)
not recorded yet. ``run_key`` is derived from the batch's (SHA-256, CHU) pairs, so the same
batch never gives two runs; when a run fails for a reason other than the files (database
down...), Dagster will not request the same batch again, but the next new file gives a
new batch that includes them, and the weekly check ``depot_entierement_traite`` lists them.

``pending_submissions`` asks for one run for the submissions the Dépôt page and the form
stored as pending (validated, not yet current): the pipeline makes them current and
refreshes the benchmark.

Sensors only read (they are re-evaluated every few seconds and their work leaves no run
history); storing, even of refused paths, happens in runs.
"""

# No ``from __future__ import annotations``: Dagster reads config and resource types
# from the annotations at definition time.
import hashlib

import dagster as dg

from assets.landing import LandingPlan, plan_landing
from assets.resources import LandingResource, WarehouseResource
from pipelines.jobs import ingest_batch_job

# A tick's files are split into runs of at most this many (bounds the run config and a
# run's duration); 500 new files give one run, 25,000 give 13.
MAX_FILES_PER_RUN = 2000
CHANNEL_SENSOR = "capteur"


def batch_run_configs(plan: LandingPlan, *, channel: str = CHANNEL_SENSOR) -> list[dict]:
    """The run configs of ``ingest_batch`` that ingest what ``plan`` found to do (the same
    for the sensor and ``chu-bench run``): one per ``MAX_FILES_PER_RUN`` files."""
    files = [
        {"path": str(f.path.absolute()), "sender_chu": f.chu, "sha256": plan.digests[f.path]}
        for f in plan.new
    ]
    refused = [{"path": r.display, "sender_chu": r.chu, "reason": r.reason} for r in plan.refused]
    configs = []
    for start in range(0, max(len(files), 1), MAX_FILES_PER_RUN):
        chunk = files[start : start + MAX_FILES_PER_RUN]
        extra = refused if start == 0 else []
        if chunk or extra:
            configs.append(
                {
                    "ops": {
                        "ingest": {"config": {"files": chunk, "refused": extra, "channel": channel}}
                    }
                }
            )
    return configs


def _batch_key(config: dict) -> str:
    body = config["ops"]["ingest"]["config"]
    digest = hashlib.sha256()
    for item in sorted(f"{f['sha256']}:{f['sender_chu']}" for f in body["files"]):
        digest.update(item.encode())
    for item in sorted(f"{r['sender_chu']}:{r['path']}" for r in body["refused"]):
        digest.update(b"refus:" + item.encode())
    return digest.hexdigest()


@dg.sensor(
    name="landing_sensor",
    job=ingest_batch_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Surveille le dossier de dépôt <dépôt>/<CHU>/*.csv|*.xlsx et lance une ingestion par "
        "lot de nouveaux fichiers (les octets déjà reçus sont ignorés)."
    ),
)
def landing_sensor(
    context: dg.SensorEvaluationContext,
    landing: LandingResource,
    warehouse: WarehouseResource,
) -> dg.SensorResult | dg.SkipReason:
    from expectations.reference import load_reference

    directory = landing.path()
    if not directory.is_dir():
        return dg.SkipReason(f"Dossier de dépôt introuvable : {directory}.")
    plan = plan_landing(
        directory,
        warehouse.get_engine(),
        load_reference().chu_codes,
        settle_seconds=landing.settle_seconds,
    )
    for folder in plan.unknown_folders:
        context.log.warning(f"Dossier ignoré (pas un code du registre) : {folder.name}.")
    for landed, reason in plan.unreadable:
        context.log.warning(f"Fichier ignoré : {landed.display} ({reason}).")
    configs = batch_run_configs(plan)
    if not configs:
        return dg.SkipReason(f"Aucun nouveau fichier dans {directory} ({plan.seen} vus).")
    requests = []
    for config in configs:
        body = config["ops"]["ingest"]["config"]
        requests.append(
            dg.RunRequest(
                run_key=_batch_key(config),
                run_config=config,
                tags={
                    "chu_bench/fichiers": str(len(body["files"])),
                    "chu_bench/origine": "capteur",
                },
            )
        )
    return dg.SensorResult(run_requests=requests)


@dg.sensor(
    name="pending_submissions",
    job=ingest_batch_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Intègre les fichiers reçus par le tableau de bord (page Dépôt, formulaire) : une "
        "exécution par lot de dépôts en attente."
    ),
)
def pending_submissions_sensor(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    from warehouse.ingestion import pending_ids

    ids = pending_ids(warehouse.get_engine(), limit=MAX_FILES_PER_RUN)
    if not ids:
        return dg.SkipReason("Aucun dépôt en attente.")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                # The same pending set asks once; a new upload makes a new set.
                run_key="depots:" + hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest(),
                run_config={"ops": {"ingest": {"config": {"submission_ids": ids}}}},
                tags={"chu_bench/depots": str(len(ids)), "chu_bench/origine": "tableau de bord"},
            )
        ]
    )
