"""Local dashboard accounts (DESIGN §8): table ``users``, argon2id hashes, login throttling.

- Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher``), never stored or
  logged in clear; hashes are upgraded at the next login when the parameters change.
- After ``MAX_FAILED_LOGINS`` wrong passwords in a row, an account is locked for
  ``LOCK_DURATION`` (even the right password is refused meanwhile).
- A login failure always gives the same French message, whether the user is unknown, the
  password wrong, the account locked or disabled: no user enumeration. An unknown user
  costs one hash verification too, so that timing does not tell either.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine

from warehouse.engine import connect, write_transaction
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

# Fixed, documented demo accounts (README « DÉMO UNIQUEMENT »): for a local try-out only.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("demo-alliance", "demo-alliance-2025", "alliance", None),
    ("demo-dsi-fes", "demo-dsi-fes-2025", "dsi", "FES"),
    ("demo-admin", "demo-admin-2025", "admin", None),
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
) -> Account:
    """Creates an active account; ``AccountError`` (French) when refused."""
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
            )
        )
    return Account(name, role, code, True, created, 0, None)


def list_users(engine: Engine) -> list[Account]:
    with connect(engine) as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
    return [_account(row) for row in rows]


def _update(engine: Engine, username: str, **values: object) -> None:
    name = normalise_username(username)
    with write_transaction(engine) as conn:
        result = conn.execute(users.update().where(users.c.username == name).values(**values))
        if result.rowcount == 0:
            raise AccountError(f"Compte « {name} » introuvable.")


def disable_user(engine: Engine, username: str) -> None:
    """Disables an account (kept for the record; an open dashboard session ends at the
    next click, since every page re-reads the account)."""
    _update(engine, username, active=False)


def enable_user(engine: Engine, username: str) -> None:
    _update(engine, username, active=True, failed_logins=0, locked_until=None)


def set_password(engine: Engine, username: str, password: str) -> None:
    """New password (policy checked); also lifts a lock."""
    check_password_policy(password, username)
    _update(
        engine,
        username,
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
    An unknown user takes the same path (one write, one hash verification)."""
    moment = _now(now)
    name = normalise_username(username)
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        _verify(_DUMMY_HASH, "")
        return None
    row = _count_attempt(engine, name, moment)
    if row is None:  # unknown or locked
        _verify(_DUMMY_HASH, password)
        return None
    account = _account(row)
    if not _verify(row.password_hash, password):
        return None
    if not account.active:
        return None
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = _hasher.hash(password)
    with write_transaction(engine) as conn:
        conn.execute(users.update().where(users.c.username == name).values(**values))
    return Account(account.username, account.role, account.chu, True, account.created_at)


def _count_attempt(engine: Engine, name: str, moment: datetime) -> sa.Row | None:
    """Records one login attempt as a failure (until the password proves right) and returns
    the account's row; None when the account is unknown or locked (nothing recorded then)."""
    with write_transaction(engine) as conn:
        # FOR UPDATE (PostgreSQL): concurrent attempts on one account queue here. SQLite's
        # BEGIN IMMEDIATE already serialises writers.
        row = conn.execute(
            sa.select(users).where(users.c.username == name).with_for_update()
        ).first()
        if row is None:
            return None
        locked_until = _utc(row.locked_until)
        if locked_until is not None and locked_until > moment:
            return None
        # A lock that has expired starts a fresh count.
        failures = 0 if locked_until is not None else int(row.failed_logins or 0)
        failures += 1
        values: dict[str, object] = {"failed_logins": failures, "locked_until": None}
        if failures >= MAX_FAILED_LOGINS:
            values = {"failed_logins": 0, "locked_until": moment + LOCK_DURATION}
        conn.execute(users.update().where(users.c.username == name).values(**values))
    return row


def ensure_demo_accounts(engine: Engine) -> list[tuple[str, str, str, str | None]]:
    """Creates the DEMO accounts that do not exist yet and returns those that can be used with
    their documented password (``(username, password, role, chu)``), so that ``make run`` can
    print them marked « DÉMO UNIQUEMENT ». An existing account whose password was changed is
    left alone and not listed."""
    usable: list[tuple[str, str, str, str | None]] = []
    for username, password, role, chu in DEMO_ACCOUNTS:
        existing = get_user(engine, username)
        if existing is None:
            # AccountError: created concurrently by another process (dashboard, `make run`).
            with contextlib.suppress(AccountError):
                create_user(engine, username, password, role, chu)
            usable.append((username, password, role, chu))
            continue
        with connect(engine) as conn:
            stored = conn.execute(
                sa.select(users.c.password_hash).where(users.c.username == username)
            ).scalar_one()
        if existing.active and _verify(stored, password):
            usable.append((username, password, role, chu))
    return usable
