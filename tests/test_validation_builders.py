"""Builders for contract test files: a valid baseline per kind, written as bytes in any
encoding / delimiter / line ending, so each test states only what it breaks."""

from __future__ import annotations

import csv
import io

from expectations.contract import FILE_KINDS
from expectations.reference import load_reference
from expectations.validate import ValidationResult, validate_bytes

CHU = "FES"
ANNEE = 2025


def maturite_rows() -> list[dict[str, str]]:
    measures = load_reference().measures_for_year(ANNEE)
    return [
        {
            "chu": CHU,
            "annee": str(ANNEE),
            "mesure_id": m.mesure_id,
            "niveau": str(i % 6),
            "cible": "5",
            "commentaire": "",
        }
        for i, m in enumerate(measures)
    ]


def depenses_rows() -> list[dict[str, str]]:
    base = {"chu": CHU, "annee": str(ANNEE), "fonction_csf": "", "fournisseur": "", "solution": ""}
    return [
        {
            **base,
            "categorie": "logiciels",
            "nature": "opex",
            "montant_mad": "1 234 567,89",
            "libelle": "Licences EDR",
            "fonction_csf": "DE",
            "fournisseur": "Acme",
            "solution": "EDR X",
        },
        {
            **base,
            "categorie": "materiel",
            "nature": "capex",
            "montant_mad": "250000",
            "libelle": "Pare-feu du site principal",
            "fonction_csf": "PR",
        },
        {
            **base,
            "categorie": "formation",
            "nature": "opex",
            "montant_mad": "48000.50",
            "libelle": "Sensibilisation du personnel",
        },
    ]


def profil_rows() -> list[dict[str, str]]:
    return [
        {
            "chu": CHU,
            "annee": str(ANNEE),
            "lits": "900",
            "effectif_total": "4200",
            "effectif_si": "35",
            "effectif_ssi": "3,5",
            "budget_total_mad": "1 500 000 000",
            "budget_si_mad": "30 000 000",
            "iso27001": "en_cours",
            "stade_numerique": "4",
            "incidents_declares": "2",
        }
    ]


BASELINES = {"maturite": maturite_rows, "depenses": depenses_rows, "profil": profil_rows}


def table(kind: str, rows: list[dict[str, str]] | None = None) -> list[list[str]]:
    """Header + rows as lists of cells, in the contract's column order."""
    columns = list(FILE_KINDS[kind].columns)
    rows = BASELINES[kind]() if rows is None else rows
    return [columns] + [[row.get(c, "") for c in columns] for row in rows]


def to_bytes(
    records: list[list[str]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
    newline: str = "\r\n",
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(records)
    text = buffer.getvalue()
    if encoding == "utf-16-le-bom":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding == "utf-16-be-bom":
        return b"\xfe\xff" + text.encode("utf-16-be")
    return text.encode(encoding)


def kind_bytes(kind: str, rows: list[dict[str, str]] | None = None, **options) -> bytes:
    return to_bytes(table(kind, rows), **options)


def validate(kind: str, rows: list[dict[str, str]] | None = None, **kwargs) -> ValidationResult:
    return validate_bytes(kind_bytes(kind, rows), f"{kind}_test.csv", **kwargs)


def errors_of(result: ValidationResult) -> list[tuple[int | None, str | None, str]]:
    return [(f.line, f.column, f.rule) for f in result.report.errors]
