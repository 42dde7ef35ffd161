"""The audit trail (issue 7.8): logins, account changes, downloads and reports are recorded
(who, when, what — never a password or a data value), shown to the admin only, exportable."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.cli import main
from tests.dashboard_support import (  # noqa: F401 - fixtures
    ACCOUNTS,
    SAMPLE_DIR,
    click_every_download,
    collect_text,
    exceptions,
    login,
    login_as,
    make_app,
    open_page,
    page_titles,
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)
from warehouse.accounts import authenticate, create_user, disable_user, set_password
from warehouse.audit import UNKNOWN_ACTOR, AuditAction, cli_actor, list_events, record
from warehouse.engine import make_engine
from warehouse.schema import audit_events

PASSWORD = "un-mot-de-passe-long"
WRONG = "pas-le-bon-mot-de-passe"
T0 = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    return make_engine(database_url)


def _all_text(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(audit_events)).all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


def test_failed_then_successful_login_are_two_events_without_the_password(
    engine: sa.Engine,
) -> None:
    create_user(engine, "dsi-fes", PASSWORD, "dsi", "FES", actor="admin-1", now=T0)
    assert authenticate(engine, "dsi-fes", WRONG, now=T0 + timedelta(minutes=1)) is None
    assert authenticate(engine, "DSI-FES", PASSWORD, now=T0 + timedelta(minutes=2)) is not None

    failed, succeeded = reversed(
        list_events(engine, actions=(AuditAction.LOGIN_FAILED, AuditAction.LOGIN_SUCCEEDED))
    )
    assert (failed.actor, failed.action, failed.target, failed.detail) == (
        "dsi-fes",
        AuditAction.LOGIN_FAILED,
        "dsi-fes",
        "mot de passe incorrect",
    )
    assert failed.occurred_at == T0 + timedelta(minutes=1)
    assert (succeeded.actor, succeeded.action) == ("dsi-fes", AuditAction.LOGIN_SUCCEEDED)
    assert succeeded.occurred_at == T0 + timedelta(minutes=2)
    [created] = list_events(engine, actions=(AuditAction.ACCOUNT_CREATED,))
    assert (created.actor, created.target, created.detail) == (
        "admin-1",
        "dsi-fes",
        "rôle dsi, CHU FES",
    )
    stored = _all_text(engine)
    assert PASSWORD not in stored and WRONG not in stored


def test_unknown_name_is_not_recorded(engine: sa.Engine) -> None:
    # Someone typing their password in the « Identifiant » field must not leave it here.
    assert authenticate(engine, "mon-mot-de-passe-secret", "x" * 12) is None
    [event] = list_events(engine)
    assert (event.actor, event.target, event.detail) == (
        UNKNOWN_ACTOR,
        None,
        "identifiant inconnu",
    )
    assert "mon-mot-de-passe-secret" not in _all_text(engine)


def test_account_changes_are_recorded(engine: sa.Engine) -> None:
    create_user(engine, "alliance-1", PASSWORD, "alliance", actor="admin-1")
    set_password(engine, "alliance-1", "encore-un-autre-secret", actor="admin-1")
    disable_user(engine, "alliance-1", actor="admin-2")
    events = list(reversed(list_events(engine)))
    assert [(e.actor, e.action, e.target) for e in events] == [
        ("admin-1", AuditAction.ACCOUNT_CREATED, "alliance-1"),
        ("admin-1", AuditAction.PASSWORD_CHANGED, "alliance-1"),
        ("admin-2", AuditAction.ACCOUNT_DISABLED, "alliance-1"),
    ]
    assert "encore-un-autre-secret" not in _all_text(engine)
    assert [e.action for e in list_events(engine, actor="admin-2")] == [
        AuditAction.ACCOUNT_DISABLED
    ]


def test_filters_by_period_and_long_text_is_cut(engine: sa.Engine) -> None:
    record(engine, "a", AuditAction.DOWNLOAD, "t" * 1000, now=T0)
    record(engine, "a", AuditAction.DOWNLOAD, "court", now=T0 + timedelta(days=2))
    [early] = list_events(engine, until=T0 + timedelta(days=1))
    assert len(early.target) == audit_events.c.target.type.length
    [late] = list_events(engine, since=T0 + timedelta(days=1))
    assert late.target == "court"


def test_cli_changes_are_recorded_under_the_system_user(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ["--database-url", sqlite_url]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    add = ["users", "add", "dsi-tng", "--role", "dsi", "--chu", "TNG", "--password-stdin"]
    assert main([*add, *db]) == 0
    assert main(["users", "disable", "dsi-tng", *db]) == 0
    events = list_events(make_engine(sqlite_url))
    assert [(e.actor, e.action) for e in reversed(events)] == [
        (cli_actor(), AuditAction.ACCOUNT_CREATED),
        (cli_actor(), AuditAction.ACCOUNT_DISABLED),
    ]
    assert cli_actor().startswith("cli:")


def test_report_generation_is_recorded(sqlite_url: str, tmp_path: Path) -> None:
    output = tmp_path / "rapport.html"
    assert main(["report", "--annee", "2025", "-o", str(output), "--database-url", sqlite_url]) == 0
    [event] = list_events(make_engine(sqlite_url), actions=(AuditAction.REPORT_GENERATED,))
    assert (event.actor, event.target, event.detail) == (cli_actor(), "rapport.html", "année 2025")


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_login_attempts_and_downloads_reach_the_admin_journal(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = ACCOUNTS["dsi-fes-test"]
    at = login(make_app(), account.username, "mauvais-mot-de-passe")
    assert page_titles(at) == ["Connexion"]
    at = login_as(make_app(), "dsi-fes-test")
    click_every_download(monkeypatch)
    open_page(at, "maturite")
    assert not exceptions(at)

    admin = open_page(login_as(make_app(), "admin-test"), "comptes")
    assert not exceptions(admin)
    assert "Journal d'audit" in [h.value for h in admin.subheader]
    admin.text_input(key="audit_qui").input("dsi-fes-test").run()
    journal = admin.dataframe[-1].value  # the journal is the last table of the page
    assert list(journal.columns) == ["Date (UTC)", "Qui", "Action", "Objet", "Détail"]
    assert set(journal["Qui"]) == {"dsi-fes-test"}
    actions = list(journal["Action"])
    assert "connexion refusée" in actions and "connexion réussie" in actions
    assert "téléchargement d'un tableau" in actions
    assert set(journal.loc[journal["Action"] == "téléchargement d'un tableau", "Détail"]) == {
        "csv",
        "xlsx",
    }
    text = collect_text(admin)
    assert "mauvais-mot-de-passe" not in text and account.password not in text
    # Exportable: the journal has its CSV and Excel downloads.
    labels = [b.proto.label for b in admin.get("download_button")]
    assert labels.count("Télécharger (CSV)") >= 2  # the accounts table and the journal


def _forged_audit_section(role: str, chu: str | None) -> None:
    from dashboard.access import Viewer
    from dashboard.views import comptes

    comptes._audit_section(Viewer("intrus", role, chu))  # noqa: SLF001


def test_non_admin_cannot_see_the_journal(warehouse_url: str) -> None:
    from streamlit.testing.v1 import AppTest

    record(make_engine(warehouse_url), "admin-test", AuditAction.ACCOUNT_CREATED, "x-compte")
    for username in ("alliance-test", "dsi-fes-test"):
        at = login_as(make_app(), username)
        assert "Comptes" not in page_titles(at)
    # The section called directly (a forged navigation, a future page mistake): refused on
    # the server, nothing of the journal sent.
    for role, chu in (("alliance", None), ("dsi", "FES")):
        at = AppTest.from_function(_forged_audit_section, args=(role, chu), default_timeout=60)
        at.run()
        assert [e.value for e in at.error] == [
            "Accès refusé : cette page n'est pas ouverte à votre profil."
        ]
        assert len(at.dataframe) == 0 and "x-compte" not in collect_text(at)


def test_an_upload_is_recorded_without_its_content(warehouse_url: str) -> None:
    content = (
        (SAMPLE_DIR / "FES" / "profil_fes_2025.csv").read_bytes().replace(b";900;", b";987654;")
    )
    at = open_page(login_as(make_app(), "dsi-fes-test"), "depot")
    [uploader] = at.file_uploader
    uploader.set_value([("profil_fes_2025_v3.csv", content, "text/csv")])
    [submit] = [b for b in at.button if b.label == "Vérifier et déposer"]
    submit.click()
    at.run()
    assert not exceptions(at)
    engine = make_engine(warehouse_url)
    [event] = list_events(engine, actions=(AuditAction.UPLOAD,))
    assert event.actor == "dsi-fes-test"
    assert event.target.startswith("soumission ") and "profil_fes_2025_v3.csv" in event.target
    assert "987654" not in _all_text(engine)
