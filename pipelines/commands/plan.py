"""`chu-bench plan` — the action plan of one CHU for one campaign (CSV, JSON or XLSX).

The operator running the CLI sees the alliance's view: the peers at niveau 4 or more are
counted and named (``pairs_au_niveau_4_chu``). ``--pour-chu`` writes the version for the
CHU itself (its DSI, its director): peers counted, never named — the same as its DSI's
download on the dashboard.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.commands import add_database_url_argument

FORMATS = ("csv", "json", "xlsx")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="écrit le plan d'action d'un CHU pour une campagne (CSV, JSON ou Excel)",
        description=(
            "Écrit le plan d'action d'un CHU : chaque mesure applicable dont le niveau est "
            "inférieur à la cible retenue (la cible déclarée, sinon 3), par ordre de priorité "
            "(écart, puis exigences ISO 27001 débloquées, puis pairs au niveau 4 ou plus)."
        ),
    )
    parser.add_argument("--chu", required=True, metavar="CODE", help="code du CHU (ex. FES)")
    parser.add_argument("--annee", type=int, required=True, metavar="N", help="année de campagne")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="csv, json ou xlsx (défaut : d'après -o, sinon csv)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FICHIER",
        default=None,
        help="fichier à écrire (défaut : sortie standard ; obligatoire en xlsx)",
    )
    parser.add_argument(
        "--pour-chu",
        action="store_true",
        help="version à remettre au CHU : les CHU pairs sont comptés, jamais nommés",
    )
    add_database_url_argument(parser)
    parser.set_defaults(handler=handle)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    suffix = Path(args.output).suffix.lower().lstrip(".") if args.output else ""
    return suffix if suffix in FORMATS else "csv"


def handle(args: argparse.Namespace) -> int:
    output_format = _format(args)
    output = Path(args.output) if args.output else None
    if output_format == "xlsx" and output is None:
        print(
            "chu-bench : le format xlsx s'écrit dans un fichier : ajouter -o PLAN.xlsx.",
            file=sys.stderr,
        )
        return 2
    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        print(
            f"chu-bench : impossible d'écrire {output} (dossier absent ou chemin de dossier).",
            file=sys.stderr,
        )
        return 2

    from expectations.reference import load_reference
    from warehouse.decisions import read_action_plan
    from warehouse.engine import make_engine
    from warehouse.plan_export import plan_csv_text, plan_json_text, plan_workbook

    reference = load_reference()
    chu = args.chu.strip().upper()
    if chu not in reference.establishments:
        known = ", ".join(reference.chu_codes)
        print(f"chu-bench : CHU inconnu « {args.chu} » (codes connus : {known}).", file=sys.stderr)
        return 2
    engine = make_engine(args.database_url)
    # The CHU's own version follows the DSI view's disclosure rules (dashboard.scoped).
    min_peers = 0
    if args.pour_chu:
        from dashboard.scoped import DisclosureRules

        min_peers = DisclosureRules.from_env().min_peers
    plan = read_action_plan(
        engine,
        reference,
        chu,
        args.annee,
        name_peers=not args.pour_chu,
        min_peers_counted=min_peers,
    )
    if plan.empty:
        print(
            f"chu-bench : aucune mesure à améliorer pour {chu} en {args.annee} (aucune réponse "
            "de maturité en vigueur, ou toutes les mesures applicables atteignent leur cible).",
            file=sys.stderr,
        )
    from warehouse.private_files import ensure_private_file, write_private_text

    # A CHU's levels (and, for the alliance, its peers' names): owner-only, as the reports.
    if output_format == "xlsx":
        assert output is not None
        ensure_private_file(output)
        output.write_bytes(plan_workbook(plan, reference, chu, args.annee))
    else:
        text = plan_csv_text(plan) if output_format == "csv" else plan_json_text(plan)
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
            return 0
        write_private_text(output, text)
    print(f"Plan d'action de {chu} pour {args.annee} écrit dans {output} ({len(plan)} mesures).")
    return 0
