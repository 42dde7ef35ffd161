"""Local dashboard accounts (DESIGN §8): table ``users``, argon2id hashes, login throttling.

- Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher``), never stored or
  logged in clear; hashes are upgraded at the next login when the parameters change.
- After ``MAX_FAILED_LOGINS`` wrong passwords in a row, an account is locked for
  ``LOCK_DURATION`` (even the right password is refused meanwhile).
- A login failure always gives the same French message, whether the user is unknown, the
  password wrong, the account locked or disabled: no user enumeration. An unknown user
  costs one hash verification too, so that timing does not tell either.
- A password change or a disable bumps the account's ``session_version``: a dashboard
  session opened before ends at its next interaction (``dashboard/auth.py``).
- Every login attempt and account change is in the audit trail (``warehouse/audit.py``),
  with its reason for the administrator (never the password, nor an unknown typed name).
- Demo accounts (``ensure_demo_accounts``) get random passwords, generated when they are
  created and kept only in an owner-only file for ``make run`` to print.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine

from warehouse.audit import SYSTEM_ACTOR, UNKNOWN_ACTOR, AuditAction, record
from warehouse.engine import connect, write_transaction
from warehouse.private_files import write_private_text
from warehouse.schema import users

if TYPE_CHECKING:
    from expectations.reference import ReferenceData

ROLES = ("alliance", "dsi", "admin")
MIN_PASSWORD_LENGTH = 10
# argon2 hashes whatever it is given; a megabyte « password » would only burn CPU.
MAX_PASSWORD_LENGTH = 1024
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=5)
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,99}$")

LOGIN_FAILED_MESSAGE = (
    "Identifiant ou mot de passe incorrect. Après plusieurs échecs, le compte est "
    "verrouillé quelques minutes : réessayez plus tard ou contactez l'administrateur."
)

# Demo accounts of `make run` (username, role, chu): for a local try-out only. Their
# passwords are random, drawn when each account is created (ensure_demo_accounts).
DEMO_ACCOUNTS: tuple[tuple[str, str, str | None], ...] = (
    ("demo-alliance", "alliance", None),
    ("demo-dsi-fes", "dsi", "FES"),
    ("demo-admin", "admin", None),
)

_hasher = PasswordHasher()  # argon2id with the library's (OWASP-level) defaults
# Verified against when the user is unknown, so that both paths cost the same time.
_DUMMY_HASH = _hasher.hash("chu-bench: compte inexistant")


class AccountError(ValueError):
    """A refused account operation; the message is French and shown as is."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    chu: str | None
    active: bool
    created_at: datetime | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    session_version: int = 0


def _now(now: datetime | None = None) -> datetime:
    moment = now or datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back: they were written in UTC.
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _account(row: sa.Row) -> Account:
    return Account(
        username=row.username,
        role=row.role,
        chu=row.chu,
        active=bool(row.active),
        created_at=_utc(row.created_at),
        failed_logins=int(row.failed_logins or 0),
        locked_until=_utc(row.locked_until),
        session_version=int(row.session_version or 0),
    )


def check_password_policy(password: str, username: str | None = None) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mot de passe trop court : au moins {MIN_PASSWORD_LENGTH} caractères.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"Mot de passe trop long : au plus {MAX_PASSWORD_LENGTH} caractères.")
    if username and password.strip().lower() == normalise_username(username):
        raise AccountError("Le mot de passe ne doit pas être l'identifiant.")


def _check_role(role: str, chu: str | None, reference: ReferenceData | None) -> str | None:
    if role not in ROLES:
        raise AccountError(f"Rôle inconnu « {role} » : choisir parmi {', '.join(ROLES)}.")
    if role != "dsi":
        if chu:
            raise AccountError("Seul un compte « dsi » est rattaché à un CHU.")
        return None
    code = (chu or "").strip().upper()
    if reference is None:
        from expectations.reference import load_reference

        reference = load_reference()
    if code not in reference.establishments:
        raise AccountError(
            f"Un compte « dsi » doit être rattaché à un CHU du registre "
            f"({', '.join(reference.chu_codes)}) : « {chu or ''} » n'en est pas un."
        )
    return code


def get_user(engine: Engine, username: str) -> Account | None:
    with connect(engine) as conn:
        row = conn.execute(
            sa.select(users).where(users.c.username == normalise_username(username))
        ).first()
    return _account(row) if row else None


def create_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    chu: str | None = None,
    *,
    reference: ReferenceData | None = None,
    now: datetime | None = None,
    actor: str | None = None,
) -> Account:
    """Creates an active account; ``AccountError`` (French) when refused. ``actor`` (who
    did it) goes to the audit trail."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise AccountError(
            "Identifiant invalide : 2 à 100 caractères parmi lettres minuscules, chiffres, "
            "« . _ - @ + », commençant par une lettre ou un chiffre."
        )
    code = _check_role(role, chu, reference)
    check_password_policy(password, name)
    created = _now(now)
    with write_transaction(engine) as conn:
        exists = conn.execute(sa.select(users.c.username).where(users.c.username == name)).first()
        if exists:
            raise AccountError(f"Le compte « {name} » existe déjà.")
        conn.execute(
            users.insert().values(
                username=name,
                password_hash=_hasher.hash(password),
                role=role,
                chu=code,
                active=True,
                created_at=created,
                failed_logins=0,
                locked_until=None,
                session_version=0,
            )
        )
        detail = f"rôle {role}" + (f", CHU {code}" if code else "")
        record(conn, actor or SYSTEM_ACTOR, AuditAction.ACCOUNT_CREATED, name, detail, now=created)
    return Account(name, role, code, True, created, 0, None)


def list_users(engine: Engine) -> list[Account]:
    with connect(engine) as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
    return [_account(row) for row in rows]


def _update(
    engine: Engine,
    username: str,
    action: AuditAction,
    actor: str | None,
    *,
    end_sessions: bool = False,
    **values: object,
) -> None:
    """Updates one account and records ``action`` in the same transaction.
    ``end_sessions``: the sessions opened before end at their next interaction."""
    name = normalise_username(username)
    if end_sessions:
        values["session_version"] = users.c.session_version + 1
    with write_transaction(engine) as conn:
        result = conn.execute(users.update().where(users.c.username == name).values(**values))
        if result.rowcount == 0:
            raise AccountError(f"Compte « {name} » introuvable.")
        record(conn, actor or SYSTEM_ACTOR, action, name)


def disable_user(engine: Engine, username: str, *, actor: str | None = None) -> None:
    """Disables an account (kept for the record); its open dashboard sessions end at their
    next interaction, and stay ended if the account is enabled again."""
    _update(engine, username, AuditAction.ACCOUNT_DISABLED, actor, end_sessions=True, active=False)


def enable_user(engine: Engine, username: str, *, actor: str | None = None) -> None:
    _update(
        engine,
        username,
        AuditAction.ACCOUNT_ENABLED,
        actor,
        active=True,
        failed_logins=0,
        locked_until=None,
    )


def set_password(engine: Engine, username: str, password: str, *, actor: str | None = None) -> None:
    """New password (policy checked); also lifts a lock and ends the account's open
    dashboard sessions (at their next interaction)."""
    check_password_policy(password, username)
    _update(
        engine,
        username,
        AuditAction.PASSWORD_CHANGED,
        actor,
        end_sessions=True,
        password_hash=_hasher.hash(password),
        failed_logins=0,
        locked_until=None,
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(
    engine: Engine, username: str, password: str, now: datetime | None = None
) -> Account | None:
    """The account when ``password`` is right and the account active and not locked, else
    ``None`` (show ``LOGIN_FAILED_MESSAGE``, whatever the reason).

    The attempt is counted BEFORE the (slow) password check, in one write transaction: many
    attempts started together cannot all pass the lock check before any failure is recorded
    (at most ``MAX_FAILED_LOGINS`` guesses per lock period). A success resets the count.
    An unknown user takes the same path (one write, one hash verification). Every attempt
    is in the audit trail, with the reason of a refusal (for the administrator only)."""
    moment = _now(now)
    name = normalise_username(username)
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        _verify(_DUMMY_HASH, "")
        _login_failed(engine, None, "mot de passe hors limites", moment)
        return None
    row, refusal = _count_attempt(engine, name, moment)
    if row is None:  # unknown or locked
        _verify(_DUMMY_HASH, password)
        _login_failed(engine, name if refusal == _LOCKED else None, refusal, moment)
        return None
    account = _account(row)
    if not _verify(row.password_hash, password):
        _login_failed(engine, name, "mot de passe incorrect", moment)
        return None
    if not account.active:
        _login_failed(engine, name, "compte désactivé", moment)
        return None
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = _hasher.hash(password)
    with write_transaction(engine) as conn:
        conn.execute(users.update().where(users.c.username == name).values(**values))
        record(conn, name, AuditAction.LOGIN_SUCCEEDED, name, "compte local", now=moment)
    return Account(
        account.username,
        account.role,
        account.chu,
        True,
        account.created_at,
        session_version=account.session_version,
    )


_UNKNOWN = "identifiant inconnu"
_LOCKED = "compte verrouillé"


def _login_failed(engine: Engine, name: str | None, reason: str, moment: datetime) -> None:
    # An unknown name is not recorded: it may be a password typed in the wrong field.
    actor = name or UNKNOWN_ACTOR
    record(engine, actor, AuditAction.LOGIN_FAILED, name, reason, now=moment)


def _count_attempt(engine: Engine, name: str, moment: datetime) -> tuple[sa.Row | None, str]:
    """Records one login attempt as a failure (until the password proves right) and returns
    the account's row; ``(None, reason)`` when the account is unknown or locked (nothing
    recorded then)."""
    with write_transaction(engine) as conn:
        # FOR UPDATE (PostgreSQL): concurrent attempts on one account queue here. SQLite's
        # BEGIN IMMEDIATE already serialises writers.
        row = conn.execute(
            sa.select(users).where(users.c.username == name).with_for_update()
        ).first()
        if row is None:
            return None, _UNKNOWN
        locked_until = _utc(row.locked_until)
        if locked_until is not None and locked_until > moment:
            return None, _LOCKED
        # A lock that has expired starts a fresh count.
        failures = 0 if locked_until is not None else int(row.failed_logins or 0)
        failures += 1
        values: dict[str, object] = {"failed_logins": failures, "locked_until": None}
        if failures >= MAX_FAILED_LOGINS:
            values = {"failed_logins": 0, "locked_until": moment + LOCK_DURATION}
        conn.execute(users.update().where(users.c.username == name).values(**values))
    return row, ""


def generate_password() -> str:
    """A random password (about 120 bits) for an account nobody chose one for."""
    return secrets.token_urlsafe(15)


def _read_demo_credentials(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_demo_credentials(path: Path, credentials: dict[str, str]) -> None:
    """Owner-only file (0600), written whole through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_private_text(temporary, json.dumps(credentials, indent=2))
    os.replace(temporary, path)


def ensure_demo_accounts(
    engine: Engine, credentials_file: Path
) -> list[tuple[str, str, str, str | None]]:
    """Creates the DEMO accounts that do not exist yet, each with a new random password kept
    in ``credentials_file`` (owner-only, git-ignored), and returns those still usable with
    that password (``(username, password, role, chu)``) so that ``make run`` prints them
    marked « DÉMO UNIQUEMENT ». An account whose password was changed, or that was disabled,
    is left alone and not listed. No demo password exists in the code or the docs."""
    credentials = _read_demo_credentials(credentials_file)
    usable: list[tuple[str, str, str, str | None]] = []
    for username, role, chu in DEMO_ACCOUNTS:
        existing = get_user(engine, username)
        if existing is None:
            password = generate_password()
            try:
                create_user(engine, username, password, role, chu, actor="make run")
            except AccountError:  # created concurrently by another process
                credentials.pop(username, None)
                continue
            credentials[username] = password
            usable.append((username, password, role, chu))
            continue
        password = credentials.get(username)
        with connect(engine) as conn:
            stored = conn.execute(
                sa.select(users.c.password_hash).where(users.c.username == username)
            ).scalar_one()
        if password and existing.active and _verify(stored, password):
            usable.append((username, password, role, chu))
        else:
            credentials.pop(username, None)
    _write_demo_credentials(credentials_file, credentials)
    return usable
