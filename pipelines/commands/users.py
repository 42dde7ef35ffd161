"""`chu-bench users add|list|disable|enable|set-password` — local dashboard accounts (DESIGN §6, §8).

Every change is in the audit trail (``warehouse/audit.py``) under ``cli:<system user>``; a
password change or a disable ends the account's open dashboard sessions.

Passwords never come from the command line itself (it ends up in the shell history and in
``ps``): they are typed at a hidden prompt, or read from standard input with
``--password-stdin`` (scripts, secrets managers). Exit codes: 0 done, 1 refused (policy,
unknown account, already exists), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys

from pipelines.commands import add_database_url_argument

ROLES = ("alliance", "dsi", "admin")


def _database_option(parser: argparse.ArgumentParser) -> None:
    add_database_url_argument(parser)


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="lire le mot de passe sur l'entrée standard (première ligne) au lieu de le demander",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "users",
        help="gérer les comptes locaux du tableau de bord",
        description="Comptes locaux du tableau de bord (mots de passe hachés argon2id).",
    )
    actions = parser.add_subparsers(
        dest="users_action", metavar="ACTION", parser_class=type(parser)
    )

    add = actions.add_parser("add", help="créer un compte")
    add.add_argument("username", metavar="IDENTIFIANT")
    add.add_argument("--role", required=True, choices=ROLES, help="alliance, dsi ou admin")
    add.add_argument("--chu", metavar="CODE", help="CHU du compte (obligatoire pour le rôle dsi)")
    _password_option(add)
    _database_option(add)
    add.set_defaults(handler=run_add)

    listing = actions.add_parser("list", help="lister les comptes")
    listing.add_argument("--json", action="store_true", help="sortie JSON")
    _database_option(listing)
    listing.set_defaults(handler=run_list)

    disable = actions.add_parser("disable", help="désactiver un compte")
    disable.add_argument("username", metavar="IDENTIFIANT")
    _database_option(disable)
    disable.set_defaults(handler=run_disable)

    enable = actions.add_parser("enable", help="réactiver un compte (et lever son verrou)")
    enable.add_argument("username", metavar="IDENTIFIANT")
    _database_option(enable)
    enable.set_defaults(handler=run_enable)

    password = actions.add_parser(
        "set-password", help="changer le mot de passe d'un compte (et lever son verrou)"
    )
    password.add_argument("username", metavar="IDENTIFIANT")
    _password_option(password)
    _database_option(password)
    password.set_defaults(handler=run_set_password)

    parser.set_defaults(handler=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


class _UsageError(Exception):
    pass


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise _UsageError("aucun mot de passe lu sur l'entrée standard.")
        return password
    if not sys.stdin.isatty():
        raise _UsageError(
            "pas de terminal pour saisir le mot de passe : utilisez --password-stdin."
        )
    import getpass

    first = getpass.getpass("Mot de passe : ")
    second = getpass.getpass("Confirmer le mot de passe : ")
    if first != second:
        raise _UsageError("les deux saisies du mot de passe diffèrent.")
    return first


def _engine(args: argparse.Namespace):  # noqa: ANN202 - sqlalchemy Engine, imported lazily
    from warehouse.engine import make_engine

    return make_engine(args.database_url)


def _actor() -> str:
    """Who did it, for the audit trail: the system account running the command."""
    from warehouse.audit import cli_actor

    return cli_actor()


def _run(args: argparse.Namespace, action) -> int:  # noqa: ANN001
    from warehouse.accounts import AccountError

    try:
        message = action()
    except _UsageError as exc:
        print(f"chu-bench : erreur d'utilisation : {exc}", file=sys.stderr)
        return 2
    except AccountError as exc:
        print(f"chu-bench : refusé : {exc}", file=sys.stderr)
        return 1
    if message:
        print(message)
    return 0


def run_add(args: argparse.Namespace) -> int:
    def action() -> str:
        from warehouse.accounts import create_user

        password = _read_password(args)
        account = create_user(
            _engine(args), args.username, password, args.role, args.chu, actor=_actor()
        )
        where = f", CHU {account.chu}" if account.chu else ""
        return f"Compte « {account.username} » créé (rôle {account.role}{where})."

    return _run(args, action)


def run_list(args: argparse.Namespace) -> int:
    def action() -> str:
        from warehouse.accounts import list_users

        accounts = list_users(_engine(args))
        if args.json:
            import json

            return json.dumps(
                [
                    {
                        "username": a.username,
                        "role": a.role,
                        "chu": a.chu,
                        "active": a.active,
                        "created_at": a.created_at.isoformat() if a.created_at else None,
                        "locked_until": a.locked_until.isoformat() if a.locked_until else None,
                    }
                    for a in accounts
                ],
                ensure_ascii=False,
                indent=2,
            )
        if not accounts:
            return "Aucun compte."
        lines = [f"{'IDENTIFIANT':<30} {'RÔLE':<9} {'CHU':<5} ÉTAT"]
        for a in accounts:
            state = "actif" if a.active else "désactivé"
            if a.locked_until is not None:
                state += f", verrouillé jusqu'à {a.locked_until:%d/%m/%Y %H:%M} UTC"
            lines.append(f"{a.username:<30} {a.role:<9} {a.chu or '-':<5} {state}")
        return "\n".join(lines)

    return _run(args, action)


def run_disable(args: argparse.Namespace) -> int:
    def action() -> str:
        from warehouse.accounts import disable_user, normalise_username

        disable_user(_engine(args), args.username, actor=_actor())
        return f"Compte « {normalise_username(args.username)} » désactivé."

    return _run(args, action)


def run_enable(args: argparse.Namespace) -> int:
    def action() -> str:
        from warehouse.accounts import enable_user, normalise_username

        enable_user(_engine(args), args.username, actor=_actor())
        return f"Compte « {normalise_username(args.username)} » réactivé."

    return _run(args, action)


def run_set_password(args: argparse.Namespace) -> int:
    def action() -> str:
        from warehouse.accounts import get_user, normalise_username, set_password

        engine = _engine(args)
        # Check the account before asking for a password nobody will use.
        if get_user(engine, args.username) is None:
            from warehouse.accounts import AccountError

            raise AccountError(f"Compte « {normalise_username(args.username)} » introuvable.")
        set_password(engine, args.username, _read_password(args), actor=_actor())
        return (
            f"Mot de passe de « {normalise_username(args.username)} » changé ; ses sessions "
            "ouvertes du tableau de bord sont fermées."
        )

    return _run(args, action)
