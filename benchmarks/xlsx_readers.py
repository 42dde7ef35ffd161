"""Which XLSX reader should chu-bench use? openpyxl (read-only mode) against python-calamine.

    .venv/bin/python -m benchmarks.xlsx_readers            # three workbooks, a minute or so
    .venv/bin/python -m benchmarks.xlsx_readers --quick    # the two small ones only

Both readers open the same workbook bytes and hand every cell value of the first sheet to
Python (what ``expectations.workbook`` needs). Each measurement runs in a fresh interpreter,
so that the peak resident memory (``VmHWM``) is the reader's own; times are medians of
``--repeat`` runs of the read alone (import excluded, measured separately). Results are
printed as Markdown with the side-by-side ratio openpyxl / calamine.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILE = PROJECT_ROOT / "data" / "sample" / "FES" / "maturite_fes_2025.csv"

# Runs in a fresh interpreter: prints {"import": s, "reads": [s, ...], "rss_kib": n, "cells": n}.
_READ = r"""
import io, json, sys, time
reader, path, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(path, "rb").read()
t = time.perf_counter()
if reader == "openpyxl":
    import openpyxl
else:
    import python_calamine
imported = time.perf_counter() - t

def read():
    cells = 0
    if reader == "openpyxl":
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for row in book.worksheets[0].iter_rows(values_only=True):
            cells += len(row)
        book.close()
    else:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for row in book.get_sheet_by_index(0).iter_rows():
            cells += len(row)
    return cells

reads = []
for _ in range(repeat):
    t = time.perf_counter()
    cells = read()
    reads.append(time.perf_counter() - t)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec from the (large) parent.
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"import": imported, "reads": reads, "rss_kib": rss, "cells": cells}))
"""


def _maturity_workbook() -> bytes:
    """The committed FES maturity file (104 measures) as a workbook."""
    from expectations.workbook import csv_to_xlsx

    return csv_to_xlsx(SAMPLE_FILE.read_bytes())


def _spending_workbook(rows: int) -> bytes:
    """A spending workbook of ``rows`` lines: text, codes and amounts, as DSIs fill it."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "depenses"
    sheet.append(["chu", "annee", "categorie", "nature", "montant_mad", "libelle", "fournisseur"])
    categories = ("logiciels", "materiel", "prestations", "formation", "personnel")
    for i in range(rows):
        sheet.append(
            [
                "FES",
                2025,
                categories[i % len(categories)],
                "capex" if i % 3 else "opex",
                1000 + (i * 37.25) % 250_000,
                f"Ligne de dépense n° {i}",
                f"Fournisseur {i % 40}",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _measure(reader: str, path: Path, repeat: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _READ, reader, str(path), str(repeat)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 200 000-row workbook")
    parser.add_argument("--repeat", type=int, default=5, help="reads per measurement (median)")
    args = parser.parse_args(argv)

    workbooks = [
        ("maturité FES 2025 (104 lignes)", _maturity_workbook),
        ("dépenses, 5 000 lignes", lambda: _spending_workbook(5_000)),
    ]
    if not args.quick:
        workbooks.append(("dépenses, 200 000 lignes", lambda: _spending_workbook(200_000)))

    print("| workbook | size | openpyxl read-only | python-calamine | ratio openpyxl / calamine "
          "| peak RSS openpyxl | peak RSS calamine |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    imports: dict[str, list[float]] = {"openpyxl": [], "calamine": []}
    with tempfile.TemporaryDirectory() as tmp:
        for label, build in workbooks:
            path = Path(tmp) / "book.xlsx"
            path.write_bytes(build())
            results = {r: _measure(r, path, args.repeat) for r in ("openpyxl", "calamine")}
            if results["openpyxl"]["cells"] < results["calamine"]["cells"] * 0.5:
                raise SystemExit(f"the readers disagree on {label}: {results}")
            times = {r: statistics.median(v["reads"]) for r, v in results.items()}
            for reader, value in results.items():
                imports[reader].append(value["import"])
            print(
                f"| {label} | {path.stat().st_size / 1024:.0f} KiB "
                f"| {times['openpyxl'] * 1000:.1f} ms | {times['calamine'] * 1000:.1f} ms "
                f"| **{times['openpyxl'] / times['calamine']:.1f} ×** "
                f"| {results['openpyxl']['rss_kib'] / 1024:.0f} MiB "
                f"| {results['calamine']['rss_kib'] / 1024:.0f} MiB |"
            )
    print(
        f"\nImport (fresh interpreter, median): openpyxl "
        f"{statistics.median(imports['openpyxl']) * 1000:.0f} ms, python-calamine "
        f"{statistics.median(imports['calamine']) * 1000:.0f} ms."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
