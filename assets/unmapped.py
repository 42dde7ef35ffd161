"""Files that cannot be mapped to a CHU × year partition.

A binary or empty file, or one without a readable ``annee``, has no year, and a year
without a declared campaign has no partition. Such a file must still be kept (nothing is
lost, DESIGN §4) and its report shown to its sender, so it goes through this small
unpartitioned op job rather than being dropped by the sensor or stored by the sensor
itself: sensors must stay free of side effects (they are re-evaluated, and their work is
invisible in the run history), whereas a run leaves a trace in the Dagster UI, with the
validation report as metadata, like any other file.

The op validates the file exactly as the partitioned assets do; a valid file of a year
without a campaign is stored as current like any other, since the contract accepts it.
"""

# No ``from __future__ import annotations``: Dagster reads config and resource types
# from the annotations at definition time.
from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.landing import CHANNEL_SENSOR, report_markdown, store, validate_content
from assets.resources import WarehouseResource


class UnmappedFileConfig(dg.Config):
    """A landed file that has no partition, and who sent it."""

    path: str = Field(description="Path of the landed file.")
    sender_chu: str = Field(description="Registry code of the landing folder the file was in.")
    channel: str = Field(default=CHANNEL_SENSOR, description="'capteur' or 'run'.")
    sender: str | None = Field(default=None, description="Who sent the file.")


@dg.op(
    description=(
        "Valide et conserve un fichier sans partition (année illisible ou hors campagne) : "
        "il est gardé comme soumission, rejetée s'il est invalide."
    ),
)
def store_unmapped_file(
    context: dg.OpExecutionContext,
    config: UnmappedFileConfig,
    warehouse: WarehouseResource,
) -> dict[str, object]:
    path = Path(config.path)
    if not path.is_file():
        raise dg.Failure(description=f"Fichier introuvable : {path}.")
    content = path.read_bytes()
    result = validate_content(content, path.name, sender_chu=config.sender_chu)
    stored = store(
        warehouse.get_engine(),
        content=content,
        filename=path.name,
        result=result,
        sender_chu=config.sender_chu,
        channel=config.channel,
        sender=config.sender,
    )
    report = result.report
    outcome = {
        "submission_id": stored.id,
        "sha256": stored.sha256,
        "status": stored.status,
        "valid": report.valid,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
    }
    context.add_output_metadata(
        {
            "fichier": path.name,
            "submission_id": stored.id,
            "statut": stored.status,
            "erreurs": len(report.errors),
            "rapport": dg.MetadataValue.md(report_markdown(result)),
        }
    )
    if not report.valid:
        context.log.warning(
            f"{path.name} rejeté ({len(report.errors)} erreur(s)), soumission {stored.id}."
        )
    return outcome
