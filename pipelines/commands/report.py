"""`chu-bench report` — the self-contained HTML report of a campaign."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.commands import add_database_url_argument


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="écrit le rapport HTML d'une campagne pour la réunion de l'alliance",
        description=(
            "Écrit un rapport HTML autonome (graphiques inclus, s'ouvre sans réseau) : chiffres "
            "clés, maturité, dépenses, mutualisation, état de la campagne."
        ),
    )
    parser.add_argument("--annee", type=int, required=True, metavar="N", help="année de campagne")
    parser.add_argument(
        "--chu",
        metavar="CODE",
        default=None,
        help=(
            "rapport d'un seul CHU (sa position, sa préparation ISO 27001, son plan d'action, "
            "ses projets communs), les autres CHU anonymisés comme les voit sa DSI"
        ),
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="FICHIER.html", help="fichier HTML à écrire"
    )
    add_database_url_argument(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.is_dir():
        print(f"chu-bench : {output} est un dossier ; indiquer un fichier .html.", file=sys.stderr)
        return 2
    if not output.parent.is_dir():
        print(f"chu-bench : dossier introuvable : {output.parent}", file=sys.stderr)
        return 2
    from pipelines.report_html import build_report
    from warehouse.engine import make_engine
    from warehouse.reads import read_benchmark

    engine = make_engine(args.database_url)
    if read_benchmark(engine, annee=args.annee).empty:
        # Still written (the campaign status may be useful), but say it plainly.
        print(
            f"chu-bench : aucune donnée de benchmark pour {args.annee} (aucun fichier valide "
            "reçu pour cette année, ou « chu-bench run » pas encore lancé) ; le rapport est "
            "écrit mais sans chiffres.",
            file=sys.stderr,
        )
    if args.chu:
        from expectations.reference import load_reference
        from pipelines.report_chu import build_chu_report

        reference = load_reference()
        chu = args.chu.strip().upper()
        if chu not in reference.establishments:
            known = ", ".join(reference.chu_codes)
            print(
                f"chu-bench : CHU inconnu « {args.chu} » (codes connus : {known}).", file=sys.stderr
            )
            return 2
        document = build_chu_report(engine, chu, args.annee, reference)
    else:
        document = build_report(engine, args.annee)
    # SEC (7.7, 7.8): owner-only (every CHU's figures), and in the audit trail.
    from warehouse.audit import AuditAction, cli_actor, record
    from warehouse.private_files import write_private_text

    write_private_text(output, document)
    scope = f"année {args.annee}" + (f", CHU {args.chu.strip().upper()}" if args.chu else "")
    record(engine, cli_actor(), AuditAction.REPORT_GENERATED, output.name, scope)
    size = output.stat().st_size / 1024 / 1024
    size_text = f"{size:.1f}".replace(".", ",")
    what = f"Rapport {args.annee}" + (f" de {args.chu.strip().upper()}" if args.chu else "")
    print(f"{what} écrit dans {output} ({size_text} Mo).")
    return 0
