"""Reading what people actually send (DESIGN §3.3): bytes → header + rows of trimmed text.

Everything that can go wrong while reading (size, encoding, binary content, malformed CSV,
unknown header) becomes a :class:`~expectations.report.Finding`, never an exception: the
CLI, the dashboard and the pipeline all show the same French report.

Row numbers are the spreadsheet's: the header is row 1, the first record row 2, and blank
rows count. A quoted cell holding a line break is *one* spreadsheet row, so rows are
numbered by CSV record, not by physical line.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from array import array
from dataclasses import dataclass, field

from expectations.contract import FILE_KINDS, MAX_FILE_BYTES
from expectations.labels import human_size, rule_message
from expectations.report import Finding

DELIMITERS = (";", ",", "\t")
# Records looked at to choose the delimiter: enough to see the header and a few rows.
_SNIFF_RECORDS = 30

# Well-known binary formats people send by mistake, with a hint of what they are.
_MAGIC = (
    (b"PK\x03\x04", " (c'est un classeur Excel .xlsx, un document .ods ou une archive .zip)"),
    (b"\xd0\xcf\x11\xe0", " (c'est un ancien classeur Excel .xls)"),
    (b"%PDF", " (c'est un document PDF)"),
    (b"\x89PNG", " (c'est une image PNG)"),
    (b"\xff\xd8\xff", " (c'est une image JPEG)"),
    (b"\x1f\x8b", " (c'est une archive compressée .gz)"),
)
# C0 control characters other than tab, LF, CR never appear in a CSV typed by a person.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
_SEPARATORS = re.compile(r"[\s\-.]+")
# What a file holding no value at all is made of: blanks, line ends, separators, quotes.
_EMPTY_CHARS = ' \t\r\n\u00a0\u202f;,"'
# Appended on a line of its own after the text: the csv module (non-strict) reads a quote that
# is never closed to the end of the file without a word, so a cell that ends up holding this
# character is a quote left open. \x01 cannot be in the text (``decode`` refuses controls).
_END_MARK = "\x01"


@dataclass
class ReadResult:
    """What the reader made of a file, stored by column and dictionary-encoded (a million rows
    of dicts would cost gigabytes): ``lines[i]`` is the spreadsheet line of record ``i``;
    ``codes[column][i]`` indexes ``texts[column]``, the column's distinct trimmed texts
    (``texts[column][0]`` is ``""``, an empty cell), for the contract columns of the header.

    ``totals`` counts every finding per rule, including those not listed because a rule
    already listed ``max_listed`` of them (see :func:`expectations.report.bound_findings`).
    """

    kind: str | None = None
    columns: list[str] = field(default_factory=list)
    lines: array = field(default_factory=lambda: array("q"))
    codes: dict[str, array] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    header_line: int | None = None
    # Workbooks only (expectations.workbook): the sheet read, and each contract column's
    # letter, so that messages say « colonne D (niveau) » as Excel shows it.
    sheet: str | None = None
    column_letters: dict[str, str] = field(default_factory=dict)
    _encoders: list = field(default_factory=list, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def row_count(self) -> int:
        return len(self.lines)

    @property
    def rows(self) -> list[tuple[int, dict[str, str]]]:
        """Row by row, ``(line, {column: text})``: for small files and callers that read a few
        cells; the validation itself works on the columns."""
        names = list(self.codes)
        return [
            (line, {name: self.texts[name][self.codes[name][i]] for name in names})
            for i, line in enumerate(self.lines)
        ]

    def cell(self, column: str, index: int) -> str:
        """The trimmed text of record ``index`` in ``column`` (``""`` if not in the header)."""
        codes = self.codes.get(column)
        return "" if codes is None else self.texts[column][codes[index]]

    def start_columns(self) -> list[tuple[array, dict[str, int], list[str]]]:
        """Empty encoded columns for ``self.columns``: (codes, text → code, texts)."""
        out = []
        for name in self.columns:
            self.codes[name] = array("l")
            self.texts[name] = [""]
            out.append((self.codes[name], {"": 0}, self.texts[name]))
        return out

    def add_row(self, line: int, row: dict[str, str]) -> None:
        """Append one record (another reader, e.g. a workbook's, builds its result this way)."""
        if not self.codes:
            self._encoders = self.start_columns()
        self.lines.append(line)
        for name, (codes, lookup, texts) in zip(self.columns, self._encoders, strict=True):
            _append(codes, lookup, texts, row.get(name, ""))

    def report(self, kind: str, finding: Finding, max_listed: int | None) -> None:
        """Add an error or warning (``kind``), counted always, listed up to ``max_listed``."""
        count = self.totals.get(finding.rule, 0) + 1
        self.totals[finding.rule] = count
        if max_listed is None or count <= max_listed:
            (self.errors if kind == "error" else self.warnings).append(finding)


def _append(codes: array, lookup: dict[str, int], texts: list[str], text: str) -> None:
    code = lookup.get(text)
    if code is None:
        code = lookup[text] = len(texts)
        texts.append(text)
    codes.append(code)


def normalize_name(text: str) -> str:
    """Header and code matching: ignore case, accents, surrounding spaces (``Année`` → ``annee``,
    `` Montant MAD `` → ``montant_mad``)."""
    text = text.replace("\ufeff", "").strip()
    if text.isascii():  # most headers: no accent to remove (and 50,000 columns stay cheap)
        return _SEPARATORS.sub("_", text.lower()).strip("_")
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SEPARATORS.sub("_", plain.lower()).strip("_")


def _finding(
    rule: str,
    line: int | None = None,
    column: str | None = None,
    value: str | None = None,
    **params: object,
) -> Finding:
    return Finding(
        line=line,
        column=column,
        value=value,
        rule=rule,
        message=rule_message(rule, line=line, column=column, value=value, **params),
    )


def decode(content: bytes) -> tuple[str | None, str | None, Finding | None]:
    """Bytes → (text, encoding name, None) or (None, None, the error)."""
    if not content.strip(b" \t\r\n"):
        return None, None, _finding("fichier_vide")
    if content.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" is UTF-16 with a BOM; the codec reads the BOM for the byte order.
        candidates = ["utf-16"]
    else:
        for magic, detail in _MAGIC:
            if content.startswith(magic):
                return None, None, _finding("fichier_binaire", detail=detail)
        if b"\x00" in content:
            return None, None, _finding("fichier_binaire", detail="")
        # UTF-8 first: a Windows-1252 file with accents is almost never valid UTF-8.
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            return None, None, _finding("fichier_binaire", detail="")
        if not text.replace("\ufeff", "").strip(_EMPTY_CHARS):
            # Excel writes an empty sheet with formatted cells as rows of separators.
            return None, None, _finding("fichier_vide")
        return text, encoding, None
    return None, None, _finding("encodage_inconnu")


def _sniff_delimiter(text: str) -> str:
    """Choose the delimiter that best explains the header and the first rows.

    Score, in order: how many header cells are contract column names (the surest sign),
    how consistent the number of cells is across rows, how many header cells there are.
    French files with decimal commas use ``;``, so ``;`` wins ties.
    """
    known = {name for kind in FILE_KINDS.values() for name in kind.columns}
    best: tuple[tuple[int, float, int], str] | None = None
    for delimiter in DELIMITERS:
        records: list[list[str]] = []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            for r in itertools.islice(reader, _SNIFF_RECORDS):
                if any(cell.strip() for cell in r):
                    records.append(r)
        except csv.Error:
            # A cell over the csv module's limit: score on the records read before it, so
            # that the reader reports that cell (in French) instead of a header not recognised.
            pass
        if not records:
            continue
        header = records[0]
        recognised = sum(normalize_name(cell) in known for cell in header)
        body = records[1:]
        consistent = sum(len(r) == len(header) for r in body) / len(body) if body else 1.0
        score = (recognised, consistent if len(header) > 1 else 0.0, len(header))
        if best is None or score > best[0]:
            best = (score, delimiter)
    return best[1] if best else ";"


def _recognise_kind(names: list[str], line: int) -> tuple[str | None, Finding | None]:
    """The kind is recognised from the header, never from the file name (DESIGN §3.2)."""
    present = set(names)
    overlaps = {kind.name: len(present & set(kind.signature)) for kind in FILE_KINDS.values()}
    top = max(overlaps.values())
    if top == 0:
        return None, _finding("type_non_reconnu", line=line)
    winners = [name for name, count in overlaps.items() if count == top]
    if len(winners) > 1:
        return None, _finding("type_ambigu", line=line, detail=" ou ".join(winners))
    return winners[0], None


def read_table(
    content: bytes,
    filename: str,
    max_bytes: int | None = MAX_FILE_BYTES,
    max_listed: int | None = None,
) -> ReadResult:
    """Read one received file. ``filename`` is only used in messages, never to guess the kind.

    ``max_listed`` bounds the findings listed per rule (every one is still counted in
    ``totals``), so that a file of a million bad rows costs a bounded report.
    """
    result = ReadResult()
    if max_bytes is not None and len(content) > max_bytes:
        result.errors.append(
            _finding(
                "fichier_trop_gros", size=human_size(len(content)), limit=human_size(max_bytes)
            )
        )
        return result
    from expectations import workbook  # the one dispatch to the XLSX reader (issue 10)

    if workbook.is_workbook(content):
        return workbook.read_workbook(content, filename, max_bytes=max_bytes, max_listed=max_listed)
    text, encoding, problem = decode(content)
    if problem is not None:
        result.errors.append(problem)
        return result
    result.encoding = encoding
    text = text.lstrip("\ufeff")
    delimiter = _sniff_delimiter(text)
    result.delimiter = delimiter

    ending = "" if text.endswith(("\n", "\r")) else "\r\n"
    records = csv.reader(io.StringIO(text + ending + _END_MARK, newline=""), delimiter=delimiter)
    del text  # the reader holds its own copy; a 10 MB file must not be held three times
    header: list[str] | None = None
    positions: dict[str, int] = {}
    nameless: dict[int, str] = {}  # header cells left empty → their column letter
    columns: list[tuple[array, dict[str, int], list[str], int]] = []  # encoders + record index
    lines = result.lines
    line = 0
    try:
        for record in records:
            line += 1
            # A quote never closed swallows the rest of the file into the last cell of the
            # last record, which then holds the end mark.
            if record and _END_MARK in record[-1]:
                if record == [_END_MARK]:
                    break
                open_quote = len(record) - 1
                column = next((n for n, i in positions.items() if i == open_quote), None)
                result.errors.append(
                    _finding(
                        "guillemet_non_ferme",
                        line=line,
                        column=column,
                        position=_column_letter(open_quote),
                    )
                )
                return result
            if not any(cell.strip() for cell in record):
                continue  # entirely empty: ignored, but it counted in ``line``
            if header is None:
                header = record
                result.header_line = line
                if not _read_header(result, header, line, positions, max_listed):
                    return result
                nameless = {
                    i: _column_letter(i) for i, cell in enumerate(header) if not cell.strip()
                }
                columns = [
                    (*encoder, positions[name])
                    for name, encoder in zip(result.columns, result.start_columns(), strict=True)
                ]
                width = len(header)
                continue
            if nameless:
                for index in [i for i in nameless if i < len(record) and record[i].strip()]:
                    # Values under a column without a name are ignored: say so, once per column.
                    result.report(
                        "warning",
                        _finding(
                            "colonne_sans_nom",
                            line=result.header_line,
                            value=quote_value(record[index].strip()),
                            position=nameless.pop(index),
                            first_line=line,
                        ),
                        max_listed,
                    )
            count = len(record)
            if count > width and any(cell.strip() for cell in record[width:]):
                result.report(
                    "error",
                    _finding("trop_de_valeurs", line=line, count=count, expected=width),
                    max_listed,
                )
                continue
            lines.append(line)
            for codes, lookup, texts, index in columns:
                text = record[index].strip() if index < count else ""
                code = lookup.get(text)
                if code is None:
                    code = lookup[text] = len(texts)
                    texts.append(text)
                codes.append(code)
    except csv.Error as exc:
        result.errors.append(_finding("csv_illisible", line=line + 1, detail=_csv_detail(exc)))
        return result

    if header is None:
        result.errors.append(_finding("fichier_vide"))
    elif not lines and not result.errors:
        result.errors.append(_finding("aucune_donnee"))
    return result


# Values quoted in a report are cut to this many characters: a report lists a bounded number
# of findings, each of a bounded size, whatever the file holds.
QUOTED_MAX_CHARS = 200


def quote_value(value: str | None) -> str | None:
    """A cell's text as a report quotes it: whole up to ``QUOTED_MAX_CHARS``, then cut with « … »."""
    if value is None or len(value) <= QUOTED_MAX_CHARS:
        return value
    return value[:QUOTED_MAX_CHARS] + "…"


def _column_letter(index: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``: the column as the spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _csv_detail(exc: csv.Error) -> str:
    """The csv module's English complaint, said in French."""
    text = str(exc)
    if "field larger than field limit" in text:
        limit = f"{csv.field_size_limit():,}".replace(",", "\u202f")
        return (
            f"une cellule dépasse {limit} caractères, souvent parce qu'un guillemet "
            "ouvert n'est pas refermé"
        )
    return "ligne illisible par le lecteur CSV"


def _read_header(
    result: ReadResult,
    header: list[str],
    line: int,
    positions: dict[str, int],
    max_listed: int | None = None,
) -> bool:
    """Map header cells to contract columns; False when the file cannot be read further."""
    names = [normalize_name(cell) for cell in header]
    kind, problem = _recognise_kind(names, line)
    if problem is not None:
        result.errors.append(problem)
        return False
    result.kind = kind
    spec = FILE_KINDS[kind]
    for index, (raw, name) in enumerate(zip(header, names, strict=True)):
        if name in spec.columns:
            if name in positions:
                result.report(
                    "error", _finding("colonne_en_double", line=line, column=name), max_listed
                )
                continue
            positions[name] = index
        elif name:
            # `column` names a contract column (§3.4): an unknown one is null, its header in `value`.
            result.report(
                "warning",
                _finding(
                    "colonne_inconnue", line=line, column=None, value=quote_value(raw.strip())
                ),
                max_listed,
            )
    result.columns = [name for name in spec.columns if name in positions]
    for name in spec.required:
        if name not in positions:
            result.errors.append(_finding("colonne_manquante", line=line, column=name))
    return not result.errors
