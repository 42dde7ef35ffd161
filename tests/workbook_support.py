"""Helpers for the workbook tests: workbooks typed like a DSI would (openpyxl), hostile
workbooks built byte by byte (zip bombs, lying ZIP directories, macros, encryption), and
reports made comparable between CSV and XLSX."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from typing import Any

SHEET_PATH = "xl/worksheets/sheet1.xml"


def xlsx(
    rows: Sequence[Sequence[Any]], *, title: str = "Feuille1", more: dict | None = None
) -> bytes:
    """A workbook whose first sheet holds ``rows`` (Python values typed as Excel stores them);
    ``more`` adds sheets (name → rows) after it."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for name, other in (more or {}).items():
        extra = book.create_sheet(name)
        for row in other:
            extra.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_zip(
    content: bytes,
    change: Callable[[str, bytes], bytes] | None = None,
    add: dict[str, bytes] | None = None,
) -> bytes:
    """The same archive with each entry passed through ``change(name, data)`` and ``add``ed
    entries appended."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(info.filename, data) if change else data)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


def with_cached_values(content: bytes, values: dict[str, str] | None) -> bytes:
    """Formulas written by openpyxl carry no cached value (``<v />``): give the cells named in
    ``values`` the value Excel would have saved; ``None`` keeps them without any."""

    def change(name: str, data: bytes) -> bytes:
        if name != SHEET_PATH or not values:
            return data
        text = data.decode()
        for ref, value in values.items():
            text = re.sub(
                rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/>', rf"\1\2<v>{value}</v>", text
            )
        return text.encode()

    return rewrite_zip(content, change)


def raw_zip(entries: Sequence[tuple[str, bytes, int, int]]) -> bytes:
    """A ZIP written by hand: (name, deflated data, declared uncompressed size, CRC) each, so
    that the directory can declare whatever a hostile file declares."""
    local = io.BytesIO()
    central = io.BytesIO()
    for name, data, size, crc in entries:
        encoded = name.encode()
        offset = local.tell()
        header = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0
        )
        local.write(header + encoded + data)
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + encoded
        )
    directory = central.getvalue()
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), local.tell(), 0
    )
    return local.getvalue() + directory + end


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def zeros_stream(mebibytes: int) -> bytes:
    """A raw deflate stream that inflates to ``mebibytes`` MiB of zeros, built in a moment:
    after a full flush the compressor starts afresh, so one flushed MiB repeats as is."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = bytes(1 << 20)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return first + repeated * (mebibytes - 1) + compressor.flush()


def workbook_parts(sheet_data: bytes) -> list[tuple[str, bytes, int, int]]:
    """The minimal parts of an XLSX around a given sheet part (for ``raw_zip``)."""
    parts = {
        "[Content_Types].xml": (
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
        "xl/workbook.xml": (
            b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships"><sheets><sheet name="maturite" sheetId="1" r:id="rId1"/>'
            b"</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            b'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            b'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    entries = [(n, deflate(d), len(d), zlib.crc32(d)) for n, d in parts.items()]
    return entries + [(SHEET_PATH, sheet_data, 0, 0)]


def zip_bomb(expands_to_mib: int, *, declared: int | None = None) -> bytes:
    """A workbook whose sheet inflates to ``expands_to_mib`` MiB. The directory declares that
    size, or ``declared`` bytes (a directory that lies, to slip past a size check)."""
    entries = workbook_parts(b"")
    name, _data, _size, _crc = entries[-1]
    size = expands_to_mib << 20 if declared is None else declared
    entries[-1] = (name, zeros_stream(expands_to_mib), size, 0)
    return raw_zip(entries)


def encrypted_workbook() -> bytes:
    """What Excel writes for a workbook saved with a password: an OLE compound file whose
    directory holds the ``EncryptionInfo`` and ``EncryptedPackage`` streams (content
    abridged: the reader must refuse it from the container alone)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff"
    header = header.ljust(512, b"\x00")
    directory = b"".join(
        name.encode("utf-16-le").ljust(64, b"\x00") + bytes(64)
        for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage")
    )
    return header + directory.ljust(1024, b"\x00") + bytes(2048)


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """A report without its file name, with « colonne D (niveau) » said as for a CSV
    (« colonne « niveau » »): what must be equal between a CSV and its workbook."""
    out = {key: value for key, value in report.items() if key != "file"}
    for key in ("errors", "warnings"):
        out[key] = [
            {
                **finding,
                "message": re.sub(
                    r"olonne [A-Z]{1,3} \((\w+)\)", r"olonne « \1 »", finding["message"]
                ),
            }
            for finding in report[key]
        ]
    return out


def sample_table(path: Any) -> tuple[list[str], list[list[str]]]:
    """A committed sample CSV as its header and rows of text (what ``read_table`` reads)."""
    from expectations.reading import read_table

    read = read_table(path.read_bytes(), path.name)
    assert read.ok, read.errors
    return list(read.columns), [[cells[c] for c in read.columns] for _line, cells in read.rows]


def open_book(content: bytes) -> Any:
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(content))


def save_book(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def list_validations(sheet: Any) -> dict[str, list[str]]:
    """Header name → the values of the drop-down list over that column."""
    from openpyxl.utils import column_index_from_string

    header = [c.value for c in sheet[1]]
    out: dict[str, list[str]] = {}
    for rule in sheet.data_validations.dataValidation:
        if rule.type != "list":
            continue
        column = str(rule.sqref).split(":")[0].rstrip("0123456789")
        out[header[column_index_from_string(column) - 1]] = rule.formula1.strip('"').split(",")
    return out


def filled_maturity_csv_lines(chu: str, annee: int) -> list[str]:
    """The CSV template of that campaign filled (every level 3, target 4), line by line."""
    from expectations.templates import render_template

    text = render_template("maturite", chu, annee).decode("utf-8-sig")
    return [line.replace(";;;", ";3;4;") for line in text.split("\r\n") if line]
