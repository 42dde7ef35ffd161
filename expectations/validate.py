"""Validate received files against the data contract (DESIGN §3) and build their reports.

Three stages, each reporting in the same French :class:`~expectations.report.Finding` form:

1. reading (``expectations.reading``): size, encoding, delimiter, header, kind;
2. typing (here): every cell is parsed into a typed column (numbers in French formats,
   codes in canonical form); a cell that cannot be typed is reported once, here. Typing
   works on a column's distinct values, so its cost follows what a file says, not its size;
3. rules: row-level rules (sets, ranges, pairs, uniqueness, lengths, required cells) run
   through the kind's Great Expectations suite (``expectations.gx_runner``), once for all
   the files of a kind in a batch (rows keyed by file and line); file-level rules (one CHU
   and one year per file, the sender, every measure present, one profile row) are plain
   code below.

Each file's report is exactly what validating it alone gives: nothing a rule sees depends
on the other files of the batch (the campaign's measure ids are paired with the file's
referential, uniqueness is per file). A report lists at most ``max_listed`` findings per
rule, then one « … et N autres lignes » with the exact count (``report.bound_findings``).

``records`` (canonical typed rows) is returned only for a valid file, so nothing invalid
can reach the warehouse by mistake.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from expectations.contract import (
    DEPENSES,
    FILE_KINDS,
    MATURITE,
    MAX_FILE_BYTES,
    MAX_LISTED_PER_RULE,
    MIN_YEAR,
    NATURE_SYNONYMS,
    NOT_APPLICABLE,
    PROFIL,
)
from expectations.labels import human_size, rule_message
from expectations.numbers import parse_integer, parse_number
from expectations.reading import ReadResult, normalize_name, quote_value, read_table
from expectations.report import Finding, ValidationReport, bound_findings

if TYPE_CHECKING:
    import pandas as pd

    from expectations.reference import ReferenceData

MAX_BYTES_ENV = "CHU_BENCH_MAX_FILE_BYTES"
MAX_LISTED_ENV = "CHU_BENCH_MAX_LISTED"


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


def resolve_max_listed(explicit: int | None = None) -> int:
    """Findings listed per rule: explicit argument > ``CHU_BENCH_MAX_LISTED`` > 200."""
    if explicit is not None:
        return explicit
    value = os.environ.get(MAX_LISTED_ENV, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return MAX_LISTED_PER_RULE


def max_year(today: dt.date | None = None) -> int:
    return (today or dt.date.today()).year + 1


def _finding(
    rule: str, line: int | None, column: str | None, value: str | None = None, **params: Any
) -> Finding:
    value = quote_value(value) if value not in ("", None) else None
    return Finding(
        line=line,
        column=column,
        value=value,
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
        "mesure_id": _text,  # canonicalised against the referential in _type_columns
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
# Columns whose typed values are numbers (the suite compares them as floats).
NUMERIC: dict[str, frozenset[str]] = {
    MATURITE: frozenset({"annee", "niveau", "cible"}),
    DEPENSES: frozenset({"annee", "montant_mad"}),
    PROFIL: frozenset(
        {
            "annee",
            "lits",
            "effectif_total",
            "effectif_si",
            "effectif_ssi",
            "budget_total_mad",
            "budget_si_mad",
            "stade_numerique",
            "incidents_declares",
        }
    ),
}


def _type_texts(
    texts: Sequence[str], parse: Callable[[str], Any], *, numeric: bool
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Typed values of a column's distinct texts, the mask of those that cannot be typed and
    their rule. Numbers come as floats (NaN for an empty or untypable cell, and for ``NA``,
    not applicable), other values as objects (None for an empty or untypable cell)."""
    values = np.full(len(texts), np.nan) if numeric else np.empty(len(texts), dtype=object)
    bad = np.zeros(len(texts), dtype=bool)
    rule: str | None = None
    for i, text in enumerate(texts):
        if text == "":
            continue
        try:
            value = parse(text)
        except _Invalid as invalid:
            bad[i] = True
            rule = invalid.rule
            continue
        if numeric and value == NOT_APPLICABLE:
            continue  # a level not applicable: no number to compare
        values[i] = value
    return values, bad, rule


def _present(values: np.ndarray) -> np.ndarray:
    """Positions of the cells that hold a typed value."""
    if values.dtype.kind == "f":
        return np.flatnonzero(~np.isnan(values))
    return np.flatnonzero(values != None)  # noqa: E711 - elementwise on an object array


@dataclass
class _File:
    """One file between reading and its report. Columns stay dictionary-encoded: ``codes``
    per row, ``values`` (typed) and ``texts`` per distinct cell; rows identical in every
    contract cell form one ``pattern``, which the suite sees once."""

    read: ReadResult
    report: ValidationReport
    kind: str
    lines: np.ndarray
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    skip: set[tuple[int, str]] = field(default_factory=set)
    referential: str = ""
    measures: tuple = ()
    message_params: dict[str, Any] = field(default_factory=dict)
    pattern: np.ndarray | None = None  # per row: its pattern
    representatives: np.ndarray | None = None  # per pattern: its first row
    repeat: np.ndarray | None = None  # maturite, per row: its measure id came earlier
    first_row: np.ndarray | None = None  # maturite, per measure id code: its first row
    measure_code: np.ndarray | None = None  # maturite, per row: its measure id's code
    anchor: np.ndarray | None = None  # maturite, per pattern: its id's first pattern or -1
    rep_lines: np.ndarray | None = None  # per pattern: the line of its first row (ascending)
    _texts: dict[str, np.ndarray] = field(default_factory=dict)
    # (rule, column, other) → (the failure, which patterns failed), in the suite's order.
    failures: dict[tuple, tuple[Any, np.ndarray]] = field(default_factory=dict)

    def record_failure(self, key: int, failure: Any) -> None:
        """Mark this file's patterns among a suite failure's rows (the file's key ``key``)."""
        slot = (failure.rule, failure.column, failure.other)
        if slot not in self.failures:
            self.failures[slot] = (failure, np.zeros(len(self.representatives), dtype=bool))
        stored, failed = self.failures[slot]
        if failure.crash is not None:
            if stored.crash is None:
                self.failures[slot] = (failure, failed)
            return
        start, stop = np.searchsorted(failure.files, [key, key + 1])
        if start < stop:
            failed[np.searchsorted(self.rep_lines, failure.lines[start:stop])] = True

    def raw(self, column: str, index: int) -> str:
        return self.read.cell(column, index)

    def text_array(self, column: str) -> np.ndarray:
        """The column's distinct texts as an array, None for code 0 (the empty cell)."""
        if column not in self._texts:
            texts = np.asarray(self.read.texts.get(column, [""]), dtype=object)
            texts[0] = None
            self._texts[column] = texts
        return self._texts[column]

    def typed(self, column: str) -> np.ndarray:
        return self.values[column][self.codes[column]]

    def add(self, finding: Finding, cap: int) -> None:
        """Count a finding; keep it only while its rule has listed fewer than ``cap``."""
        count = self.totals.get(finding.rule, 0) + 1
        self.totals[finding.rule] = count
        if count <= cap:
            self.errors.append(finding)

    def listing(self, rule: str, count: int, cap: int) -> int:
        """Count ``count`` findings of ``rule``; how many of them are still to be listed."""
        before = self.totals.get(rule, 0)
        self.totals[rule] = before + count
        return max(0, min(count, cap - before))


def _type_file(read: ReadResult, file: _File, measure_ids: Mapping[str, str], cap: int) -> None:
    """Typed columns of ``file`` and the findings of cells that cannot be typed."""
    n = len(file.lines)
    numeric = NUMERIC[file.kind]
    for column, parse in PARSERS[file.kind].items():
        encoded = read.codes.get(column)
        codes = (
            np.zeros(n, dtype=np.int64)
            if encoded is None
            else np.frombuffer(encoded, dtype=np.int64)
            if len(encoded)
            else np.zeros(0, dtype=np.int64)
        )
        texts = read.texts.get(column, [""])
        if column == "mesure_id":
            # Matched ignoring case and surrounding spaces, stored as the referential spells it.
            def parse(text: str) -> str:
                return measure_ids.get(text.upper(), text)

        values, bad, rule = _type_texts(texts, parse, numeric=column in numeric)
        file.codes[column] = codes
        file.values[column] = values
        if rule is not None:
            rows = np.flatnonzero(bad[codes])
            for index in rows[: file.listing(rule, len(rows), cap)]:
                line = int(file.lines[index])
                file.errors.append(_finding(rule, line, column, texts[codes[index]]))


def _patterns(file: _File) -> None:
    """Rows alike in every contract cell are one pattern; the suite sees each pattern once.

    Uniqueness is the one rule that looks across rows: a row whose measure id came earlier
    in the file is marked ``repeat`` and that mark is part of the pattern, so a repeated id
    always spans two patterns or more and the suite still sees it repeated."""
    import pandas as pd

    columns = FILE_KINDS[file.kind].columns
    n = len(file.lines)
    key = np.zeros(n, dtype=np.int64)
    parts = [file.codes[c] for c in columns]
    if file.kind == MATURITE:
        ids = file.typed("mesure_id")
        measure_code, _ = pd.factorize(ids)  # -1 for an empty id
        first_row = np.full(int(measure_code.max(initial=-1)) + 2, -1, dtype=np.int64)
        order = np.arange(n - 1, -1, -1)
        first_row[measure_code[order]] = order  # the smallest row wins (written last)
        repeat = (first_row[measure_code] != np.arange(n)) & (measure_code >= 0)
        file.measure_code, file.first_row, file.repeat = measure_code, first_row, repeat
        parts.append(repeat.astype(np.int64))
    for part in parts:
        # Dense after each step, so that key * width + part never overflows.
        width = int(part.max(initial=0)) + 1
        key, _ = pd.factorize(key * width + part)
    patterns, representatives = np.unique(key, return_index=True)
    order = np.argsort(representatives)  # patterns in the order of their first row
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    file.pattern = rank[np.searchsorted(patterns, key)]
    file.representatives = representatives[order]
    file.rep_lines = file.lines[file.representatives]
    if file.kind == MATURITE:
        # Per pattern, the pattern of the first row of its measure id when that id is
        # repeated (else -1): validated in chunks, a repeat travels with its first row.
        codes = file.measure_code[file.representatives]
        repeated = np.zeros(len(file.first_row), dtype=bool)
        repeated[file.measure_code[file.repeat]] = True
        anchored = (codes >= 0) & repeated[codes]
        file.anchor = np.where(anchored, file.pattern[file.first_row[codes]], -1)


# --------------------------------------------------------------------------- file-level rules


def _single_value(file: _File, column: str, rule: str, cap: int) -> Any | None:
    """One CHU / one year per file: the value, or an error on the first row that differs."""
    values = file.typed(column)
    present = _present(values)
    if not len(present):
        return None
    first = values[present[0]]
    differing = present[values[present] != first]
    if values.dtype.kind == "f":
        first = int(first)  # the year: a whole number once typed
    if len(differing):
        index = differing[0]
        value = values[index]
        if values.dtype.kind == "f":
            value = int(value)
        file.add(_finding(rule, int(file.lines[index]), column, str(value), first=str(first)), cap)
        return None
    return first


def _sort_key(kind: str | None) -> Callable[[Finding], tuple]:
    order = {name: i for i, name in enumerate(FILE_KINDS[kind].columns)} if kind else {}

    def key(finding: Finding) -> tuple:
        return (
            -1 if finding.line is None else finding.line,
            order.get(finding.column or "", -1 if finding.column is None else len(order)),
        )

    return key


def _records(kind: str, chu: str, annee: int, file: _File) -> pd.DataFrame:
    import pandas as pd

    typed = {column: file.typed(column) for column in PARSERS[kind]}
    n = len(file.lines)

    def optional_text(column: str) -> pd.Series:
        return pd.Series(typed[column], dtype=object)

    def floats(column: str) -> np.ndarray:
        return typed[column].astype(float)

    def integers(column: str) -> Any:
        return pd.Series(typed[column]).astype("Int64").array

    common = {
        "chu": pd.Series([chu] * n, dtype=object),
        "annee": np.full(n, int(annee), dtype=int),
        "line": file.lines.astype(int),
    }
    if kind == MATURITE:
        out = pd.DataFrame(
            {
                **common,
                "mesure_id": optional_text("mesure_id"),
                "niveau": integers("niveau"),  # NA (not applicable) is a missing level
                "cible": integers("cible"),
                "commentaire": optional_text("commentaire"),
            }
        )
    elif kind == DEPENSES:
        out = pd.DataFrame(
            {
                **common,
                "categorie": optional_text("categorie"),
                "nature": optional_text("nature"),
                "montant_mad": floats("montant_mad"),
                "libelle": optional_text("libelle"),
                "fonction_csf": optional_text("fonction_csf"),
                "fournisseur": optional_text("fournisseur"),
                "solution": optional_text("solution"),
            }
        )
    else:
        out = pd.DataFrame(
            {
                **common,
                "lits": typed["lits"].astype(int),
                "effectif_total": floats("effectif_total"),
                "effectif_si": floats("effectif_si"),
                "effectif_ssi": floats("effectif_ssi"),
                "budget_total_mad": floats("budget_total_mad"),
                "budget_si_mad": floats("budget_si_mad"),
                "iso27001": optional_text("iso27001"),
                "stade_numerique": integers("stade_numerique"),
                "incidents_declares": integers("incidents_declares"),
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
    max_listed: int | None = None,
) -> ValidationResult:
    """Validate a file's bytes. Never raises for a bad file: every problem is in the report.

    ``sender_chu`` declares who is sending (``--chu``, the dashboard user's CHU, the landing
    folder): a file about another CHU is then invalid (error on the first row, column chu).
    """
    return validate_batch(
        [FileToValidate(content, filename, sender_chu)],
        reference=reference,
        max_bytes=max_bytes,
        max_listed=max_listed,
    )[0]


def validate_batch(
    files: Sequence[FileToValidate],
    *,
    reference: ReferenceData | None = None,
    max_bytes: int | None = None,
    max_listed: int | None = None,
) -> list[ValidationResult]:
    """Validate many files at once; result ``i`` is exactly what :func:`validate_bytes`
    gives for ``files[i]`` alone. The row rules of all the files of a kind run in one
    Great Expectations validation."""
    limit = resolve_max_bytes(max_bytes)
    cap = resolve_max_listed(max_listed)
    results: list[ValidationResult | None] = [None] * len(files)
    pending: dict[str, list[tuple[int, _File]]] = {}
    for position, item in enumerate(files):
        read = read_table(item.content, item.filename, max_bytes=limit, max_listed=cap)
        report = ValidationReport(file=item.filename, kind=read.kind, rows=read.row_count)
        if not read.ok or read.kind is None:
            report.errors = read.errors
            report.warnings = read.warnings
            results[position] = _finish(read, report, read.totals, cap)
            continue
        if reference is None:
            from expectations.reference import load_reference

            reference = load_reference()
        file = _prepare(read, report, item.sender_chu, reference, cap)
        pending.setdefault(file.kind, []).append((position, file))

    for kind, batch in pending.items():
        _run_rules(kind, [file for _, file in batch], reference)
        for position, file in batch:
            _apply_failures(file, cap)
            results[position] = _conclude(file, cap)
    return [r for r in results if r is not None]


def validate_file(
    path: str | os.PathLike[str],
    *,
    sender_chu: str | None = None,
    reference: ReferenceData | None = None,
    max_bytes: int | None = None,
    max_listed: int | None = None,
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
        path.read_bytes(),
        path.name,
        sender_chu=sender_chu,
        reference=reference,
        max_bytes=limit,
        max_listed=max_listed,
    )


# --------------------------------------------------------------------------- stages


def _prepare(
    read: ReadResult,
    report: ValidationReport,
    sender_chu: str | None,
    reference: ReferenceData,
    cap: int,
) -> _File:
    """Typing and the file-level rules that come before the suite."""
    kind = read.kind
    assert kind is not None
    report.warnings = list(read.warnings)
    file = _File(
        read=read,
        report=report,
        kind=kind,
        lines=np.frombuffer(read.lines, dtype=np.int64) if len(read.lines) else np.zeros(0, int),
        totals=dict(read.totals),
    )
    # The referential is the campaign's; the year is only known after typing, so measure ids
    # are first matched against every referential, then checked against the campaign's by GX.
    all_ids = {
        m.mesure_id.upper(): m.mesure_id for ms in reference.referentials.values() for m in ms
    }
    _type_file(read, file, all_ids, cap)

    chu = _single_value(file, "chu", "chu_unique", cap)
    annee = _single_value(file, "annee", "annee_unique", cap)
    top_year = max_year()
    report.chu = chu if chu in reference.establishments else None
    report.annee = annee if annee is not None and MIN_YEAR <= annee <= top_year else None

    if sender_chu is not None:
        sender = sender_chu.strip().upper()
        # The first row that names a CHU (the first row, unless its cell is left empty —
        # that empty cell is then still reported as missing).
        chus = file.typed("chu")
        named = _present(chus)
        if len(named) and chus[named[0]] != sender:
            index = named[0]
            line = int(file.lines[index])
            value = chus[index]
            file.add(_finding("chu_expediteur", line, "chu", value, sender=sender), cap)
            file.skip.add((line, "chu"))

    campaign_year = report.annee if report.annee is not None else max(reference.campaign_years)
    file.measures = reference.measures_for_year(campaign_year)
    file.referential = reference.referential_code_for_year(campaign_year)
    file.message_params = {
        "codes": ", ".join(reference.chu_codes),
        "max_year": top_year,
        "referential": file.referential,
    }
    _patterns(file)
    return file


def _frame(kind: str, key: int, file: _File, patterns: np.ndarray) -> pd.DataFrame:
    """The rows the suite sees for one file (one per pattern), indexed by (fichier, line):
    raw text per contract column (None when empty) for presence and length rules,
    ``<column>__val`` typed values for sets, ranges and pairs, and the file's key (uniqueness
    is per file) and referential (measure ids are the campaign's) for the per-file rules."""
    import pandas as pd

    from expectations.gx_runner import FILE_COLUMN, LINE_COLUMN

    rows = file.representatives[patterns]
    n = len(rows)
    data: dict[str, Any] = {}
    for column in FILE_KINDS[kind].columns:
        data[column] = file.text_array(column)[file.codes[column][rows]]
    for column in FILE_KINDS[kind].columns:
        data[f"{column}__val"] = file.values[column][file.codes[column][rows]]
    data["fichier_cle"] = np.full(n, key, dtype=np.int64)
    if kind == MATURITE:
        # A measure id is checked against its file's referential (« code|mesure_id »), so
        # that files of different campaigns share one validation and one parameter.
        ids = data["mesure_id__val"]
        data["mesure_id__referentiel"] = np.asarray(
            [None if v is None else f"{file.referential}|{v}" for v in ids], dtype=object
        )
    index = pd.MultiIndex.from_arrays(
        [np.full(n, key, dtype=np.int64), file.lines[rows]], names=[FILE_COLUMN, LINE_COLUMN]
    )
    return pd.DataFrame(data, index=index)


# Patterns per Great Expectations validation: a file of a million distinct rows is
# validated in chunks, so that what GX builds per row stays bounded.
CHUNK_ROWS = 100_000


def _run_rules(kind: str, files: list[_File], reference: ReferenceData) -> None:
    """Great Expectations validations for every file of ``kind``: one for a whole batch of
    ordinary files, chunks of ``CHUNK_ROWS`` patterns beyond that. The failures of the
    chunks are merged per expectation; a file's failures do not depend on the chunking."""
    import pandas as pd

    from expectations.gx_runner import run_suite

    parameters = {
        "chu_codes": reference.chu_codes,
        "annee_max": max_year(),
        "mesures_par_referentiel": [
            f"{code}|{m.mesure_id}" for code, ms in reference.referentials.items() for m in ms
        ],
    }
    chunks: list[list[tuple[int, _File, np.ndarray]]] = [[]]
    size = 0
    for key, file in enumerate(files):
        total = len(file.representatives)
        for start in range(0, total, CHUNK_ROWS):
            patterns = np.arange(start, min(start + CHUNK_ROWS, total))
            if file.anchor is not None:
                anchors = file.anchor[patterns]
                patterns = np.union1d(patterns, anchors[anchors >= 0])
            if size and size + len(patterns) > CHUNK_ROWS:
                chunks.append([])
                size = 0
            chunks[-1].append((key, file, patterns))
            size += len(patterns)
    # Per file, per failed expectation: which of its patterns failed (one byte a pattern,
    # whatever the number of failing rows), or the message of an expectation that crashed.
    for chunk in chunks:
        frames = [_frame(kind, key, file, patterns) for key, file, patterns in chunk]
        frame = frames[0] if len(frames) == 1 else pd.concat(frames)
        del frames
        for failure in run_suite(kind, frame, parameters=parameters):
            for key, file, _patterns in chunk:
                file.record_failure(key, failure)
        del frame


def _apply_failures(file: _File, cap: int) -> None:
    """The file's findings from the suite's failures: each failing pattern stands for all
    its rows; values are quoted as written."""
    for failure, failed in file.failures.values():
        column = failure.column
        if failure.crash is not None:
            file.add(
                _message(file, "erreur_interne", None, column, None, detail=failure.crash), cap
            )
            continue
        rows = np.flatnonzero(failed[file.pattern])
        if failure.repeats_only:
            rows = rows[file.repeat[rows]]  # the first row of a repeated id is not a repeat
        skipped = [line for line, skip_column in file.skip if skip_column == column]
        if skipped:
            rows = rows[~np.isin(file.lines[rows], skipped)]
        for index in rows[: file.listing(failure.rule, len(rows), cap)]:
            index = int(index)
            line = int(file.lines[index])
            value = file.raw(column, index) if column else None
            extra: dict[str, Any] = {"first_line": None}
            if failure.repeats_only:
                first = file.first_row[file.measure_code[index]]
                extra["first_line"] = int(file.lines[first])
            if failure.other:
                extra["other"] = file.raw(failure.other, index)
            if failure.rule.endswith("_trop_long"):
                extra["length"] = len(value or "")
            file.errors.append(_message(file, failure.rule, line, column, value, **extra))


def _message(
    file: _File, rule: str, line: int | None, column: str | None, value: str | None, **extra: Any
) -> Finding:
    value = quote_value(value) if value not in ("", None) else None
    return Finding(
        line=line,
        column=column,
        value=value,
        rule=rule,
        message=rule_message(
            rule, line=line, column=column, value=value, **file.message_params, **extra
        ),
    )


def _conclude(file: _File, cap: int) -> ValidationResult:
    """The file-level rules that come after the suite, then the bounded, sorted report."""
    report = file.report
    kind = file.kind
    if kind == MATURITE:
        used = np.unique(file.codes["mesure_id"])
        present = set(file.values["mesure_id"][used].tolist())
        for measure in file.measures:
            if measure.mesure_id not in present:
                file.add(
                    _finding(
                        "mesure_manquante",
                        None,
                        "mesure_id",
                        measure.mesure_id,
                        title=measure.titre,
                    ),
                    cap,
                )
    if kind == PROFIL and len(file.lines) > 1:
        file.add(
            _finding("profil_une_ligne", int(file.lines[1]), None, None, count=len(file.lines)),
            cap,
        )
    report.errors = list(file.read.errors) + file.errors
    result = _finish(file.read, report, file.totals, cap)
    if result.report.valid and report.chu is not None and report.annee is not None:
        result.records = _records(kind, report.chu, report.annee, file)
    return result


def _finish(
    read: ReadResult, report: ValidationReport, totals: Mapping[str, int], cap: int
) -> ValidationResult:
    """Sort and bound the findings (« … et N autres lignes »), name workbook columns."""
    key = _sort_key(report.kind)
    report.errors = bound_findings(report.errors, totals, cap, key)
    report.warnings = bound_findings(report.warnings, read.totals, cap, key)
    if read.column_letters:
        # A workbook: messages name the column by its letter too, « colonne D (niveau) ».
        from expectations.workbook import with_column_letters

        report.errors = with_column_letters(report.errors, read.column_letters)
        report.warnings = with_column_letters(report.warnings, read.column_letters)
    return ValidationResult(report=report, records=None)
