"""`chu-bench export` — the §5 benchmark table, as CSV or JSON, on standard output."""

from __future__ import annotations

import argparse
import sys

from pipelines.commands import add_database_url_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="affiche le tableau du benchmark (CSV ou JSON)",
        description=(
            "Affiche le tableau du benchmark (une ligne par CHU et par année, colonnes du §5). "
            "Les valeurs manquantes sont vides en CSV et null en JSON."
        ),
    )
    parser.add_argument("--annee", type=int, metavar="N", help="seulement cette année")
    parser.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="format de sortie (défaut : csv)"
    )
    add_database_url_argument(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from warehouse.engine import make_engine
    from warehouse.reads import frame_to_records, read_benchmark
    from warehouse.schema import BENCHMARK_COLUMNS

    engine = make_engine(args.database_url)
    frame = read_benchmark(engine, annee=args.annee)
    records = frame_to_records(frame[list(BENCHMARK_COLUMNS)])
    try:
        _write(records, args.format)
    except BrokenPipeError:
        # `chu-bench export | head`: the reader left; not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if not records:
        where = f" pour {args.annee}" if args.annee is not None else ""
        print(
            f"chu-bench : aucune ligne de benchmark{where} (lancer d'abord « chu-bench run »).",
            file=sys.stderr,
        )
    return 0


def _write(records: list[dict], output_format: str) -> None:
    from warehouse.schema import BENCHMARK_COLUMNS

    if output_format == "json":
        import json

        # allow_nan=False: a NaN slipping through would be invalid JSON; fail loudly instead.
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(BENCHMARK_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: ("" if v is None else v) for k, v in record.items()})
    sys.stdout.flush()
