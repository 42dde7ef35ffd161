"""The dashboard in a real browser: Debian's chromium driven by Playwright (DESIGN §9).

Starts ``streamlit run dashboard/app.py`` on a copy of the seeded warehouse, logs in as the
alliance demo user and as the FES DSI demo user, opens every page of their menu, checks that
the page ran without an exception box and that charts are drawn, and saves screenshots under
tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.access import PAGES, Viewer, pages_for
from tests.conftest import skip_or_fail
from tests.dashboard_support import (  # noqa: F401 - fixtures
    ACCOUNTS,
    APP_PATH,
    PROJECT_ROOT,
    copy_warehouse,
    env_for_app,
    seeded_warehouse_fixture,
)

pytestmark = pytest.mark.browser

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("CHU_BENCH_CHROMIUM", "/usr/bin/chromium")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Pages whose analyses are charts: at least one Plotly figure must be drawn.
CHART_PAGES = {"vue_ensemble", "maturite", "investissements", "mutualisation", "campagne"}
DEMO = {username: account.password for username, account in ACCOUNTS.items()}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(seeded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"chromium absent ({CHROMIUM}) : apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright non installé (pip install -e '.[dev]')")
    url = copy_warehouse(seeded_warehouse, tmp_path_factory.mktemp("browser"))
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit-log") / "streamlit.log"
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env_for_app(url), stdout=output, stderr=output
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit n'a pas démarré :\n{log.read_text(errors='replace')}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


def _wait_idle(page) -> None:  # noqa: ANN001
    # A rerun may start a moment after the click: let it start, then wait for its end.
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)


def _login(browser, server: str, username: str):  # noqa: ANN001, ANN202
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    page.goto(server)
    page.wait_for_selector("text=Connexion", timeout=60_000)
    _wait_idle(page)
    # Nothing but the login form before logging in.
    assert page.locator("[data-testid='stSidebarNav']").count() == 0
    assert page.locator(".js-plotly-plot").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "connexion.png"), full_page=True)
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(DEMO[username])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector("[data-testid='stSidebarNav']", timeout=60_000)
    _wait_idle(page)
    return page


def _visit_every_page(page, viewer: Viewer, prefix: str) -> dict[str, str]:  # noqa: ANN001
    texts = {}
    for spec in pages_for(viewer):
        link = page.locator("[data-testid='stSidebarNav'] a", has_text=spec.title).first
        link.click()
        page.wait_for_selector(f'h1:has-text("{spec.title.split(" ")[0]}")', timeout=60_000)
        _wait_idle(page)
        assert page.locator("[data-testid='stException']").count() == 0, spec.module
        if spec.module in CHART_PAGES:
            page.wait_for_selector(".js-plotly-plot", timeout=30_000)
            assert page.locator(".js-plotly-plot").count() >= 1, spec.module
        page.screenshot(path=str(ARTIFACTS / f"{prefix}-{spec.module}.png"), full_page=True)
        texts[spec.module] = page.inner_text("body")
    return texts


def test_alliance_every_page(browser, server: str) -> None:  # noqa: ANN001
    page = _login(browser, server, "demo-alliance")
    try:
        texts = _visit_every_page(page, Viewer("demo-alliance", "alliance"), "alliance")
        assert set(texts) == {p.module for p in PAGES if "alliance" in p.roles}
        assert "CHU Mohammed VI de Tanger" in texts["campagne"]
        # Log out on the first click, back to the login form only.
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_selector("text=Connexion", timeout=60_000)
        _wait_idle(page)
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
    finally:
        page.close()


def test_dsi_every_page_without_peer_names(browser, server: str) -> None:  # noqa: ANN001
    page = _login(browser, server, "demo-dsi-fes")
    try:
        texts = _visit_every_page(page, Viewer("demo-dsi-fes", "dsi", "FES"), "dsi-fes")
        assert "depot" in texts
        for module, text in texts.items():
            for word in ("Marrakech", "Rabat", "Ibn Sina", "Tanger", "Agadir", "Casablanca"):
                assert word not in text, (module, word)
    finally:
        page.close()
