"""`chu-bench template KIND --chu CODE --annee N [-o FILE]` (DESIGN §6).

Writes a ready-to-fill CSV that French Excel opens correctly (``;``, UTF-8 with BOM, CRLF).
"""

from __future__ import annotations

import argparse
import sys

KINDS = ("maturite", "depenses", "profil")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "template",
        help="produire un modèle CSV à remplir (maturite, depenses ou profil)",
        description="Produit un modèle CSV prêt à remplir, que la version française d'Excel ouvre correctement.",
    )
    parser.add_argument("kind", metavar="TYPE", choices=KINDS, help="maturite, depenses ou profil")
    parser.add_argument("--chu", metavar="CODE", required=True, help="code du CHU, par exemple FES")
    parser.add_argument("--annee", metavar="N", type=int, required=True, help="année de campagne")
    parser.add_argument(
        "-o", "--output", metavar="FICHIER", help="fichier à écrire (sinon : sortie standard)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from expectations.reference import load_reference
    from expectations.templates import render_template

    reference = load_reference()
    chu = args.chu.strip().upper()
    if chu not in reference.establishments:
        print(
            f"chu-bench : erreur d'utilisation : code CHU inconnu « {args.chu} » "
            f"(codes de l'alliance : {', '.join(reference.chu_codes)}).",
            file=sys.stderr,
        )
        return 2
    content = render_template(args.kind, chu, args.annee, reference=reference)
    if args.output:
        target = Path(args.output)
        if not target.parent.is_dir():
            print(
                f"chu-bench : erreur d'utilisation : dossier introuvable : {target.parent}",
                file=sys.stderr,
            )
            return 2
        target.write_bytes(content)
        print(f"Modèle {args.kind} écrit dans {target}.", file=sys.stderr)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return 0
