"""The action plan as files: CSV and JSON (machine columns), XLSX (for a CHU's director).

Shared by ``chu-bench plan`` and the dashboard's downloads, so both give the same files.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd

from expectations.reference import ReferenceData
from warehouse.plan import PLAN_DEFINITIONS, PLAN_LABELS, PRIORITY_TEXT
from warehouse.reads import frame_to_records
from warehouse.spreadsheets import list_text, neutralise_cell, workbook_bytes


def plan_csv_text(plan: pd.DataFrame) -> str:
    """CSV with the contract's column names; lists comma-separated; formula-like text
    neutralised (titles come from the referential file)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(plan.columns))
    for record in frame_to_records(plan):
        writer.writerow(
            ["" if v is None else neutralise_cell(list_text(v)) for v in record.values()]
        )
    return buffer.getvalue()


def plan_json_text(plan: pd.DataFrame) -> str:
    return json.dumps(frame_to_records(plan), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def plan_workbook(plan: pd.DataFrame, reference: ReferenceData, chu: str, annee: int) -> bytes:
    """The plan as an XLSX ready to hand to the CHU's director: title, what the columns mean,
    the priority order, French headers."""
    establishment = reference.establishments.get(chu)
    name = establishment.nom if establishment else chu
    return workbook_bytes(
        plan,
        title=f"Plan d'action cybersécurité — {name} — campagne {annee}",
        subtitle_lines=[
            f"{len(plan)} mesures DNSSI applicables sous leur cible retenue "
            "(cible déclarée, sinon niveau 3 « Défini »).",
            PRIORITY_TEXT,
            "Source : benchmark de l'alliance des DSI des CHU (chu-bench).",
        ],
        headers=PLAN_LABELS,
        definitions=PLAN_DEFINITIONS,
        wide_columns=("titre",),
        generated_at=datetime.now(ZoneInfo("Africa/Casablanca")),
    )
