"""Local accounts (warehouse/accounts.py) and `chu-bench users`."""

from __future__ import annotations

import io
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.cli import main
from warehouse.accounts import (
    DEMO_ACCOUNTS,
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    AccountError,
    authenticate,
    create_user,
    disable_user,
    enable_user,
    ensure_demo_accounts,
    get_user,
    list_users,
    set_password,
)
from warehouse.engine import make_engine
from warehouse.schema import users

PASSWORD = "un-mot-de-passe-long"
T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    return make_engine(database_url)


def test_create_and_authenticate(engine: sa.Engine) -> None:
    account = create_user(engine, "Dsi-Fes", PASSWORD, "dsi", "fes")
    assert (account.username, account.role, account.chu) == ("dsi-fes", "dsi", "FES")
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    ok = authenticate(engine, "DSI-FES", PASSWORD)
    assert ok is not None and (ok.username, ok.role, ok.chu) == ("dsi-fes", "dsi", "FES")
    assert authenticate(engine, "dsi-fes", PASSWORD + "x") is None
    assert authenticate(engine, "inconnu", PASSWORD) is None


@pytest.mark.parametrize(
    ("username", "password", "role", "chu", "fragment"),
    [
        ("court", "9-chiffre", "alliance", None, "trop court"),
        ("moi-meme-long", "moi-meme-long", "alliance", None, "identifiant"),
        ("x", PASSWORD, "alliance", None, "Identifiant invalide"),
        ("dsi-sans-chu", PASSWORD, "dsi", None, "registre"),
        ("dsi-inconnu", PASSWORD, "dsi", "XYZ", "registre"),
        ("alliance-chu", PASSWORD, "alliance", "FES", "Seul un compte"),
        ("role-inconnu", PASSWORD, "superuser", None, "Rôle inconnu"),
    ],
)
def test_policy(
    engine: sa.Engine, username: str, password: str, role: str, chu: str | None, fragment: str
) -> None:
    with pytest.raises(AccountError, match=fragment):
        create_user(engine, username, password, role, chu)
    assert list_users(engine) == []


def test_duplicate_and_management(engine: sa.Engine) -> None:
    create_user(engine, "alliance-1", PASSWORD, "alliance")
    with pytest.raises(AccountError, match="existe déjà"):
        create_user(engine, "ALLIANCE-1", PASSWORD, "alliance")
    disable_user(engine, "alliance-1")
    assert get_user(engine, "alliance-1").active is False
    assert authenticate(engine, "alliance-1", PASSWORD) is None
    enable_user(engine, "alliance-1")
    set_password(engine, "alliance-1", "nouveau-mot-de-passe")
    assert authenticate(engine, "alliance-1", PASSWORD) is None
    assert authenticate(engine, "alliance-1", "nouveau-mot-de-passe") is not None
    with pytest.raises(AccountError, match="trop court"):
        set_password(engine, "alliance-1", "court")
    with pytest.raises(AccountError, match="introuvable"):
        disable_user(engine, "personne")
    assert [a.username for a in list_users(engine)] == ["alliance-1"]


def test_lockout_after_failures(engine: sa.Engine) -> None:
    create_user(engine, "alliance-1", PASSWORD, "alliance")
    for i in range(MAX_FAILED_LOGINS):
        assert authenticate(engine, "alliance-1", "mauvais", now=T0 + timedelta(seconds=i)) is None
    locked = get_user(engine, "alliance-1").locked_until
    assert locked is not None and locked > T0
    # Locked: even the right password is refused, with the same answer as a wrong one.
    assert authenticate(engine, "alliance-1", PASSWORD, now=T0 + timedelta(minutes=1)) is None
    later = T0 + LOCK_DURATION + timedelta(seconds=10)
    assert authenticate(engine, "alliance-1", PASSWORD, now=later) is not None
    account = get_user(engine, "alliance-1")
    assert account.failed_logins == 0 and account.locked_until is None


def test_failures_below_threshold_are_reset_by_success(engine: sa.Engine) -> None:
    create_user(engine, "alliance-1", PASSWORD, "alliance")
    for _ in range(MAX_FAILED_LOGINS - 1):
        authenticate(engine, "alliance-1", "mauvais", now=T0)
    assert authenticate(engine, "alliance-1", PASSWORD, now=T0) is not None
    for _ in range(MAX_FAILED_LOGINS - 1):
        authenticate(engine, "alliance-1", "mauvais", now=T0)
    assert get_user(engine, "alliance-1").locked_until is None


def test_demo_accounts_get_random_passwords_kept_owner_only(
    engine: sa.Engine, tmp_path: Path
) -> None:
    credentials = tmp_path / "demo_accounts.json"
    created = ensure_demo_accounts(engine, credentials)
    assert [(u, r, c) for u, _p, r, c in created] == list(DEMO_ACCOUNTS)
    passwords = [p for _u, p, _r, _c in created]
    assert len(set(passwords)) == 3 and all(len(p) >= 20 for p in passwords)
    for username, password, role, chu in created:
        account = authenticate(engine, username, password)
        assert account is not None and (account.role, account.chu) == (role, chu)
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert json.loads(credentials.read_text("utf-8")) == {u: p for u, p, _r, _c in created}
    # Idempotent: the same passwords are printed again by the next `make run`.
    assert ensure_demo_accounts(engine, credentials) == created
    # A password chosen since then is left alone and no longer listed (nor kept).
    set_password(engine, "demo-admin", "un-secret-choisi")
    assert [a[0] for a in ensure_demo_accounts(engine, credentials)] == [
        "demo-alliance",
        "demo-dsi-fes",
    ]
    assert "demo-admin" not in json.loads(credentials.read_text("utf-8"))
    assert len(list_users(engine)) == 3


def test_demo_passwords_differ_between_installations(tmp_path: Path) -> None:
    first = ensure_demo_accounts(
        make_engine(f"sqlite:///{tmp_path / 'a.sqlite'}"), tmp_path / "a.json"
    )
    second = ensure_demo_accounts(
        make_engine(f"sqlite:///{tmp_path / 'b.sqlite'}"), tmp_path / "b.json"
    )
    assert {p for _u, p, _r, _c in first}.isdisjoint(p for _u, p, _r, _c in second)


# --- CLI ----------------------------------------------------------------------------------


def _cli(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


def test_cli_users(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", sqlite_url]
    add = ["users", "add", "dsi-tng", "--role", "dsi", "--chu", "TNG", "--password-stdin", *db]
    assert _cli(monkeypatch, add, PASSWORD + "\n") == 0
    assert "créé" in capsys.readouterr().out
    assert _cli(monkeypatch, add, PASSWORD + "\n") == 1
    assert "existe déjà" in capsys.readouterr().err
    short = ["users", "add", "autre", "--role", "alliance", "--password-stdin", *db]
    assert _cli(monkeypatch, short, "court\n") == 1
    assert "trop court" in capsys.readouterr().err

    assert _cli(monkeypatch, ["users", "list", "--json", *db]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(u["username"], u["role"], u["chu"], u["active"]) for u in listed] == [
        ("dsi-tng", "dsi", "TNG", True)
    ]
    assert _cli(monkeypatch, ["users", "list", *db]) == 0
    assert "dsi-tng" in capsys.readouterr().out

    new = "un-autre-mot-de-passe"
    assert (
        _cli(monkeypatch, ["users", "set-password", "dsi-tng", "--password-stdin", *db], new) == 0
    )
    engine = make_engine(sqlite_url)
    assert authenticate(engine, "dsi-tng", new) is not None
    assert _cli(monkeypatch, ["users", "disable", "dsi-tng", *db]) == 0
    assert get_user(engine, "dsi-tng").active is False
    assert _cli(monkeypatch, ["users", "disable", "personne", *db]) == 1
    assert "introuvable" in capsys.readouterr().err


def test_cli_users_usage_errors(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", sqlite_url]
    # No terminal and no --password-stdin: refuse rather than read a password from a pipe.
    assert _cli(monkeypatch, ["users", "add", "x-user", "--role", "alliance", *db], "abc\n") == 2
    assert "--password-stdin" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        _cli(monkeypatch, ["users", "add", "x-user", "--role", "chef", *db])
    assert exc.value.code == 2
    # The password is never an argument.
    with pytest.raises(SystemExit) as exc:
        _cli(monkeypatch, ["users", "add", "x-user", "--role", "alliance", "--password", "x"])
    assert exc.value.code == 2
    assert _cli(monkeypatch, ["users"]) == 2


def test_a_warehouse_from_before_session_versions_is_upgraded(tmp_path: Path) -> None:
    """The column is added in place (the accounts kept, at version 0) until Alembic."""
    path = tmp_path / "ancien.sqlite"
    old = sa.create_engine(f"sqlite:///{path}")
    with old.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE users (username VARCHAR(100) PRIMARY KEY, password_hash VARCHAR(300) "
            "NOT NULL, role VARCHAR(20) NOT NULL, chu VARCHAR(20), active BOOLEAN NOT NULL, "
            "created_at DATETIME NOT NULL, failed_logins INTEGER NOT NULL, locked_until DATETIME)"
        )
        conn.exec_driver_sql(
            "INSERT INTO users VALUES ('ancien', 'x', 'alliance', NULL, 1, '2024-01-01', 0, NULL)"
        )
    old.dispose()
    engine = make_engine(f"sqlite:///{path}")
    assert get_user(engine, "ancien").session_version == 0
    set_password(engine, "ancien", PASSWORD)
    assert get_user(engine, "ancien").session_version == 1
    assert authenticate(engine, "ancien", PASSWORD) is not None
