"""`chu-bench validate FILE [--chu CODE] [--json]` (DESIGN §3.4).

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error (no such file, bad option,
unknown ``--chu`` code). Imports stay inside the handler: the command must start fast.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="vérifier un fichier CSV ou XLSX (maturité, dépenses ou profil) avant de l'envoyer",
        description="Vérifie un fichier CSV selon le contrat de données et affiche le rapport.",
    )
    parser.add_argument("file", metavar="FICHIER", help="le fichier CSV à vérifier")
    parser.add_argument(
        "--chu",
        metavar="CODE",
        help="le CHU qui envoie le fichier (un fichier concernant un autre CHU est refusé)",
    )
    parser.add_argument(
        "--json", action="store_true", help="afficher le rapport au format JSON (DESIGN §3.4)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    path = Path(args.file)
    if path.is_dir():
        print(
            f"chu-bench : erreur d'utilisation : {path} est un dossier ; indiquez un fichier CSV.",
            file=sys.stderr,
        )
        return 2
    if not path.is_file():
        print(f"chu-bench : erreur d'utilisation : fichier introuvable : {path}", file=sys.stderr)
        return 2
    from expectations.reference import load_reference

    reference = load_reference()
    sender = None
    if args.chu is not None:
        sender = args.chu.strip().upper()
        if sender not in reference.establishments:
            print(
                f"chu-bench : erreur d'utilisation : code CHU inconnu « {args.chu} » "
                f"(codes de l'alliance : {', '.join(reference.chu_codes)}).",
                file=sys.stderr,
            )
            return 2

    from expectations.validate import validate_file

    try:
        result = validate_file(path, sender_chu=sender, reference=reference)
    except OSError as exc:
        print(f"chu-bench : erreur d'utilisation : {_unreadable(path, exc)}", file=sys.stderr)
        return 2
    report = result.report
    if args.json:
        print(report.to_json())
    else:
        print(format_report(report, command=_rerun_command(args)))
    return 0 if report.valid else 1


def _unreadable(path, exc: OSError) -> str:  # noqa: ANN001 - pathlib imported lazily
    """Why a file that exists cannot be read, in French (the OS says it in English)."""
    import errno

    if exc.errno in (errno.EACCES, errno.EPERM):
        reason = "accès refusé ; vérifiez vos droits de lecture sur ce fichier"
    else:
        reason = "le système n'a pas pu le lire ; vérifiez qu'il n'est pas ouvert ailleurs"
    return f"impossible de lire le fichier {path} ({reason})."


def _rerun_command(args: argparse.Namespace) -> str:
    """The command to run again after fixing, as the user typed it (path and --chu)."""
    import shlex

    parts = ["chu-bench", "validate", str(args.file)]
    if args.chu:
        parts += ["--chu", str(args.chu)]
    return shlex.join(parts)


def format_report(report, command: str | None = None) -> str:  # noqa: ANN001 - lazily imported type
    """A French summary grouped by row: verdict, file-level errors, errors per row, warnings."""
    from expectations.labels import KIND_LABELS

    lines: list[str] = []
    kind = KIND_LABELS.get(report.kind, "type non reconnu") if report.kind else "type non reconnu"
    about = ", ".join(
        part
        for part in (
            kind,
            f"CHU {report.chu}" if report.chu else None,
            f"année {report.annee}" if report.annee else None,
            f"{report.rows} ligne(s) de données",
        )
        if part
    )
    from expectations.report import NOT_LISTED

    if report.valid:
        verdict = f"VALIDE — {report.file} ({about})"
        if report.warnings:
            verdict += f", {report.warning_total} avertissement(s)"
    else:
        verdict = f"INVALIDE — {report.file} ({about}) : {report.error_total} erreur(s)"
    lines.append(verdict)

    if report.errors:
        general = [f for f in report.errors if f.line is None and f.rule != NOT_LISTED]
        if general:
            lines.append("")
            lines.append("Fichier :")
            lines.extend(f"  - {_strip_location(f)}" for f in general)
        current: int | None = None
        for finding in (f for f in report.errors if f.line is not None):
            if finding.line != current:
                current = finding.line
                lines.append("")
                lines.append(f"Ligne {current} :")
            lines.append(f"  - {_strip_location(finding)}")
        # A rule that failed on more rows than a report lists: the exact count of the rest.
        left_out = [f for f in report.errors if f.rule == NOT_LISTED]
        if left_out:
            lines.append("")
            lines.append("Non listées :")
            lines.extend(f"  - {f.message}" for f in left_out)
    if report.warnings:
        lines.append("")
        lines.append("Avertissements :")
        lines.extend(f"  - {w.message}" for w in report.warnings)
    if not report.valid:
        lines.append("")
        rerun = command or f"chu-bench validate {report.file}"
        lines.append(f"Corrigez ces points puis relancez : {rerun}")
    return "\n".join(lines)


def _strip_location(finding) -> str:  # noqa: ANN001
    """Under a « Ligne 7 : » heading, « Ligne 7, colonne « niveau » : … » reads « niveau : … »."""
    message = finding.message
    prefix = f"Ligne {finding.line}, " if finding.line is not None else ""
    if prefix and message.startswith(prefix):
        message = message[len(prefix) :]
        return message[:1].upper() + message[1:]
    if finding.line is not None and message.startswith(f"Ligne {finding.line} : "):
        rest = message[len(f"Ligne {finding.line} : ") :]
        return rest[:1].upper() + rest[1:]
    return message
