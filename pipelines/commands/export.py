"""`chu-bench export` — a warehouse table, as CSV or JSON, on standard output.

``--table benchmark`` (the default: the §5 table), ``iso27001`` (readiness per CHU, year
and ISO 27001:2022 item) or ``projets_communs`` (measures where several CHUs are at 0 or 1).
Missing values are empty in CSV and null in JSON; lists (measures, CHU codes) are JSON
arrays, and comma-separated in CSV (as the pooling table's ``chus``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pipelines.commands import add_database_url_argument

TABLES = ("benchmark", "iso27001", "projets_communs")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help="affiche un tableau de l'entrepôt (benchmark, iso27001, projets_communs)",
        description=(
            "Affiche un tableau de l'entrepôt : le benchmark (une ligne par CHU et par année, "
            "colonnes du §5 ; par défaut), la préparation ISO 27001 (--table iso27001 : une "
            "ligne par CHU, année et exigence ISO/IEC 27001:2022) ou les projets communs "
            "(--table projets_communs : mesures où au moins --seuil CHU sont au niveau 0 ou 1). "
            "Les valeurs manquantes sont vides en CSV et null en JSON."
        ),
    )
    parser.add_argument(
        "--table",
        choices=TABLES,
        default="benchmark",
        help="tableau à afficher (défaut : benchmark)",
    )
    parser.add_argument("--annee", type=int, metavar="N", help="seulement cette année")
    parser.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="format de sortie (défaut : csv)"
    )
    parser.add_argument(
        "--seuil",
        type=int,
        metavar="N",
        default=None,
        help=(
            "projets communs : nombre minimal de CHU au niveau 0 ou 1 (défaut : "
            "CHU_BENCH_PROJETS_COMMUNS_MIN_CHU, sinon 3)"
        ),
    )
    add_database_url_argument(parser)
    parser.set_defaults(handler=handle)


def table_records(args: argparse.Namespace) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of the requested table."""
    from warehouse.engine import make_engine
    from warehouse.reads import frame_to_records

    engine = make_engine(args.database_url)
    if args.table == "benchmark":
        from warehouse.reads import read_benchmark
        from warehouse.schema import BENCHMARK_COLUMNS

        columns = list(BENCHMARK_COLUMNS)
        frame = read_benchmark(engine, annee=args.annee)
    else:
        from expectations.reference import load_reference
        from warehouse import decisions

        reference = load_reference()
        if args.table == "iso27001":
            from warehouse.iso import ISO_COLUMNS

            columns = list(ISO_COLUMNS)
            frame = decisions.read_iso_readiness(engine, reference, annee=args.annee)
        else:
            from warehouse.joint_projects import JOINT_PROJECT_COLUMNS

            if args.seuil is not None and args.seuil < 1:
                raise ValueError("--seuil doit valoir au moins 1.")
            columns = list(JOINT_PROJECT_COLUMNS)
            frame = decisions.read_joint_projects(
                engine, reference, annee=args.annee, min_chu=args.seuil
            )
    return columns, frame_to_records(frame[columns])


def handle(args: argparse.Namespace) -> int:
    columns, records = table_records(args)
    try:
        write_records(records, columns, args.format)
    except BrokenPipeError:
        # `chu-bench export | head`: the reader left; not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if not records:
        where = f" pour {args.annee}" if args.annee is not None else ""
        what = {
            "benchmark": "aucune ligne de benchmark",
            "iso27001": "aucune réponse de maturité",
            "projets_communs": "aucun projet commun",
        }[args.table]
        hint = " (lancer d'abord « chu-bench run »)." if args.table != "projets_communs" else "."
        print(f"chu-bench : {what}{where}{hint}", file=sys.stderr)
    return 0


def _csv_value(value: Any) -> Any:
    from warehouse.spreadsheets import list_text

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return list_text(value)


def write_records(records: list[dict], columns: list[str], output_format: str) -> None:
    if output_format == "json":
        import json

        # allow_nan=False: a NaN slipping through would be invalid JSON; fail loudly instead.
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for record in records:
            writer.writerow({k: _csv_value(v) for k, v in record.items()})
    sys.stdout.flush()
