"""Sessions and downloads in a real browser (issue 7.6): a password change logs the other
session out at its next click; a table's download exists on the server only once clicked,
and its /media URL stops working within a minute of the tab being closed."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.auth import REVOKED_MESSAGE, SESSION_WATCH_SECONDS
from tests.browser_support import (
    CHROMIUM,
    launch_browser,
    login,
    open_page,
    streamlit_server,
    wait_idle,
)
from tests.conftest import skip_or_fail
from tests.dashboard_support import (  # noqa: F401 - fixtures
    copy_warehouse,
    seeded_warehouse_fixture,
)

pytestmark = pytest.mark.browser

# Two sweeps of dashboard.context.start_media_expiry (30 s each), and some slack.
EXPIRY_WAIT_SECONDS = 75


@pytest.fixture(scope="module")
def warehouse(seeded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    return copy_warehouse(seeded_warehouse, tmp_path_factory.mktemp("browser-sessions"))


@pytest.fixture(scope="module")
def server(warehouse: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"chromium absent ({CHROMIUM}) : apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright non installé (pip install -e '.[dev]')")
    log = tmp_path_factory.mktemp("streamlit-log") / "streamlit.log"
    with streamlit_server(warehouse, log) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with launch_browser() as browser:
        yield browser


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # no cookie at all
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_download_exists_only_after_the_click_and_expires_after_the_tab_closes(
    browser, server: str, tmp_path: Path
) -> None:  # noqa: ANN001
    page = login(browser, server, "alliance-test")
    open_page(page, "Maturité")
    assert not [u for u in page.requested if "/media/" in u and u.endswith((".csv", ".xlsx"))]
    button = page.locator("[data-testid='stDownloadButton'] button").first
    with page.expect_download(timeout=30_000) as info:
        button.click()
    download = info.value
    download.save_as(str(tmp_path / "table.csv"))
    assert (tmp_path / "table.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    url = download.url
    assert "/media/" in url
    page.close()

    deadline = time.monotonic() + EXPIRY_WAIT_SECONDS
    while _status(url) == 200 and time.monotonic() < deadline:
        time.sleep(5)
    assert _status(url) == 404


def test_password_change_logs_the_open_browser_session_out(
    browser, server: str, warehouse: str
) -> None:  # noqa: ANN001
    from warehouse.accounts import set_password
    from warehouse.engine import make_engine

    page = login(browser, server, "dsi-tng-test")
    set_password(make_engine(warehouse), "dsi-tng-test", "change-par-l-administrateur")
    page.locator("[data-testid='stSidebarNav'] a", has_text="Méthode").first.click()
    page.wait_for_selector("text=Connexion", timeout=60_000)
    wait_idle(page)
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert REVOKED_MESSAGE.split(" :")[0] in page.inner_text("body")
    page.close()


def test_a_page_left_open_is_closed_without_a_click(browser, server: str, warehouse: str) -> None:  # noqa: ANN001
    """The open page checks its session every minute (dashboard.auth.session_watch): once
    the account is disabled, the data gives way to the login form with nobody clicking."""
    from warehouse.accounts import disable_user
    from warehouse.engine import make_engine

    page = login(browser, server, "dsi-fes-test")
    assert page.locator("[data-testid='stSidebarNav']").count() == 1
    disable_user(make_engine(warehouse), "dsi-fes-test")
    page.wait_for_selector(
        "[data-testid='stSidebarNav']",
        state="detached",
        timeout=(SESSION_WATCH_SECONDS + 30) * 1000,
    )
    wait_idle(page)
    assert "Connexion" in page.inner_text("body")
    page.close()
