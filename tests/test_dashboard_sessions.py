"""Dashboard sessions (issue 7.6): a password change or a disable ends the account's other
open sessions at their next interaction; a session ends after a period of inactivity; a
download is generated only on a click and its URL expires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dashboard.auth import (
    DEFAULT_IDLE_MINUTES,
    IDLE_MESSAGE,
    IDLE_MINUTES_ENV,
    REVOKED_MESSAGE,
    session_idle_timeout,
)
from tests.dashboard_support import (  # noqa: F401 - fixtures
    exceptions,
    login_as,
    make_app,
    open_page,
    page_titles,
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)
from warehouse.accounts import disable_user, enable_user, set_password
from warehouse.audit import AuditAction, list_events
from warehouse.engine import make_engine

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """The dashboard's clock, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(T0)
    monkeypatch.setattr("dashboard.auth._clock", clock)
    return clock


def _logged_out_with(at, message: str) -> None:  # noqa: ANN001 - AppTest
    assert not exceptions(at)
    assert page_titles(at) == ["Connexion"]
    assert "viewer" not in at.session_state
    assert [i.value for i in at.info] == [message]


def test_password_change_ends_the_other_sessions_at_their_next_rerun(
    warehouse_url: str, clock: Clock
) -> None:
    first = login_as(make_app(), "dsi-fes-test")
    second = login_as(make_app(), "dsi-fes-test")
    assert "Dépôt" in page_titles(first) and "Dépôt" in page_titles(second)

    set_password(make_engine(warehouse_url), "dsi-fes-test", "un-tout-nouveau-secret")
    first.run()
    _logged_out_with(first, REVOKED_MESSAGE)
    second.run()
    _logged_out_with(second, REVOKED_MESSAGE)
    # The notice is shown once; the next visitor of this browser gets the bare form.
    first.run()
    assert not first.info and page_titles(first) == ["Connexion"]
    ended = list_events(make_engine(warehouse_url), actions=(AuditAction.SESSION_ENDED,))
    assert [e.actor for e in ended] == ["dsi-fes-test", "dsi-fes-test"]


def test_disable_ends_the_session_even_if_enabled_again_before_the_next_click(
    warehouse_url: str, clock: Clock
) -> None:
    at = login_as(make_app(), "dsi-tng-test")
    engine = make_engine(warehouse_url)
    disable_user(engine, "dsi-tng-test")
    enable_user(engine, "dsi-tng-test")
    at.run()
    _logged_out_with(at, REVOKED_MESSAGE)


def test_other_accounts_sessions_are_untouched(warehouse_url: str, clock: Clock) -> None:
    at = login_as(make_app(), "alliance-test")
    set_password(make_engine(warehouse_url), "dsi-fes-test", "un-tout-nouveau-secret")
    at.run()
    assert "Maturité" in page_titles(at)


def test_idle_session_expires(
    warehouse_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(IDLE_MINUTES_ENV, "10")
    at = login_as(make_app(), "alliance-test")
    # Each interaction restarts the idle period: 3 × 9 minutes is still one session.
    for _ in range(3):
        clock.now += timedelta(minutes=9)
        at.run()
        assert "Maturité" in page_titles(at)
    clock.now += timedelta(minutes=10, seconds=1)
    at.run()
    _logged_out_with(at, IDLE_MESSAGE.format(minutes=10))
    [event] = list_events(make_engine(warehouse_url), actions=(AuditAction.SESSION_ENDED,))
    assert (event.actor, event.detail) == ("alliance-test", "inactivité")


@pytest.mark.parametrize(
    ("raw", "minutes"),
    [(None, DEFAULT_IDLE_MINUTES), ("45", 45), ("0", DEFAULT_IDLE_MINUTES), ("abc", 30)],
)
def test_idle_setting(monkeypatch: pytest.MonkeyPatch, raw: str | None, minutes: int) -> None:
    if raw is None:
        monkeypatch.delenv(IDLE_MINUTES_ENV, raising=False)
    else:
        monkeypatch.setenv(IDLE_MINUTES_ENV, raw)
    assert session_idle_timeout() == timedelta(minutes=minutes)


def test_own_password_change_keeps_this_session(warehouse_url: str, clock: Clock) -> None:
    admin = login_as(make_app(), "admin-test")
    other = login_as(make_app(), "admin-test")
    open_page(admin, "comptes")
    admin.selectbox(key="compte_choisi").select("admin-test").run()
    [field] = [w for w in admin.text_input if w.label == "Nouveau mot de passe"]
    field.input("mon-nouveau-secret-admin")
    [submit] = [b for b in admin.button if b.label == "Changer le mot de passe"]
    submit.click().run()
    assert not exceptions(admin)
    assert any("changé" in s.value for s in admin.success)
    admin.run()
    assert "Comptes" in page_titles(admin)
    other.run()
    _logged_out_with(other, REVOKED_MESSAGE)


# --- downloads ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "page"),
    [("alliance-test", "maturite"), ("dsi-fes-test", "depot"), ("admin-test", "comptes")],
)
def test_downloads_are_generated_only_on_click(
    warehouse_url: str, clock: Clock, username: str, page: str
) -> None:
    """No file's bytes are at a /media URL before a click (tables; the Dépôt page's
    templates, prefilled with the CHU's own answers; the audit journal): every download
    button carries a deferred id and no URL."""
    at = open_page(login_as(make_app(), username), page)
    buttons = at.get("download_button")
    assert buttons
    for button in buttons:
        assert button.proto.deferred_file_id and not button.proto.url, button.proto.label


@pytest.fixture
def drawn_downloads(monkeypatch: pytest.MonkeyPatch) -> list:
    """The deferred download functions the pages register (to click them later)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    drawn: list = []
    add_deferred = MediaFileManager.add_deferred

    def keep(self: MediaFileManager, data_callable, *args, **kwargs) -> str:  # noqa: ANN001, ANN002, ANN003
        drawn.append(data_callable)
        return add_deferred(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return drawn


@pytest.mark.parametrize("ended_by", ["password", "disable", "idle"])
def test_a_page_left_open_cannot_download_once_its_session_ended(
    warehouse_url: str, clock: Clock, drawn_downloads: list, ended_by: str
) -> None:
    open_page(login_as(make_app(), "dsi-fes-test"), "maturite")
    assert drawn_downloads
    first = drawn_downloads[0]
    assert first().startswith(b"\xef\xbb\xbf")  # the session is open: the file is made
    engine = make_engine(warehouse_url)
    if ended_by == "password":
        set_password(engine, "dsi-fes-test", "un-tout-nouveau-secret")
    elif ended_by == "disable":
        disable_user(engine, "dsi-fes-test")
    else:
        clock.now += timedelta(minutes=DEFAULT_IDLE_MINUTES, seconds=1)
    for download in drawn_downloads:
        with pytest.raises(PermissionError):
            download()
    downloads = list_events(engine, actions=(AuditAction.DOWNLOAD,))
    assert len(downloads) == 1  # the refused ones are not recorded as downloads


def test_generated_download_url_expires_after_two_sweeps() -> None:
    """Streamlit's own media manager: a file generated by a click is unreferenced, so the
    periodic sweep (dashboard.context.start_media_expiry) marks then deletes it."""
    from unittest import mock

    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.media_file_storage import MediaFileStorageError
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from dashboard.context import expire_orphaned_media

    storage = MemoryMediaFileStorage("/media")
    manager = MediaFileManager(storage)
    with mock.patch(
        "streamlit.runtime.media_file_manager._get_session_id", return_value="session-1"
    ):
        file_id = manager.add_deferred(lambda: b"chu;niveau\r\n", "text/csv", "1.2.3")
    assert not storage._files_by_id  # noqa: SLF001 - nothing stored before the click
    url = manager.execute_deferred(file_id)
    stored = url.rsplit("/", 1)[1].split(".")[0]
    assert storage.get_file(stored).content == b"chu;niveau\r\n"

    runtime = mock.Mock(media_file_mgr=manager)
    with (
        mock.patch("streamlit.runtime.exists", return_value=True),
        mock.patch("streamlit.runtime.get_instance", return_value=runtime),
    ):
        expire_orphaned_media()
        assert storage.get_file(stored)  # marked, still there for a browser already on it
        expire_orphaned_media()
    with pytest.raises(MediaFileStorageError):
        storage.get_file(stored)
