"""The landing folder and the ingestion of one file, as plain functions (no Dagster here).

The Dagster assets, the sensor and the in-process runner (``chu-bench run``) all go
through these functions, so that a file is read, validated and stored the same way
whichever path brought it in.

Layout of the landing folder: ``<landing>/<CHU>/*.csv``; the folder name is a code of
the registry and says who sent the file (the *sender*).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from expectations.reference import ReferenceData
    from expectations.validate import ValidationResult
    from warehouse.submissions import StoredSubmission

# Channels of the submissions table: the sensor of the landing folder, the CLI runner.
CHANNEL_SENSOR = "capteur"
CHANNEL_RUN = "run"


@dataclass(frozen=True)
class LandingFile:
    """A file found in the landing folder. ``chu`` is the registry code of its folder."""

    path: Path
    chu: str

    @property
    def display(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"


@dataclass
class LandingScan:
    """What the landing folder holds: files to ingest, and what cannot be ingested."""

    files: list[LandingFile] = field(default_factory=list)
    # Sub-folders whose name is not a code of the registry (reported, never ingested).
    unknown_folders: list[Path] = field(default_factory=list)
    # Files directly under the landing folder: nobody can tell who sent them.
    stray_files: list[Path] = field(default_factory=list)


def sender_label(chu: str) -> str:
    """Who sent a file of the landing folder (``submissions.sender``)."""
    return f"dossier de dépôt {chu}"


def scan_landing(directory: str | Path, chu_codes: list[str] | tuple[str, ...]) -> LandingScan:
    """The ``*.csv`` files under ``directory/<CHU>/``, sorted by folder then name.

    Folder names are matched to registry codes ignoring case (``fes/`` is Fès); other
    folders and files outside any CHU folder are listed so that callers can report them.
    """
    root = Path(directory)
    codes = {code.upper(): code for code in chu_codes}
    scan = LandingScan()
    if not root.is_dir():
        return scan
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue  # .DS_Store, editors' temporary folders
        if entry.is_file():
            if entry.suffix.lower() == ".csv":
                scan.stray_files.append(entry)
            continue
        code = codes.get(entry.name.upper())
        if code is None:
            scan.unknown_folders.append(entry)
            continue
        for path in sorted(entry.iterdir(), key=lambda p: p.name):
            if path.is_file() and path.suffix.lower() == ".csv" and not path.name.startswith("."):
                scan.files.append(LandingFile(path=path, chu=code))
    return scan


def peek_year(content: bytes, filename: str) -> int | None:
    """The campaign year a file is about, read cheaply (no Great Expectations): the first
    ``annee`` cell that is an integer, or None when the file cannot be read that far
    (binary, empty, no ``annee`` column). Used only to choose the partition; the full
    validation decides whether the file is valid."""
    from expectations.reading import read_table
    from expectations.validate import resolve_max_bytes

    if len(content) > resolve_max_bytes():
        return None  # refused before parsing anyway (§3.3): not worth reading here either
    table = read_table(content, filename, max_bytes=None)
    for _line, row in table.rows:
        text = (row.get("annee") or "").strip()
        if text:
            try:
                return int(text)
            except ValueError:
                return None
    return None


def validate_content(
    content: bytes,
    filename: str,
    *,
    sender_chu: str | None,
    reference: ReferenceData | None = None,
) -> ValidationResult:
    """The contract's validation (Great Expectations is imported here, lazily)."""
    from expectations.validate import validate_bytes

    return validate_bytes(content, filename, sender_chu=sender_chu, reference=reference)


def store(
    engine: Engine,
    *,
    content: bytes,
    filename: str,
    result: ValidationResult,
    sender_chu: str | None,
    channel: str,
    sender: str | None = None,
) -> StoredSubmission:
    """Keep the file as a submission (valid → current, invalid → rejected): nothing is lost."""
    from warehouse.submissions import store_submission

    return store_submission(
        engine,
        content=content,
        filename=filename,
        result=result,
        sender=sender or sender_label(sender_chu or "inconnu"),
        channel=channel,
        sender_chu=sender_chu,
    )


def markdown_table(rows: list[dict[str, object]], columns: list[str], limit: int = 10) -> str:
    """A small Markdown table (Dagster's ``MetadataValue.md`` preview); no extra dependency."""
    if not rows:
        return "_(aucune ligne)_"

    def cell(value: object) -> str:
        if value is None:
            return ""
        text = str(value)
        if text in ("nan", "<NA>", "NaT"):
            return ""
        text = text.replace("|", "\\|").replace("\n", " ")
        return text if len(text) <= 120 else text[:117] + "…"

    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows[:limit]:
        lines.append("| " + " | ".join(cell(row.get(c)) for c in columns) + " |")
    if len(rows) > limit:
        lines.append(f"\n… et {len(rows) - limit} ligne(s) de plus.")
    return "\n".join(lines)


def report_markdown(result: ValidationResult, limit: int = 20) -> str:
    """The validation report as Markdown: errors then warnings, with line and column."""
    report = result.report
    parts = [
        f"**Fichier** : `{report.file}` — type : {report.kind or '?'}, CHU : {report.chu or '?'}, "
        f"année : {report.annee if report.annee is not None else '?'}, lignes : {report.rows}",
    ]
    for title, findings in (("Erreurs", report.errors), ("Avertissements", report.warnings)):
        if findings:
            rows = [f.to_dict() for f in findings]
            parts.append(f"\n**{title}** ({len(findings)})\n")
            parts.append(markdown_table(rows, ["line", "column", "value", "message"], limit))
    if report.valid and not report.warnings:
        parts.append("\nAucune erreur, aucun avertissement.")
    return "\n".join(parts)


def records_markdown(result: ValidationResult, limit: int = 5) -> str:
    """The first canonical rows of a valid file, as Markdown."""
    records = result.records
    if records is None or records.empty:
        return "_(aucune ligne)_"
    columns = [str(c) for c in records.columns]
    return markdown_table(records.head(limit).to_dict(orient="records"), columns, limit)
