"""The landing folder, as plain functions (no Dagster here): what it holds, and which files
the pipeline must ingest (:func:`plan_landing`, the one routing function of the sensor,
``chu-bench run`` and the weekly check).

Layout: ``<landing>/<CHU>/*.csv|*.xlsx``; the folder name is a code of the registry and
says who sent the file (the *sender*). The landing folder stays inside itself: a symbolic
link (file or folder) or a path that resolves outside the landing root is refused without
being read (:func:`read_landed` opens with ``O_NOFOLLOW`` too, should a file be swapped
for a link after the scan), and recorded as a rejected submission with its reason.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from warehouse.ingestion import IngestionOutcome

# Extensions the scan picks up (a workbook is read like a CSV: expectations.workbook).
LANDING_SUFFIXES = (".csv", ".xlsx")

REASON_SYMLINK = (
    "Lien symbolique refusé : le dossier de dépôt n'accepte que des fichiers ordinaires. "
    "Déposez le fichier lui-même (copie), pas un lien."
)
REASON_OUTSIDE = (
    "Chemin refusé : il mène hors du dossier de dépôt. Déposez le fichier lui-même dans le "
    "dossier de votre CHU."
)


@dataclass(frozen=True)
class LandingFile:
    """A file found in the landing folder. ``chu`` is the registry code of its folder."""

    path: Path
    chu: str

    @property
    def display(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"


@dataclass(frozen=True)
class RefusedEntry:
    """A landed path refused without being read (``display``: as shown to users)."""

    display: str
    chu: str
    reason: str


@dataclass
class LandingScan:
    """What the landing folder holds: files to ingest, and what cannot be ingested."""

    files: list[LandingFile] = field(default_factory=list)
    refused: list[RefusedEntry] = field(default_factory=list)
    # Sub-folders whose name is not a code of the registry (reported, never ingested).
    unknown_folders: list[Path] = field(default_factory=list)
    # Files directly under the landing folder: nobody can tell who sent them.
    stray_files: list[Path] = field(default_factory=list)


def sender_label(chu: str) -> str:
    """Who sent a file of the landing folder (``submissions.sender``)."""
    return f"dossier de dépôt {chu}"


def _is_landing_name(path: Path) -> bool:
    return path.suffix.lower() in LANDING_SUFFIXES and not path.name.startswith(".")


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except OSError:
        return False


def scan_landing(directory: str | Path, chu_codes: list[str] | tuple[str, ...]) -> LandingScan:
    """The ``*.csv`` and ``*.xlsx`` files under ``directory/<CHU>/``, sorted by folder then
    name; symbolic links and paths leading outside the root are listed as refused.

    Folder names are matched to registry codes ignoring case (``fes/`` is Fès); other
    folders and files outside any CHU folder are listed so that callers can report them.
    """
    root = Path(directory)
    codes = {code.upper(): code for code in chu_codes}
    scan = LandingScan()
    if not root.is_dir():
        return scan
    real_root = root.resolve()
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue  # .DS_Store, editors' temporary folders
        code = codes.get(entry.name.upper())
        if entry.is_symlink() or not _inside(entry, real_root):
            if code is not None:
                scan.refused.append(RefusedEntry(f"{entry.name}/", code, REASON_SYMLINK))
            continue
        if entry.is_file():
            if _is_landing_name(entry):
                scan.stray_files.append(entry)
            continue
        if code is None:
            scan.unknown_folders.append(entry)
            continue
        for path in sorted(entry.iterdir(), key=lambda p: p.name):
            if not _is_landing_name(path):
                continue
            display = f"{entry.name}/{path.name}"
            if path.is_symlink():
                scan.refused.append(RefusedEntry(display, code, REASON_SYMLINK))
            elif not _inside(path, real_root):
                scan.refused.append(RefusedEntry(display, code, REASON_OUTSIDE))
            elif path.is_file():
                scan.files.append(LandingFile(path=path, chu=code))
    return scan


def read_landed(path: Path) -> bytes:
    """A landed file's bytes, never through a symbolic link (OSError if it became one)."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read()


@dataclass
class LandingPlan:
    """What the pipeline must do with the landing folder (see :func:`plan_landing`)."""

    directory: Path
    # Files whose bytes the warehouse has not received from their CHU: to ingest.
    new: list[LandingFile] = field(default_factory=list)
    # SHA-256 of each new file's bytes when scanned (the run finds its outcome by it).
    digests: dict[Path, str] = field(default_factory=dict)
    # Files (and refused paths) already received: their stored outcome, nothing to do.
    known: list[tuple[LandingFile | RefusedEntry, IngestionOutcome]] = field(default_factory=list)
    # Refused paths not recorded yet: to record as rejected submissions.
    refused: list[RefusedEntry] = field(default_factory=list)
    # Files that vanished or could not be read since the scan: (file, French reason).
    unreadable: list[tuple[LandingFile, str]] = field(default_factory=list)
    # Files modified too recently (maybe still being copied): left for the next look.
    settling: list[LandingFile] = field(default_factory=list)
    unknown_folders: list[Path] = field(default_factory=list)
    stray_files: list[Path] = field(default_factory=list)
    seen: int = 0  # files and refused paths found

    @property
    def has_work(self) -> bool:
        return bool(self.new or self.refused)


def plan_landing(
    directory: str | Path,
    engine: Engine,
    chu_codes: list[str] | tuple[str, ...],
    *,
    settle_seconds: float = 0.0,
) -> LandingPlan:
    """Scan the landing folder and sort what it holds: new files (their bytes not received
    from their CHU yet), files already received (with their outcome), refused paths to
    record, unreadable files. Reads each file once to hash it; keeps no content."""
    from warehouse.ingestion import known_outcomes, refused_digest
    from warehouse.submissions import sha256_hex

    scan = scan_landing(directory, chu_codes)
    plan = LandingPlan(
        directory=Path(directory),
        unknown_folders=scan.unknown_folders,
        stray_files=scan.stray_files,
        seen=len(scan.files) + len(scan.refused),
    )
    now = time.time()
    keyed: list[tuple[LandingFile | RefusedEntry, tuple[str, str]]] = []
    for landed in scan.files:
        if settle_seconds and now - _mtime(landed.path) < settle_seconds:
            plan.settling.append(landed)
            continue
        try:
            content = read_landed(landed.path)
        except OSError as exc:  # removed or unreadable since the scan: one bad file
            plan.unreadable.append((landed, f"fichier illisible ({exc.strerror or exc})"))
            continue
        keyed.append((landed, (sha256_hex(content), landed.chu)))
    for entry in scan.refused:
        keyed.append((entry, (refused_digest(entry.display), entry.chu)))
    known = known_outcomes(engine, [key for _item, key in keyed])
    for item, key in keyed:
        outcome = known.get(key)
        if outcome is not None:
            plan.known.append((item, outcome))
        elif isinstance(item, RefusedEntry):
            plan.refused.append(item)
        else:
            plan.new.append(item)
            plan.digests[item.path] = key[0]
    return plan


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0


def markdown_table(rows: list[dict[str, object]], columns: list[str], limit: int = 10) -> str:
    """A small Markdown table (Dagster's ``MetadataValue.md``); no extra dependency.
    Only for what may leave the warehouse: counts, codes, rules, line numbers."""
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


def report_markdown(report: dict[str, Any], limit: int = 20) -> str:
    """A validation report for Dagster's metadata: the verdict, counts, and each finding's
    rule, line and column — never a cell value nor a message (messages quote values):
    hospital data stays in the warehouse, where the full report is stored."""
    errors = report.get("errors") or []
    warnings = report.get("warnings") or []
    # Kind and counts only: the CHU and year of a rejected file are whatever its cells
    # said (the partition, chosen from them when they are a registry code and a campaign
    # year, already tells them).
    parts = [
        f"type : {report.get('kind') or '?'}, lignes : {report.get('rows', 0)}, "
        f"erreurs : {len(errors)}, avertissements : {len(warnings)}"
    ]
    for title, findings in (("Erreurs", errors), ("Avertissements", warnings)):
        if findings:
            rows = [
                {"regle": f.get("rule"), "ligne": f.get("line"), "colonne": f.get("column")}
                for f in findings
            ]
            parts.append(f"\n**{title}** ({len(findings)})\n")
            parts.append(markdown_table(rows, ["regle", "ligne", "colonne"], limit))
    parts.append("\nLe rapport complet est conservé dans l'entrepôt avec la soumission.")
    return "\n".join(parts)
