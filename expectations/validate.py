"""Validate one received file against the data contract (DESIGN §3) and build its report.

Three stages, each reporting in the same French :class:`~expectations.report.Finding` form:

1. reading (``expectations.reading``): size, encoding, delimiter, header, kind;
2. typing (here): every cell is parsed into a typed column (numbers in French formats,
   codes in canonical form); a cell that cannot be typed is reported once, here;
3. rules: row-level rules (sets, ranges, pairs, uniqueness, lengths, required cells) run
   through the kind's Great Expectations suite (``expectations.gx_runner``); file-level
   rules (one CHU and one year per file, the sender, every measure present, one profile
   row) are plain code below.

``records`` (canonical typed rows) is returned only for a valid file, so nothing invalid
can reach the warehouse by mistake.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations.contract import (
    DEPENSES,
    FILE_KINDS,
    MATURITE,
    MAX_FILE_BYTES,
    MIN_YEAR,
    NATURE_SYNONYMS,
    NOT_APPLICABLE,
    PROFIL,
)
from expectations.labels import human_size, rule_message
from expectations.numbers import parse_integer, parse_number
from expectations.reading import ReadResult, normalize_name, read_table
from expectations.report import Finding, ValidationReport

if TYPE_CHECKING:
    import pandas as pd

    from expectations.reference import ReferenceData

MAX_BYTES_ENV = "CHU_BENCH_MAX_FILE_BYTES"


@dataclass(frozen=True)
class FileToValidate:
    """One received file for :func:`validate_batch`: its bytes, its name (for messages only)
    and the CHU that sends it (``None`` when the sender is not known)."""

    content: bytes
    filename: str
    sender_chu: str | None = None


@dataclass
class ValidationResult:
    report: ValidationReport
    records: pd.DataFrame | None = None

    @property
    def valid(self) -> bool:
        return self.report.valid


def resolve_max_bytes(explicit: int | None = None) -> int:
    """Size limit: explicit argument > ``CHU_BENCH_MAX_FILE_BYTES`` > contract default (10 MB)."""
    if explicit is not None:
        return explicit
    value = os.environ.get(MAX_BYTES_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return MAX_FILE_BYTES


def max_year(today: dt.date | None = None) -> int:
    return (today or dt.date.today()).year + 1


def _finding(
    rule: str, line: int | None, column: str | None, value: str | None = None, **params: Any
) -> Finding:
    return Finding(
        line=line,
        column=column,
        value=value if value not in ("", None) else None,
        rule=rule,
        message=rule_message(rule, line=line, column=column, value=value, **params),
    )


# --------------------------------------------------------------------------- typing


class _Invalid(ValueError):
    """A cell that cannot be typed; carries the rule to report."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


def _code_upper(text: str) -> str:
    return text.strip().upper()


def _code_name(text: str) -> str:
    # Codes like ``audit_certification`` or ``en_cours``: case, accents, spaces ignored.
    return normalize_name(text)


def _nature(text: str) -> str:
    name = normalize_name(text)
    return NATURE_SYNONYMS.get(name, name)


def _year(text: str) -> int:
    try:
        return parse_integer(text)
    except ValueError:
        raise _Invalid("annee_entier") from None


def _integer(rule: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            return parse_integer(text)
        except ValueError:
            raise _Invalid(rule) from None

    return parse


def _number(rule: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            return parse_number(text)
        except ValueError:
            raise _Invalid(rule) from None

    return parse


def _level(rule: str, *, na_means_empty: bool) -> Callable[[str], Any]:
    """A 0–5 level; ``NA`` (any case) is "not applicable" for niveau, empty for cible."""

    def parse(text: str) -> Any:
        if text.upper() == NOT_APPLICABLE:
            return None if na_means_empty else NOT_APPLICABLE
        try:
            return parse_integer(text)
        except ValueError:
            raise _Invalid(rule) from None

    return parse


def _text(text: str) -> str:
    return text


_COMMON = {"chu": _code_upper, "annee": _year}
PARSERS: dict[str, dict[str, Callable[[str], Any]]] = {
    MATURITE: {
        **_COMMON,
        "mesure_id": _text,  # canonicalised against the referential in _type_rows
        "niveau": _level("niveau_entre_0_et_5", na_means_empty=False),
        "cible": _level("cible_entre_0_et_5", na_means_empty=True),
        "commentaire": _text,
    },
    DEPENSES: {
        **_COMMON,
        "categorie": _code_name,
        "nature": _nature,
        "montant_mad": _number("montant_mad_nombre"),
        "libelle": _text,
        "fonction_csf": _code_upper,
        "fournisseur": _text,
        "solution": _text,
    },
    PROFIL: {
        **_COMMON,
        "lits": _integer("lits_entier"),
        "effectif_total": _number("effectif_total_nombre"),
        "effectif_si": _number("effectif_si_nombre"),
        "effectif_ssi": _number("effectif_ssi_nombre"),
        "budget_total_mad": _number("budget_total_mad_nombre"),
        "budget_si_mad": _number("budget_si_mad_nombre"),
        "iso27001": _code_name,
        "stade_numerique": _integer("stade_numerique_entre_0_et_7"),
        "incidents_declares": _integer("incidents_declares_entier"),
    },
}


def _type_rows(
    kind: str, rows: list[tuple[int, dict[str, str]]], measure_ids: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Typed values per row (None for an empty or untypable cell) and the typing findings."""
    parsers = PARSERS[kind]
    typed_rows: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for line, cells in rows:
        typed: dict[str, Any] = {"line": line}
        for column, parse in parsers.items():
            text = cells.get(column, "")
            if text == "":
                typed[column] = None
                continue
            try:
                typed[column] = parse(text)
            except _Invalid as invalid:
                typed[column] = None
                findings.append(_finding(invalid.rule, line, column, text))
        if kind == MATURITE and typed["mesure_id"] is not None:
            # Matched ignoring case and surrounding spaces, stored as the referential spells it.
            typed["mesure_id"] = measure_ids.get(typed["mesure_id"].upper(), typed["mesure_id"])
        typed_rows.append(typed)
    return typed_rows, findings


def _gx_frame(kind: str, rows: list[tuple[int, dict[str, str]]], typed_rows: list[dict]) -> Any:
    """The frame the suite sees: raw text per contract column (None when empty) for presence
    and length rules, ``<column>__val`` typed values for sets, ranges and pairs."""
    import pandas as pd

    columns = FILE_KINDS[kind].columns
    data: dict[str, list[Any]] = {"line": [line for line, _ in rows]}
    for column in columns:
        data[column] = [cells.get(column) or None for _, cells in rows]
    for column in columns:
        values = [typed[column] for typed in typed_rows]
        if kind == MATURITE and column == "niveau":
            values = [None if v == NOT_APPLICABLE else v for v in values]
        if all(v is None or isinstance(v, str) for v in values):
            data[f"{column}__val"] = pd.Series(values, dtype=object)
        else:
            data[f"{column}__val"] = pd.Series(values, dtype="float64")
    return pd.DataFrame(data)


# --------------------------------------------------------------------------- file-level rules


def _single_value(
    rows: list[dict[str, Any]], column: str, rule: str
) -> tuple[Any | None, list[Finding]]:
    """One CHU / one year per file: the value, or an error on the first row that differs."""
    first: Any | None = None
    for typed in rows:
        value = typed[column]
        if value is None:
            continue
        if first is None:
            first = value
        elif value != first:
            return None, [_finding(rule, typed["line"], column, str(value), first=str(first))]
    return first, []


def _sort_key(kind: str | None) -> Callable[[Finding], tuple]:
    order = {name: i for i, name in enumerate(FILE_KINDS[kind].columns)} if kind else {}

    def key(finding: Finding) -> tuple:
        return (
            -1 if finding.line is None else finding.line,
            order.get(finding.column or "", -1 if finding.column is None else len(order)),
        )

    return key


def _records(kind: str, chu: str, annee: int, typed_rows: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(typed_rows)
    frame["chu"] = chu
    frame["annee"] = annee

    def optional_text(series: pd.Series) -> pd.Series:
        return series.astype(object).where(series.notna(), None)

    if kind == MATURITE:
        niveau = frame["niveau"].map(lambda v: None if v == NOT_APPLICABLE else v)
        out = pd.DataFrame(
            {
                "chu": frame["chu"],
                "annee": frame["annee"].astype(int),
                "line": frame["line"].astype(int),
                "mesure_id": frame["mesure_id"].astype(object),
                "niveau": pd.array(niveau.tolist(), dtype="Int64"),
                "cible": pd.array(frame["cible"].tolist(), dtype="Int64"),
                "commentaire": optional_text(frame["commentaire"]),
            }
        )
    elif kind == DEPENSES:
        out = pd.DataFrame(
            {
                "chu": frame["chu"],
                "annee": frame["annee"].astype(int),
                "line": frame["line"].astype(int),
                "categorie": frame["categorie"].astype(object),
                "nature": frame["nature"].astype(object),
                "montant_mad": frame["montant_mad"].astype(float),
                "libelle": frame["libelle"].astype(object),
                "fonction_csf": optional_text(frame["fonction_csf"]),
                "fournisseur": optional_text(frame["fournisseur"]),
                "solution": optional_text(frame["solution"]),
            }
        )
    else:
        out = pd.DataFrame(
            {
                "chu": frame["chu"],
                "annee": frame["annee"].astype(int),
                "line": frame["line"].astype(int),
                "lits": frame["lits"].astype(int),
                "effectif_total": frame["effectif_total"].astype(float),
                "effectif_si": frame["effectif_si"].astype(float),
                "effectif_ssi": frame["effectif_ssi"].astype(float),
                "budget_total_mad": frame["budget_total_mad"].astype(float),
                "budget_si_mad": frame["budget_si_mad"].astype(float),
                "iso27001": frame["iso27001"].astype(object),
                "stade_numerique": pd.array(frame["stade_numerique"].tolist(), dtype="Int64"),
                "incidents_declares": pd.array(frame["incidents_declares"].tolist(), dtype="Int64"),
            }
        )
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- entry points


def validate_bytes(
    content: bytes,
    filename: str,
    *,
    sender_chu: str | None = None,
    reference: ReferenceData | None = None,
    max_bytes: int | None = None,
) -> ValidationResult:
    """Validate a file's bytes. Never raises for a bad file: every problem is in the report.

    ``sender_chu`` declares who is sending (``--chu``, the dashboard user's CHU, the landing
    folder): a file about another CHU is then invalid (error on the first row, column chu).
    """
    read = read_table(content, filename, max_bytes=resolve_max_bytes(max_bytes))
    result = _validate_read(read, filename, sender_chu=sender_chu, reference=reference)
    if read.column_letters:
        # A workbook: messages name the column by its letter too, « colonne D (niveau) ».
        from expectations.workbook import with_column_letters

        report = result.report
        report.errors = with_column_letters(report.errors, read.column_letters)
        report.warnings = with_column_letters(report.warnings, read.column_letters)
    return result


def validate_batch(
    files: Sequence[FileToValidate],
    *,
    reference: ReferenceData | None = None,
    max_bytes: int | None = None,
) -> list[ValidationResult]:
    """Validate many files at once; result ``i`` is exactly what :func:`validate_bytes`
    gives for ``files[i]`` alone."""
    if reference is None and files:
        from expectations.reference import load_reference

        reference = load_reference()
    return [
        validate_bytes(
            f.content,
            f.filename,
            sender_chu=f.sender_chu,
            reference=reference,
            max_bytes=max_bytes,
        )
        for f in files
    ]


def validate_file(
    path: str | os.PathLike[str],
    *,
    sender_chu: str | None = None,
    reference: ReferenceData | None = None,
    max_bytes: int | None = None,
) -> ValidationResult:
    """Validate a file on disk; its size is checked before anything is read."""
    path = Path(path)
    limit = resolve_max_bytes(max_bytes)
    size = path.stat().st_size
    if size > limit:
        report = ValidationReport(file=path.name)
        report.errors.append(
            _finding(
                "fichier_trop_gros", None, None, size=human_size(size), limit=human_size(limit)
            )
        )
        return ValidationResult(report=report, records=None)
    return validate_bytes(
        path.read_bytes(), path.name, sender_chu=sender_chu, reference=reference, max_bytes=limit
    )


def _validate_read(
    read: ReadResult,
    filename: str,
    *,
    sender_chu: str | None,
    reference: ReferenceData | None,
) -> ValidationResult:
    report = ValidationReport(file=filename, kind=read.kind, rows=len(read.rows))
    report.warnings.extend(read.warnings)
    if not read.ok or read.kind is None:
        report.errors.extend(read.errors)
        report.errors.sort(key=_sort_key(read.kind))
        return ValidationResult(report=report, records=None)

    if reference is None:
        from expectations.reference import load_reference

        reference = load_reference()
    kind = read.kind
    rows = read.rows
    errors: list[Finding] = []

    # The referential is the campaign's; the year is only known after typing, so measure ids
    # are first matched against every referential, then checked against the campaign's by GX.
    all_ids = {
        m.mesure_id.upper(): m.mesure_id for ms in reference.referentials.values() for m in ms
    }
    typed_rows, typing_errors = _type_rows(kind, rows, all_ids)
    errors.extend(typing_errors)
    skip = {(f.line, f.column) for f in typing_errors}

    chu, chu_errors = _single_value(typed_rows, "chu", "chu_unique")
    annee, annee_errors = _single_value(typed_rows, "annee", "annee_unique")
    errors.extend(chu_errors + annee_errors)
    top_year = max_year()
    report.chu = chu if chu in reference.establishments else None
    report.annee = annee if annee is not None and MIN_YEAR <= annee <= top_year else None

    if sender_chu is not None:
        sender = sender_chu.strip().upper()
        # The first row that names a CHU (the first row, unless its cell is left empty —
        # that empty cell is then still reported as missing).
        first = next((t for t in typed_rows if t["chu"] is not None), None)
        if first is not None and first["chu"] != sender:
            line = first["line"]
            errors.append(_finding("chu_expediteur", line, "chu", first["chu"], sender=sender))
            skip.add((line, "chu"))

    campaign_year = report.annee if report.annee is not None else max(reference.campaign_years)
    measures = reference.measures_for_year(campaign_year)
    referential = reference.referential_code_for_year(campaign_year)
    parameters = {
        "chu_codes": reference.chu_codes,
        "annee_max": top_year,
        "mesure_ids": [m.mesure_id for m in measures],
    }
    message_params = {
        "codes": ", ".join(reference.chu_codes),
        "max_year": top_year,
        "referential": referential,
    }

    def message(rule: str, line: int | None, column: str | None, value: str | None, extra):
        return rule_message(rule, line=line, column=column, value=value, **message_params, **extra)

    from expectations.gx_runner import run_suite

    errors.extend(
        run_suite(
            kind,
            _gx_frame(kind, rows, typed_rows),
            parameters=parameters,
            raw_rows=dict(rows),
            message=message,
            skip=skip,
        )
    )

    if kind == MATURITE:
        present = {t["mesure_id"] for t in typed_rows}
        for measure in measures:
            if measure.mesure_id not in present:
                errors.append(
                    _finding(
                        "mesure_manquante",
                        None,
                        "mesure_id",
                        measure.mesure_id,
                        title=measure.titre,
                    )
                )
    if kind == PROFIL and len(rows) > 1:
        errors.append(_finding("profil_une_ligne", rows[1][0], None, None, count=len(rows)))

    report.errors = sorted(errors, key=_sort_key(kind))
    records = None
    if report.valid and report.chu is not None and report.annee is not None:
        records = _records(kind, report.chu, report.annee, typed_rows)
    return ValidationResult(report=report, records=records)
