"""`chu-bench validate` — placeholder until its owner writes it."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("validate", help="(à venir)")
    parser.set_defaults(handler=lambda args: 2)
