"""`chu-bench template KIND --chu CODE --annee N [--format csv|xlsx] [--depuis ANNEE] [-o FILE]`
(DESIGN §6, issue 10).

Writes a ready-to-fill CSV that French Excel opens correctly (``;``, UTF-8 with BOM, CRLF), or
an XLSX workbook (drop-down lists, frozen header, locked id columns). ``--depuis`` prefills
the CHU's answers of that campaign from the warehouse, so that a DSI only updates what changed.
"""

from __future__ import annotations

import argparse
import sys

from pipelines.commands import add_database_url_argument

KINDS = ("maturite", "depenses", "profil")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "template",
        help="produire un modèle à remplir, CSV ou XLSX (maturite, depenses ou profil)",
        description=(
            "Produit un modèle prêt à remplir : un CSV que la version française d'Excel ouvre "
            "correctement, ou un classeur XLSX (listes déroulantes, en-tête figé, colonnes "
            "d'identification protégées). --depuis reprend les réponses du CHU à une campagne "
            "précédente, lues dans l'entrepôt."
        ),
    )
    parser.add_argument(
        "kind", metavar="TYPE", type=_kind, choices=KINDS, help="maturite, depenses ou profil"
    )
    parser.add_argument("--chu", metavar="CODE", required=True, help="code du CHU, par exemple FES")
    parser.add_argument(
        "--annee", metavar="N", type=_annee, required=True, help="année de campagne"
    )
    parser.add_argument(
        "--format",
        choices=("csv", "xlsx"),
        default=None,
        help="csv ou xlsx (défaut : d'après l'extension de -o, sinon csv)",
    )
    parser.add_argument(
        "--depuis",
        metavar="ANNEE",
        type=_annee,
        default=None,
        help="préremplir avec les réponses du CHU à cette campagne (lues dans l'entrepôt)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FICHIER", help="fichier à écrire (sinon : sortie standard)"
    )
    add_database_url_argument(parser)
    parser.set_defaults(handler=run)


def _kind(text: str) -> str:
    return text.strip().lower()


def _annee(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"« {text} » n'est pas une année ; indiquez-la sur 4 chiffres, par exemple 2025"
        ) from None


def _usage_error(message: str) -> int:
    print(f"chu-bench : erreur d'utilisation : {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from expectations.contract import MIN_YEAR
    from expectations.reference import load_reference
    from expectations.templates import render_template
    from expectations.validate import max_year

    reference = load_reference()
    chu = args.chu.strip().upper()
    if chu not in reference.establishments:
        return _usage_error(
            f"code CHU inconnu « {args.chu} » "
            f"(codes de l'alliance : {', '.join(reference.chu_codes)})."
        )
    if not MIN_YEAR <= args.annee <= max_year():
        # validate would refuse every row of such a template (annee_hors_periode).
        return _usage_error(
            f"{args.annee} n'est pas une année de campagne possible (de {MIN_YEAR} à {max_year()})."
        )
    fmt = args.format or ("xlsx" if (args.output or "").lower().endswith(".xlsx") else "csv")
    if fmt == "xlsx" and not args.output and sys.stdout.isatty():
        return _usage_error(
            "un classeur XLSX ne s'affiche pas dans le terminal ; indiquez le fichier à écrire, "
            f"par exemple -o {args.kind}_{chu.lower()}_{args.annee}.xlsx"
        )
    prefill: list[dict] = []
    if args.depuis is not None:
        from warehouse.drafts import campaign_answers
        from warehouse.engine import make_engine

        engine = make_engine(args.database_url)
        prefill = campaign_answers(engine, chu=chu, annee=args.depuis, kind=args.kind)
        if not prefill:
            return _usage_error(
                f"l'entrepôt n'a aucune réponse valide de {chu} pour {args.kind} en "
                f"{args.depuis} ; retirez --depuis ou choisissez une autre campagne."
            )
    if fmt == "xlsx":
        from expectations.templates import render_workbook

        content = render_workbook(args.kind, chu, args.annee, reference=reference, prefill=prefill)
    else:
        content = render_template(args.kind, chu, args.annee, reference=reference, prefill=prefill)
    if args.output:
        target = Path(args.output)
        if target.is_dir():
            return _usage_error(
                f"{target} est un dossier ; indiquez le nom du fichier à écrire, "
                f"par exemple {target / f'{args.kind}_{chu.lower()}_{args.annee}.{fmt}'}."
            )
        if not target.parent.is_dir():
            return _usage_error(f"dossier introuvable : {target.parent}")
        try:
            target.write_bytes(content)
        except OSError:
            return _usage_error(
                f"impossible d'écrire {target} (droits d'écriture, ou fichier ouvert dans Excel ?)."
            )
        print(f"Modèle {args.kind} écrit dans {target}.", file=sys.stderr)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return 0
