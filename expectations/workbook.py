"""Reading an Excel workbook (.xlsx) into the same :class:`~expectations.reading.ReadResult` as
a CSV file, so that the same contract and the same French report apply (issue 10).

``read_table`` dispatches here on the ZIP magic (and on the OLE container magic, so that an
encrypted workbook or an old .xls is explained). What is read:

* the sheet named after a kind (``maturite``, ``depenses``, ``profil``, accents and case
  ignored), otherwise the first sheet; the kind still comes from the header row;
* rows are numbered as Excel shows them (blank rows count); the report's ``column`` stays the
  contract name, and messages name the column by its letter too: « colonne D (niveau) »;
* numbers typed by Excel become the text a French CSV export would hold, so that they go
  through the same parsing as CSV: ``3`` and ``3.0`` → ``3``, ``1234.5`` → ``1234.5``; text
  cells stay text (``1 234,50`` is read like in a CSV); a date becomes ``dd/mm/yyyy`` (what
  French Excel exports), so it is an error in a number column, never a number, and a warning
  says Excel took the value for a date;
* formulas read as their cached values; a workbook whose formulas have none is refused.

Refused before any cell is read, each with a French message: anything but a ZIP of an XLSX
(ODS, XLSB, a plain archive), macro-enabled workbooks, encrypted or password-protected ones
(an OLE container, or encrypted ZIP entries), malformed ZIPs, and archives that would expand
beyond :data:`MAX_UNCOMPRESSED_BYTES` (zip bombs). The uncompressed sizes are read from the
ZIP directory first, then every entry is inflated in chunks and must produce exactly the
size it declares (a directory that lies is caught there), so memory stays bounded whatever
the file claims; only then does the reader open it.

Reader: python-calamine (the Rust calamine library), chosen on ``benchmarks/xlsx_readers.py``
(see benchmarks/README.md): several times faster than openpyxl's read-only mode on the same
workbooks, with peak memory bounded here by the uncompressed-size cap.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from expectations.contract import FILE_KINDS, KINDS, MAX_FILE_BYTES
from expectations.labels import human_size, location
from expectations.reading import (
    ReadResult,
    _column_letter,
    _finding,
    _read_header,
    normalize_name,
    quote_value,
    read_table,
)
from expectations.report import Finding

ZIP_MAGIC = b"PK\x03\x04"
# OLE compound file (CFB): an encrypted/password-protected .xlsx, or an old .xls.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_MAGICS = (ZIP_MAGIC, OLE_MAGIC)

# A workbook of the alliance holds a few thousand cells: 100 MiB of XML is far beyond any
# honest one (a 10 MB workbook of repetitive rows expands to ~100 MB) and still bounded.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ENTRIES = 10_000
_CHUNK = 1 << 16

# Free-text columns: a date there is the text the DSI typed, not a mistake of Excel's.
FREE_TEXT_COLUMNS = frozenset({"commentaire", "libelle", "fournisseur", "solution"})
# Informative columns of the ready-to-fill workbook (expectations.templates): read silently.
TEMPLATE_INFO_COLUMNS = ("titre_mesure", "chapitre")

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
# `<f>` or `<x:f ...>`: a formula element somewhere in the XML (cheap pre-check).
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


class WorkbookRefused(Exception):
    """The workbook cannot be read; ``finding`` says why in French."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _refuse(rule: str, **params: object) -> WorkbookRefused:
    return WorkbookRefused(_finding(rule, **params))


def is_workbook(content: bytes) -> bool:
    """True for bytes that start like an XLSX (a ZIP) or an OLE container (.xls, encrypted)."""
    return content.startswith(WORKBOOK_MAGICS)


# --------------------------------------------------------------------------- the container


@dataclass(frozen=True)
class _Entry:
    name: str
    size: int
    may_have_formulas: bool


def _inflate_checked(data: bytes, info: zipfile.ZipInfo) -> bool:
    """Inflate one entry in chunks, never holding more than a chunk: it must produce exactly
    ``info.file_size`` bytes with the declared CRC. Returns whether a formula tag occurs."""
    (signature, *_rest, name_length, extra_length) = struct.unpack_from(
        "<IHHHHHIIIHH", data, info.header_offset
    )
    if signature != 0x04034B50:
        raise _refuse("classeur_illisible", detail="en-tête d'élément ZIP invalide")
    start = info.header_offset + 30 + name_length + extra_length
    compressed = memoryview(data)[start : start + info.compress_size]
    if len(compressed) != info.compress_size:
        raise _refuse("classeur_illisible", detail="archive ZIP tronquée")
    produced, crc, formulas, tail = 0, 0, False, b""

    def feed(chunk: bytes) -> None:
        nonlocal produced, crc, formulas, tail
        produced += len(chunk)
        if produced > info.file_size:
            raise _refuse(
                "classeur_trop_gros_decompresse", limit=human_size(MAX_UNCOMPRESSED_BYTES)
            )
        crc = zlib.crc32(chunk, crc)
        if not formulas:
            window = tail + chunk
            formulas = _FORMULA_TAG.search(window) is not None
            tail = window[-16:]

    if info.compress_type == zipfile.ZIP_STORED:
        for offset in range(0, len(compressed), _CHUNK):
            feed(bytes(compressed[offset : offset + _CHUNK]))
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        pending = bytes(compressed)
        try:
            while pending and not inflater.eof:
                feed(inflater.decompress(pending, _CHUNK))
                pending = inflater.unconsumed_tail
            while not inflater.eof and (chunk := inflater.decompress(b"", _CHUNK)):
                feed(chunk)
        except zlib.error:
            raise _refuse("classeur_illisible", detail="données compressées corrompues") from None
        if not inflater.eof:
            raise _refuse("classeur_illisible", detail="données compressées incomplètes")
    if produced != info.file_size or crc != info.CRC:
        raise _refuse("classeur_illisible", detail="contrôle d'intégrité de l'archive en échec")
    return formulas


def _open_container(content: bytes) -> tuple[zipfile.ZipFile, dict[str, _Entry]]:
    """The checked ZIP: every refusal that needs no XML parsing happens here."""
    if content.startswith(OLE_MAGIC):
        if _ENCRYPTED_MARK in content:
            raise _refuse("classeur_chiffre")
        raise _refuse("classeur_xls")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse(
            "fichier_binaire",
            detail=" : il commence comme un classeur Excel .xlsx ou une archive .zip, mais il "
            "est endommagé",
        ) from None
    names = {info.filename for info in infos}
    if "mimetype" in names and "xl/workbook.xml" not in names:
        raise _refuse("fichier_binaire", detail=" (c'est un document OpenDocument .ods)")
    if "xl/workbook.bin" in names:
        raise _refuse("fichier_binaire", detail=" (c'est un classeur binaire Excel .xlsb)")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _refuse(
            "fichier_binaire", detail=" (c'est une archive .zip, pas un classeur Excel .xlsx)"
        )
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise _refuse("classeur_macros")
    if len(infos) > MAX_ENTRIES:
        raise _refuse("classeur_illisible", detail=f"plus de {MAX_ENTRIES} éléments dans l'archive")
    if any(info.flag_bits & 0x1 for info in infos):
        raise _refuse("classeur_chiffre")
    declared = sum(info.file_size for info in infos)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise _refuse("classeur_trop_gros_decompresse", limit=human_size(MAX_UNCOMPRESSED_BYTES))
    entries: dict[str, _Entry] = {}
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse("classeur_illisible", detail="méthode de compression non standard")
        try:
            formulas = _inflate_checked(content, info)
        except struct.error:
            raise _refuse("classeur_illisible", detail="archive ZIP tronquée") from None
        entries[info.filename] = _Entry(info.filename, info.file_size, formulas)
    return archive, entries


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    # Sizes are already checked; expat (≥ 2.4) refuses entity-expansion attacks itself.
    try:
        return ElementTree.fromstring(archive.read(name))
    except (ElementTree.ParseError, KeyError, zipfile.BadZipFile):
        raise _refuse("classeur_illisible", detail=f"partie {name} illisible") from None


def _content_types_macro(archive: zipfile.ZipFile) -> bool:
    types = _xml(archive, "[Content_Types].xml")
    return any("macroEnabled" in (node.get("ContentType") or "") for node in types.iter())


@dataclass(frozen=True)
class _Sheet:
    name: str
    path: str | None  # the sheet's XML part, None when the workbook does not say


def _sheets(archive: zipfile.ZipFile) -> list[_Sheet]:
    book = _xml(archive, "xl/workbook.xml")
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in archive.namelist():
        for rel in _xml(archive, "xl/_rels/workbook.xml.rels").iter(
            f"{{{_NS_PKG_REL}}}Relationship"
        ):
            target = (rel.get("Target") or "").lstrip("/")
            targets[rel.get("Id") or ""] = target if target.startswith("xl/") else f"xl/{target}"
    sheets = []
    for node in book.iter(f"{{{_NS_MAIN}}}sheet"):
        rid = node.get(f"{{{_NS_REL}}}id") or ""
        sheets.append(_Sheet(node.get("name") or "", targets.get(rid)))
    if not sheets:
        raise _refuse("classeur_sans_feuille")
    return sheets


def _choose_sheet(sheets: Sequence[_Sheet]) -> _Sheet:
    """The sheet named after a kind, otherwise the first sheet."""
    for sheet in sheets:
        if normalize_name(sheet.name) in KINDS:
            return sheet
    return sheets[0]


def _formulas_without_value(archive: zipfile.ZipFile, path: str) -> list[str]:
    """References of the cells whose formula has no cached value, streamed (bounded memory)."""
    missing: list[str] = []
    cell_tag, formula_tag, value_tag = (f"{{{_NS_MAIN}}}{t}" for t in ("c", "f", "v"))
    parent: ElementTree.Element | None = None
    try:
        with archive.open(path) as stream:
            for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                if event == "start":
                    if element.tag == f"{{{_NS_MAIN}}}sheetData":
                        parent = element
                    continue
                if element.tag == cell_tag:
                    formula = element.find(formula_tag)
                    value = element.find(value_tag)
                    if formula is not None and (value is None or not (value.text or "")):
                        missing.append(element.get("r") or "?")
                elif element.tag == f"{{{_NS_MAIN}}}row" and parent is not None:
                    parent.clear()  # keep no parsed row: memory stays flat over the sheet
    except ElementTree.ParseError:
        raise _refuse("classeur_illisible", detail=f"feuille {path} illisible") from None
    return missing


# --------------------------------------------------------------------------- cells → text


def number_text(value: float | int) -> str:
    """A number as French Excel's CSV export holds it: ``3.0`` → ``3``, ``1234.5`` →
    ``1234,5`` (decimal comma, every digit Excel stored), never an exponent."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)  # the shortest text that reads back as exactly this float
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text.replace(".", ",")


def _date_text(value: dt.date | dt.datetime | dt.time) -> str:
    if isinstance(value, dt.datetime):
        text = value.strftime("%d/%m/%Y")
        return text if value.time() == dt.time(0) else f"{text} {value:%H:%M}"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return value.strftime("%H:%M")


def cell_text(value: Any) -> tuple[str, bool]:
    """A cell value → (trimmed text, whether Excel stored it as a date or time)."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("VRAI" if value else "FAUX"), False
    if isinstance(value, int | float):
        return number_text(value), False
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return _date_text(value), True
    if isinstance(value, dt.timedelta):
        return str(value), True
    return str(value).strip(), False


def _sheet_rows(content: bytes, sheet_name: str) -> Iterator[list[Any]]:
    """Every row of the sheet from A1 (blank rows included), one Python list at a time."""
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheet = book.get_sheet_by_name(sheet_name)
        # iter_rows starts at row 1 but at the first used column: pad to start at column A,
        # so that indexes are Excel's (rows one at a time: no list of every row at once).
        start = sheet.start
        rows = sheet.iter_rows()
    except python_calamine.PasswordError:
        raise _refuse("classeur_chiffre") from None
    except Exception:  # calamine's errors (zip, xml, sheet) share no base class
        raise _refuse("classeur_illisible", detail="contenu illisible par le lecteur") from None
    padding = [None] * (start[1] if start else 0)
    for row in rows:
        yield padding + list(row) if padding else row


# --------------------------------------------------------------------------- entry point


def read_workbook(
    content: bytes,
    filename: str,
    max_bytes: int | None = MAX_FILE_BYTES,
    max_listed: int | None = None,
) -> ReadResult:
    """Read one received workbook. ``filename`` is only used in messages; ``max_listed``
    bounds the findings listed per rule, as for CSV (``read_table``)."""
    result = ReadResult()
    if max_bytes is not None and len(content) > max_bytes:
        result.errors.append(
            _finding(
                "fichier_trop_gros", size=human_size(len(content)), limit=human_size(max_bytes)
            )
        )
        return result
    try:
        archive, entries = _open_container(content)
        if _content_types_macro(archive):
            raise _refuse("classeur_macros")
        sheet = _choose_sheet(_sheets(archive))
        if sheet.path and sheet.path in entries and entries[sheet.path].may_have_formulas:
            missing = _formulas_without_value(archive, sheet.path)
            if missing:
                shown = ", ".join(missing[:5])
                more = f" (et {len(missing) - 5} autres)" if len(missing) > 5 else ""
                raise _refuse("formule_sans_valeur", cells=shown + more)
        result.sheet = sheet.name
        _fill(result, _sheet_rows(content, sheet.name), max_listed)
    except WorkbookRefused as refused:
        result.errors.append(refused.finding)
    return result


def _fill(result: ReadResult, rows: Iterable[list[Any]], max_listed: int | None = None) -> None:
    """Header and rows, as ``read_table`` does for CSV records (same findings, same rules)."""
    header: list[str] | None = None
    positions: dict[str, int] = {}
    warned: set[int] = set()  # nameless columns already warned about
    dated: set[str] = set()  # columns already warned about a date
    for line, values in enumerate(rows, start=1):
        cells: list[str] = []
        for index, value in enumerate(values):
            text, is_date = cell_text(value)
            if _CONTROL.search(text):
                raise _refuse("caractere_invisible", line=line, position=_column_letter(index))
            cells.append(text)
            if is_date and header is not None:
                column = next((n for n, i in positions.items() if i == index), None)
                if column and column not in FREE_TEXT_COLUMNS and column not in dated:
                    dated.add(column)
                    result.report(
                        "warning",
                        _finding("date_excel", line=line, column=column, value=text),
                        max_listed,
                    )
        if not any(cells):
            continue
        if header is None:
            # The template's title and chapter columns are for the DSI: read as unnamed
            # columns already warned about, so they raise no warning at all.
            info = {i for i, c in enumerate(cells) if normalize_name(c) in TEMPLATE_INFO_COLUMNS}
            header = ["" if i in info else c for i, c in enumerate(cells)]
            warned |= info
            result.header_line = line
            if not _read_header(result, header, line, positions, max_listed):
                return
            result.column_letters = {name: _column_letter(i) for name, i in positions.items()}
            continue
        for index, text in enumerate(cells):
            if text and index not in warned and (index >= len(header) or not header[index]):
                # Values under a column without a name are ignored: say so, once per column.
                warned.add(index)
                result.report(
                    "warning",
                    _finding(
                        "colonne_sans_nom",
                        line=result.header_line,
                        value=quote_value(text),
                        position=_column_letter(index),
                        first_line=line,
                    ),
                    max_listed,
                )
        result.add_row(
            line, {name: (cells[i] if i < len(cells) else "") for name, i in positions.items()}
        )
    if header is None:
        result.errors.append(_finding("fichier_vide"))
    elif not result.lines and not result.errors:
        result.errors.append(_finding("aucune_donnee"))


def with_column_letters(findings: list[Finding], letters: dict[str, str]) -> list[Finding]:
    """Messages that name a contract column name its letter too: « colonne D (niveau) »."""
    if not letters:
        return findings
    out = []
    for finding in findings:
        letter = letters.get(finding.column or "")
        prefix = location(finding.line, finding.column)
        if letter and prefix and finding.message.startswith(prefix):
            lettered = location(finding.line, finding.column, letter=letter)
            finding = Finding(
                line=finding.line,
                column=finding.column,
                value=finding.value,
                rule=finding.rule,
                message=lettered + finding.message[len(prefix) :],
            )
        out.append(finding)
    return out


# --------------------------------------------------------------------------- CSV → XLSX


def csv_to_xlsx(content: bytes, *, sheet_name: str | None = None) -> bytes:
    """A contract CSV as the workbook a DSI would have typed: numbers as numbers, codes and
    texts as text, the header unchanged. For tests and benchmarks (an alliance in XLSX)."""
    import openpyxl

    read = read_table(content, "conversion.csv")
    if read.kind is None:
        raise ValueError("le fichier CSV n'est pas lisible par le contrat : rien à convertir")
    text = content.decode(read.encoding or "utf-8").lstrip("\ufeff")
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=read.delimiter or ";"))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_name or read.kind
    header = [cell.strip() for cell in records[0]] if records else []
    names = [normalize_name(cell) for cell in header]
    for record in records:
        row: list[Any] = []
        for index, cell in enumerate(record):
            name = names[index] if index < len(names) else ""
            row.append(_typed_as_excel(cell.strip(), name))
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _typed_as_excel(text: str, column: str) -> Any:
    """What Excel stores when this text is typed in a cell: a plain number becomes a number;
    everything else (codes, free text, French grouped numbers) stays text."""
    from expectations.numbers import parse_number

    if column in FREE_TEXT_COLUMNS or column not in _NUMBER_COLUMNS or not text:
        return text or None
    try:
        number = parse_number(text)
    except ValueError:
        return text
    if " " in text or "\u00a0" in text or "\u202f" in text:
        return text  # French grouped digits: kept as typed text, read like a CSV cell
    return int(number) if number.is_integer() else number


_NUMBER_COLUMNS = frozenset(
    name
    for kind in FILE_KINDS.values()
    for name in kind.columns
    if name not in FREE_TEXT_COLUMNS
    and name not in {"chu", "mesure_id", "categorie", "nature", "fonction_csf", "iso27001"}
)
