"""One module per ``chu-bench`` sub-command: ``register(subparsers)`` sets ``handler``."""

from __future__ import annotations

import argparse


def add_database_url_argument(parser: argparse.ArgumentParser) -> None:
    """``--database-url``, the same for every command that reads or writes the warehouse."""
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=None,
        help="entrepôt (URL SQLAlchemy) ; défaut : CHU_BENCH_DATABASE_URL, sinon data/warehouse.sqlite",
    )
