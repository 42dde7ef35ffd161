"""Ingestion of one landed file: validate it, keep it, load it (DESIGN §4, §7).

One run ingests one file into its CHU × year partition:

``validated_submission`` reads the file and validates it with the data contract, the CHU
of its landing folder being the sender. Its blocking check ``contrat_respecte`` fails when
the file breaks the contract; the file is then stored right away as a *rejected*
submission (nothing is lost) and Dagster skips ``warehouse_load``, so nothing invalid
reaches the warehouse tables.

``warehouse_load`` stores the valid file: it becomes the current submission of its
(CHU, year, kind) and its rows are inserted, in one transaction.

Files that cannot be mapped to a partition (unreadable year, year without a campaign)
go through the small op job of :mod:`assets.unmapped` instead.
"""

# No ``from __future__ import annotations``: Dagster reads config and resource types
# from the annotations at definition time.
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from assets.landing import (
    CHANNEL_SENSOR,
    records_markdown,
    report_markdown,
    store,
    validate_content,
)
from assets.partitions import CHU_YEAR_PARTITIONS, parse_partition_key
from assets.resources import WarehouseResource

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from expectations.validate import ValidationResult

INGESTION_GROUP = "ingestion"
CONTRACT_CHECK = "contrat_respecte"
VALIDATED_SUBMISSION = dg.AssetKey("validated_submission")
WAREHOUSE_LOAD = dg.AssetKey("warehouse_load")

# Values of the ``statut`` metadata, read back by the in-process runner.
STATUS_VALID = "valide"
STATUS_REJECTED = "rejete"


class IngestFileConfig(dg.Config):
    """Which landed file this run ingests."""

    path: str = Field(description="Path of the landed file (<landing>/<CHU>/<file>.csv).")
    channel: str = Field(
        default=CHANNEL_SENSOR,
        description="How the file arrived: 'capteur' (sensor), 'run' (chu-bench run).",
    )
    sender: str | None = Field(
        default=None, description="Who sent the file; default: the CHU's landing folder."
    )


@dataclass(frozen=True)
class ValidatedFile:
    """What ``validated_submission`` hands to ``warehouse_load``."""

    path: str
    filename: str
    content: bytes
    sha256: str
    sender_chu: str
    channel: str
    sender: str | None
    result: "ValidationResult"


@dg.asset(
    key=VALIDATED_SUBMISSION,
    partitions_def=CHU_YEAR_PARTITIONS,
    group_name=INGESTION_GROUP,
    kinds={"python", "csv"},
    description=(
        "Fichier déposé par un CHU, validé contre le contrat de données (Great Expectations). "
        "Un fichier invalide est conservé comme soumission rejetée et bloque le chargement."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            CONTRACT_CHECK,
            asset=VALIDATED_SUBMISSION,
            blocking=True,
            description=(
                "Le fichier respecte le contrat de données v1 (colonnes, codes, nombres, "
                "une seule année et un seul CHU, celui du dossier de dépôt)."
            ),
        )
    ],
)
def validated_submission(
    context: dg.AssetExecutionContext,
    config: IngestFileConfig,
    warehouse: WarehouseResource,
):  # returns MaterializeResult(value=ValidatedFile); an annotation would mean "Nothing"
    partition = parse_partition_key(context.partition_key)
    path = Path(config.path)
    if not path.is_file():
        raise dg.Failure(description=f"Fichier introuvable : {path}.")
    content = path.read_bytes()
    result = validate_content(content, path.name, sender_chu=partition.chu)
    report = result.report
    if report.annee is not None and report.annee != partition.annee:
        raise dg.Failure(
            description=(
                f"Le fichier {path.name} concerne l'année {report.annee}, pas la partition "
                f"{context.partition_key} : relancer avec la partition {report.annee}|{partition.chu}."
            )
        )
    from warehouse.submissions import sha256_hex

    digest = sha256_hex(content)
    metadata: dict[str, object] = {
        "dagster/row_count": report.rows,
        "fichier": path.name,
        "chemin": dg.MetadataValue.path(str(path)),
        "sha256": digest,
        "type": report.kind or "inconnu",
        "statut": STATUS_VALID if report.valid else STATUS_REJECTED,
        "erreurs": len(report.errors),
        "avertissements": len(report.warnings),
    }
    if report.valid:
        metadata["apercu"] = dg.MetadataValue.md(records_markdown(result))
    else:
        # Nothing is lost: the rejected file is kept now, since warehouse_load will not run.
        stored = store(
            warehouse.get_engine(),
            content=content,
            filename=path.name,
            result=result,
            sender_chu=partition.chu,
            channel=config.channel,
            sender=config.sender,
        )
        metadata["submission_id"] = stored.id
        metadata["apercu"] = dg.MetadataValue.md(report_markdown(result))
        context.log.warning(
            f"{path.name} rejeté ({len(report.errors)} erreur(s)), soumission {stored.id}."
        )

    check = dg.AssetCheckResult(
        check_name=CONTRACT_CHECK,
        passed=report.valid,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "erreurs": len(report.errors),
            "avertissements": len(report.warnings),
            "rapport": dg.MetadataValue.md(report_markdown(result)),
        },
    )
    value = ValidatedFile(
        path=str(path),
        filename=path.name,
        content=content,
        sha256=digest,
        sender_chu=partition.chu,
        channel=config.channel,
        sender=config.sender,
        result=result,
    )
    # The check result goes out with the materialization: Dagster records both, then
    # fails the step and skips the downstream load when the blocking check failed.
    return dg.MaterializeResult(value=value, metadata=metadata, check_results=[check])


@dg.asset(
    key=WAREHOUSE_LOAD,
    partitions_def=CHU_YEAR_PARTITIONS,
    group_name=INGESTION_GROUP,
    kinds={"sql"},
    ins={"validated": dg.AssetIn(VALIDATED_SUBMISSION)},
    description=(
        "Données du CHU pour l'année dans l'entrepôt : le fichier valide devient la soumission "
        "courante de son type, la précédente est conservée comme remplacée."
    ),
)
def warehouse_load(
    context: dg.AssetExecutionContext,
    validated: ValidatedFile,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    stored = store(
        engine,
        content=validated.content,
        filename=validated.filename,
        result=validated.result,
        sender_chu=validated.sender_chu,
        channel=validated.channel,
        sender=validated.sender,
    )
    partition = parse_partition_key(context.partition_key)
    records = validated.result.records
    context.log.info(
        f"{validated.filename} : soumission {stored.id} ({stored.status}"
        f"{'' if stored.created else ', déjà reçue'})."
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": 0 if records is None else len(records),
            "submission_id": stored.id,
            "sha256": stored.sha256,
            "statut": stored.status,
            "nouvelle_soumission": stored.created,
            "type": validated.result.report.kind or "inconnu",
            "soumissions_courantes": dg.MetadataValue.md(
                current_submissions_markdown(engine, partition.chu, partition.annee)
            ),
        }
    )


def current_submissions_markdown(engine: "Engine", chu: str, annee: int) -> str:
    """The partition's current files, one per kind, as a Markdown table."""
    from assets.landing import markdown_table
    from warehouse.submissions import CURRENT, list_submissions

    frame = list_submissions(engine, chu=chu, annee=annee, status=CURRENT)
    rows = frame[["kind", "id", "filename", "received_at"]].to_dict(orient="records")
    return markdown_table(rows, ["kind", "id", "filename", "received_at"])


INGEST_ASSETS = [validated_submission, warehouse_load]
