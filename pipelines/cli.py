"""The ``chu-bench`` command line (DESIGN §6).

Each sub-command lives in ``pipelines/commands/<name>.py`` with ``register(subparsers)``;
heavy imports (Dagster, Great Expectations, pandas) happen inside the handlers so that
``chu-bench --help`` and ``chu-bench validate`` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = ("validate", "template", "run", "export", "plan", "report", "users")


class FrenchArgumentParser(argparse.ArgumentParser):
    """Usage errors in French, exit code 2 (DESIGN §3.4)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"chu-bench : erreur d'utilisation : {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = FrenchArgumentParser(
        prog="chu-bench",
        description="Benchmark cybersécurité des CHU de l'alliance des DSI.",
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMANDE", parser_class=FrenchArgumentParser
    )
    for name in COMMANDS:
        module = importlib.import_module(f"pipelines.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from warehouse.private_files import restrict_umask

    # SEC (7.7): the warehouse, reports and anything else this command writes are
    # readable by their owner only.
    restrict_umask()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("\nchu-bench : interrompu.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - users get a French sentence, never a traceback
        print(f"chu-bench : {describe_failure(exc)}", file=sys.stderr)
        return 1


def describe_failure(exc: Exception) -> str:
    """A French sentence for an unexpected failure; the warehouse being unreachable is the
    common one, so it says what to check. (sqlalchemy is not imported here: start-up.)"""
    first_line = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0:1]
    detail = first_line[0] if first_line else type(exc).__name__
    if type(exc).__module__.startswith("sqlalchemy") and type(exc).__name__ == "OperationalError":
        return (
            f"l'entrepôt de données est injoignable ({detail}). Vérifiez --database-url ou "
            "CHU_BENCH_DATABASE_URL, et que le serveur de base de données est démarré."
        )
    return f"erreur inattendue ({type(exc).__name__}) : {detail}"


if __name__ == "__main__":
    sys.exit(main())
