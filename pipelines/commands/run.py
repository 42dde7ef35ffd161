"""`chu-bench run` — the Dagster pipeline, in-process, on every file of a landing folder."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from expectations.reference import PROJECT_ROOT
from pipelines.commands import add_database_url_argument

DEFAULT_LANDING = PROJECT_ROOT / "data" / "sample"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="exécute le pipeline sur chaque fichier du dossier de dépôt",
        description=(
            "Valide, conserve et charge chaque nouveau fichier DOSSIER/<CHU>/*.csv|*.xlsx "
            "(une exécution Dagster pour le lot), met à jour le benchmark, puis affiche le "
            "résumé par CHU. Code de sortie 0 même si des fichiers sont rejetés."
        ),
    )
    parser.add_argument(
        "--landing",
        metavar="DOSSIER",
        default=None,
        help=f"dossier de dépôt (défaut : {DEFAULT_LANDING.relative_to(PROJECT_ROOT)})",
    )
    add_database_url_argument(parser)
    parser.add_argument(
        "--timings",
        action="store_true",
        help="affiche la durée du démarrage, de la validation et du chargement",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    landing = Path(args.landing) if args.landing else DEFAULT_LANDING
    if not landing.is_dir():
        print(f"chu-bench : dossier de dépôt introuvable : {landing}", file=sys.stderr)
        return 2
    from pipelines.ingest import format_summary, format_timings, run_landing

    print(f"Dossier de dépôt : {landing}")
    summary = run_landing(landing, args.database_url, started_at=started)
    print(format_summary(summary))
    if args.timings:
        print(format_timings(summary.timings))
    if summary.failed:
        print(
            "chu-bench : l'exécution a échoué (voir les lignes « ÉCHEC » ci-dessus).",
            file=sys.stderr,
        )
        return 1
    return 0
