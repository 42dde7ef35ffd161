"""The dashboard in a real browser: Debian's chromium driven by Playwright (DESIGN §9).

- The alliance on the seeded sample: every page of its menu runs without an exception box,
  charts are drawn, screenshots land in tests/artifacts/ (git-ignored) for a human.
- The FES DSI on a campaign answered by FES and ONE peer only, and by FES and TWO peers:
  every page, every tab and every download is searched for the peers' names, codes, cities
  and the old letters, for their figures (as printed and as exported) and for the text they
  typed in their files; the hostile supplier and file name seeded by
  ``tests.browser_support.small_campaign`` show as text, and the browser never requests
  the address they name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.access import PAGES, Viewer, pages_for
from tests.browser_support import (
    ARTIFACTS,
    CHROMIUM,
    HOSTILE_SUPPLIER,
    OWN,
    contains_word,
    download_everything,
    download_text,
    launch_browser,
    login,
    open_every_tab,
    open_page,
    page_text,
    peer_figures,
    peer_free_text,
    peer_identifiers,
    reconstructible_columns,
    small_campaign,
    streamlit_server,
)
from tests.conftest import skip_or_fail
from tests.dashboard_support import (  # noqa: F401 - fixtures
    copy_warehouse,
    seeded_warehouse_fixture,
)
from warehouse.charts import plain

pytestmark = pytest.mark.browser

# Pages whose analyses are charts: at least one Plotly figure must be drawn.
CHART_PAGES = {"vue_ensemble", "maturite", "investissements", "mutualisation", "campagne"}
FES_DSI = Viewer("dsi-fes-test", "dsi", OWN)
CAMPAIGNS = {"un-pair": ["MAR"], "deux-pairs": ["MAR", "RAB"]}


def _require_browser() -> None:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"chromium absent ({CHROMIUM}) : apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright non installé (pip install -e '.[dev]')")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _require_browser()
    with launch_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def sample_server(
    seeded_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    _require_browser()
    url = copy_warehouse(seeded_warehouse, tmp_path_factory.mktemp("browser"))
    log = tmp_path_factory.mktemp("streamlit-log") / "streamlit.log"
    with streamlit_server(url, log) as base:
        yield base


def establishment_name(code: str) -> str:
    from expectations.reference import load_reference

    return load_reference().establishments[code].nom


def assert_markup_inert(page, where: str) -> None:  # noqa: ANN001
    """Markup from files stays text: no link, image or styled span it names, in HTML or in
    the SVG of a chart."""
    html = page.content()
    for tag in ('<a href="http://evil', '<img src="http://evil', ':href="http://evil'):
        assert tag not in html, (where, tag, html[max(0, html.find(tag) - 300) :][:600])
    assert page.locator("a[href*='evil'], img[src*='evil']").count() == 0, where
    assert page.locator("span[style*='color:red']").count() == 0, where


def _visit_every_page(page, viewer: Viewer, prefix: str) -> dict[str, str]:  # noqa: ANN001
    texts = {}
    for spec in pages_for(viewer):
        open_page(page, spec.title)
        assert page.locator("[data-testid='stException']").count() == 0, spec.module
        if spec.module in CHART_PAGES:
            page.wait_for_selector(".js-plotly-plot", timeout=30_000)
            assert page.locator(".js-plotly-plot").count() >= 1, spec.module
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{prefix}-{spec.module}.png"), full_page=True)
        texts[spec.module] = page_text(page)
    return texts


def test_alliance_every_page(browser, sample_server: str) -> None:  # noqa: ANN001
    page = login(browser, sample_server, "alliance-test", screenshot=True)
    try:
        texts = _visit_every_page(page, Viewer("alliance-test", "alliance"), "alliance")
        assert set(texts) == {p.module for p in PAGES if "alliance" in p.roles}
        assert "CHU Mohammed VI de Tanger" in texts["campagne"]
        # Log out on the first click, back to the login form only.
        page.get_by_role("button", name="Se déconnecter").click()
        page.wait_for_selector("text=Connexion", timeout=60_000)
        page.wait_for_timeout(500)
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
    finally:
        page.close()


def test_dsi_on_the_full_sample_sees_its_own_chu_only(browser, sample_server: str) -> None:  # noqa: ANN001
    page = login(browser, sample_server, "dsi-fes-test")
    try:
        texts = _visit_every_page(page, FES_DSI, "dsi-fes")
        assert "depot" in texts
        everything = "\n".join(texts.values())
        for word in peer_identifiers(["AGA", "CAS", "MAR", "RAB", "TNG"]):
            assert not contains_word(everything, word), word
        assert "CHU Hassan II de Fès" in texts["vue_ensemble"]
    finally:
        page.close()


@pytest.mark.parametrize("campaign", list(CAMPAIGNS))
def test_dsi_finds_nothing_of_a_peer_in_a_small_campaign(
    browser,  # noqa: ANN001
    campaign: str,
    tmp_path: Path,
) -> None:
    """Early in a campaign only FES and one peer (or two) have answered: no page, tab, chart
    or download shows a peer's name, code, city, letter, figure or typed text."""
    peers = CAMPAIGNS[campaign]
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    small_campaign(url, [OWN, *peers])
    figures = set().union(*(peer_figures(url, peer) for peer in peers))
    free_text = peer_free_text(peers)
    identifiers = peer_identifiers(peers)
    assert figures and free_text  # the search has something to look for

    with streamlit_server(url, tmp_path / "streamlit.log") as server:
        page = login(browser, server, "dsi-fes-test")
        try:
            seen: dict[str, str] = {}
            measure_tables = 0
            for spec in pages_for(FES_DSI):
                open_page(page, spec.title)
                assert page.locator("[data-testid='stException']").count() == 0, spec.module
                text = page_text(page) + "\n" + open_every_tab(page)
                folder = tmp_path / spec.module
                folder.mkdir()
                for name, content in download_everything(page, folder).items():
                    text += "\n" + download_text(name, content)
                    if name.endswith(".csv") and content.decode("utf-8-sig").startswith(
                        "chu;annee;mesure_id"
                    ):
                        measure_tables += 1
                        for peer in peers:
                            assert not reconstructible_columns(content, url, peer), peer
                seen[spec.module] = text
                page.screenshot(
                    path=str(ARTIFACTS / f"dsi-fes-{campaign}-{spec.module}.png"), full_page=True
                )
                assert_markup_inert(page, spec.module)
            assert not [u for u in page.requested if "evil" in u]
        finally:
            page.close()
        # The control: the same search finds the peers in the alliance's view, where they
        # are meant to be (a search that finds nothing anywhere proves nothing).
        page = login(browser, server, "alliance-test")
        try:
            alliance = ""
            for title in ("Vue d'ensemble", "Investissements", "Mutualisation"):
                open_page(page, title)
                alliance += page_text(page) + open_every_tab(page)
                assert_markup_inert(page, title)
            assert not [u for u in page.requested if "evil" in u]
        finally:
            page.close()
    assert any(contains_word(alliance, f) for f in figures)
    assert all(contains_word(alliance, establishment_name(p)) for p in peers)
    # The hostile supplier is on the alliance's pooling chart, as text: its label reaches
    # Plotly escaped, so that the SVG shows the characters instead of making a link.
    # (JSON escapes its quotes: look for the two ends of the label.)
    escaped = plain(HOSTILE_SUPPLIER)
    assert escaped.startswith("&lt;a href=") and escaped.endswith("SOC&lt;/a&gt;")
    assert "&lt;a href=" in alliance and "SOC&lt;/a&gt;" in alliance

    for module, text in seen.items():
        for word in identifiers:
            assert not contains_word(text, word), (campaign, module, word)
        for figure in figures:
            assert not contains_word(text, figure), (campaign, module, figure)
        for typed in free_text:
            assert typed not in text, (campaign, module, typed)
    assert measure_tables == 1  # the measure table was downloaded and searched
    # Its own file, named with Markdown, is listed on the Campagne page as typed.
    assert "[clic](http://evil) ![](http://evil/p.png).csv" in seen["campagne"]
    assert "CHU Hassan II de Fès" in seen["vue_ensemble"]
    assert "secret statistique" in seen["vue_ensemble"]
