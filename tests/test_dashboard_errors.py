"""An unexpected failure on a page shows a French message with a reference, never a
traceback, SQL, parameters or server paths; the details go to the server log (issue 7.4)."""

from __future__ import annotations

import logging
import re
import tomllib

import pytest
import sqlalchemy as sa

from dashboard.access import Viewer
from tests.dashboard_support import (  # noqa: F401 - fixtures
    PROJECT_ROOT,
    collect_text,
    exceptions,
    login_as,
    make_app,
    open_page,
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)

SQL = "SELECT password_hash FROM users WHERE username = ?"
SECRET_PATH = "/srv/chu-bench/data/warehouse.sqlite"


def _failing_render(viewer: Viewer) -> None:
    raise sa.exc.OperationalError(
        SQL, ("dsi-fes-test",), Exception(f"unable to open {SECRET_PATH}")
    )


def test_page_failure_shows_french_message_and_logs_the_details(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    at = login_as(make_app(), "alliance-test")
    monkeypatch.setattr("dashboard.views.methode.render", _failing_render)
    with caplog.at_level(logging.ERROR, logger="chu_bench.dashboard"):
        open_page(at, "methode")

    assert not exceptions(at)  # no st.exception element: no traceback in the browser
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "Une erreur inattendue est survenue" in errors[0]
    ref = re.search(r"réf\. ([0-9A-F]{8})", errors[0])
    assert ref is not None
    shown = collect_text(at)
    for secret in ("SELECT", "password_hash", "dsi-fes-test", SECRET_PATH, "Traceback"):
        assert secret not in shown
    # The session goes on: the sidebar (identity, logout) is still there.
    assert [b.label for b in at.sidebar.button] == ["Se déconnecter"]

    logged = [r for r in caplog.records if r.name == "chu_bench.dashboard"]
    assert len(logged) == 1 and ref.group(1) in logged[0].getMessage()
    assert "methode" in logged[0].getMessage()
    details = caplog.text
    assert SQL in details and SECRET_PATH in details and "Traceback" in details


def test_failure_before_any_page_is_also_caught(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The warehouse failing while the session is checked (before navigation).
    def broken(viewer: Viewer) -> Viewer:
        raise sa.exc.OperationalError(SQL, ("alliance-test",), Exception(SECRET_PATH))

    at = login_as(make_app(), "alliance-test")
    monkeypatch.setattr("dashboard.auth.refresh_viewer", broken)
    with caplog.at_level(logging.ERROR, logger="chu_bench.dashboard"):
        at.run()
    assert not exceptions(at)
    assert [e.value for e in at.error][0].startswith("Une erreur inattendue est survenue")
    assert SQL not in collect_text(at) and SQL in caplog.text


def test_streamlit_shows_no_error_details() -> None:
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["client"]["showErrorDetails"] == "none"
