"""Partitions of the ingestion assets: one per CHU × campaign year (DESIGN §7).

Both dimensions come from the reference data, so that opening a campaign (a line of
``data/reference/campagnes.csv``) or welcoming a new member (a line of
``etablissements.csv``) adds partitions without touching code.

Dagster sorts the dimensions of a multi-partition key by name, so keys read
``"2025|FES"`` (``annee`` before ``chu``).
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from expectations.reference import load_reference

YEAR_DIMENSION = "annee"
CHU_DIMENSION = "chu"


def build_partitions_def() -> dg.MultiPartitionsDefinition:
    """CHU × year partitions from the reference data as it is now."""
    reference = load_reference()
    return dg.MultiPartitionsDefinition(
        {
            YEAR_DIMENSION: dg.StaticPartitionsDefinition(
                [str(year) for year in reference.campaign_years]
            ),
            CHU_DIMENSION: dg.StaticPartitionsDefinition(sorted(reference.chu_codes)),
        }
    )


CHU_YEAR_PARTITIONS = build_partitions_def()


@dataclass(frozen=True)
class ChuYear:
    """A partition key split into its two dimensions."""

    annee: int
    chu: str

    @property
    def key(self) -> dg.MultiPartitionKey:
        return partition_key(self.chu, self.annee)


def partition_key(chu: str, annee: int) -> dg.MultiPartitionKey:
    """The partition key of a CHU and a year (prints as ``"2025|FES"``)."""
    return dg.MultiPartitionKey({YEAR_DIMENSION: str(annee), CHU_DIMENSION: chu})


def has_partition(chu: str, annee: int) -> bool:
    """Whether the CHU and year form a declared partition (registry code, campaign year)."""
    return CHU_YEAR_PARTITIONS.has_partition_key(str(partition_key(chu, annee)))


def parse_partition_key(key: str | dg.MultiPartitionKey) -> ChuYear:
    """Split a partition key into (annee, chu).

    A run context gives a ``MultiPartitionKey``, but ``build_asset_context(partition_key=...)``
    and run tags give a plain ``"2025|FES"`` string (DESIGN §9): both go through the
    partitions definition, which knows the dimension order.
    """
    if not isinstance(key, dg.MultiPartitionKey):
        key = CHU_YEAR_PARTITIONS.get_partition_key_from_str(str(key))
    dimensions = key.keys_by_dimension
    return ChuYear(annee=int(dimensions[YEAR_DIMENSION]), chu=dimensions[CHU_DIMENSION])
