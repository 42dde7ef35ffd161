"""The Dépôt page's form in a real browser (issue 10 acceptance): as the FES DSI, fill the
profile, save a draft, reload the page, find the draft, submit it; once the pipeline has
processed it, FES's figures in ``chu-bench export`` have changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_support import (
    ARTIFACTS,
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
from tests.form_support import browser_form, export_fes_2025, run_pipeline
from warehouse.drafts import campaign_answers, load_draft
from warehouse.engine import make_engine

pytestmark = pytest.mark.browser

PROFILE = "Profil de l'établissement"


def test_fes_dsi_fills_saves_reloads_and_submits_the_form(
    seeded_warehouse: Path, tmp_path: Path
) -> None:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"chromium absent ({CHROMIUM}) : apt-get install -y chromium")
    pytest.importorskip("playwright.sync_api")
    url = copy_warehouse(seeded_warehouse, tmp_path)
    before = export_fes_2025(url)
    beds_before = campaign_answers(make_engine(url), chu="FES", annee=2025, kind="profil")[0][
        "lits"
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with streamlit_server(url, tmp_path / "streamlit.log") as server, launch_browser() as browser:
        page = login(browser, server, "demo-dsi-fes")
        open_page(page, "Dépôt")
        form = browser_form(page, PROFILE)
        beds = form.get_by_label("Lits")
        assert beds.input_value() == str(beds_before)  # prefilled from the campaign
        beds.fill("1500")
        beds.press("Tab")
        form.get_by_role("button", name="Enregistrer le brouillon").click()
        wait_idle(page)
        page.wait_for_selector("text=enregistré : vous le retrouverez", timeout=30_000)
        assert (
            load_draft(make_engine(url), chu="FES", annee=2025, kind="profil").rows[0]["lits"]
            == 1500
        )

        page.reload()  # a new session: log in again, the draft is in the warehouse
        page.close()
        page = login(browser, server, "demo-dsi-fes")
        open_page(page, "Dépôt")
        form = browser_form(page, PROFILE)
        page.wait_for_selector("text=Brouillon enregistré le", timeout=30_000)
        assert form.get_by_label("Lits").input_value() == "1500"
        form.get_by_role("button", name="Vérifier et envoyer").click()
        wait_idle(page)
        page.wait_for_selector("text=Réponses reçues et vérifiées", timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "formulaire-dsi-fes.png"), full_page=True)
        assert page.locator("[data-testid='stException']").count() == 0
        page.close()

    run_pipeline(url)
    after = export_fes_2025(url)
    assert after["depense_par_lit_mad"] != before["depense_par_lit_mad"]
    ratio = float(before["depense_par_lit_mad"].replace(",", ".")) / float(
        after["depense_par_lit_mad"].replace(",", ".")
    )
    # Spending per bed: same spending, 1 500 beds instead of the campaign's.
    assert ratio == pytest.approx(1500 / beds_before, rel=1e-3)
