"""Adversarial review (as the FES DSI): what a DSI could still learn about a peer, or do for
another CHU, through the corners the other dashboard tests do not reach."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from tests.dashboard_support import (  # noqa: F401 - fixtures
    SAMPLE_DIR,
    collect_text,
    exceptions,
    login_as,
    make_app,
    open_page,
    page_titles,
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)
from tests.test_dashboard_pages import (  # noqa: F401 - fixture
    _plotly_specs,
    assert_no_peer,
    browser_text,
    logged_in,
    recorded_downloads,
)

TNG_MATURITY_NEW = (SAMPLE_DIR / "TNG" / "maturite_tng_2024.csv").read_bytes() + b"\n"


def _year_selector(at: Any, key: str) -> Any:
    [selector] = [s for s in at.selectbox if s.key == key]
    return selector


# --- chart JSON order -----------------------------------------------------------------------


def test_scatter_points_are_not_in_code_order(warehouse_url: str) -> None:
    """The maturity × spend scatter listed its points in the order of the rows it was given,
    i.e. the order of the CHU codes (AGA, CAS, FES…): the figure JSON then told which letter
    is which CHU. The page now ranks them by maturity index, ties by label."""
    at = open_page(logged_in("dsi-fes-test"), "investissements")
    selector = _year_selector(at, "investissements_annee")
    checked = 0
    for year in list(selector.options):
        selector.set_value(int(year)).run()
        assert not exceptions(at)
        for spec in _plotly_specs(at):
            for trace in spec["data"]:
                if trace.get("type") != "scatter" or not trace.get("text"):
                    continue
                keys = list(zip((-v for v in trace["y"]), trace["text"], strict=True))
                assert keys == sorted(keys), (year, trace["text"])
                checked += 1
    assert checked >= 3


# --- letters: the same peer has the same letter on every page of a year ---------------------


def test_letters_agree_across_pages_within_a_year(warehouse_url: str) -> None:
    at = logged_in("dsi-fes-test")
    for year in (2023, 2024, 2025):
        open_page(at, "vue_ensemble")
        _year_selector(at, "vue_ensemble_annee").set_value(year).run()
        [bars] = [t for s in _plotly_specs(at) for t in s["data"] if t.get("type") == "bar"]
        overview = dict(zip(bars["x"], bars["y"], strict=True))
        open_page(at, "investissements")
        _year_selector(at, "investissements_annee").set_value(year).run()
        [scatter] = [
            t
            for s in _plotly_specs(at)
            for t in s["data"]
            if t.get("type") == "scatter" and t.get("text")
        ]
        investments = dict(zip(scatter["text"], scatter["y"], strict=True))
        common = set(overview) & set(investments)
        assert len(common) >= 3, year
        for label in common:
            assert overview[label] == pytest.approx(investments[label]), (year, label)


# --- Dépôt ----------------------------------------------------------------------------------


def test_refusal_of_a_peers_file_does_not_name_the_peer(
    warehouse_url: str,
    recorded_downloads: list[str],  # noqa: F811 - the fixture imported above
) -> None:
    """Uploading Tanger's file: the refusal showed « CHU : TNG » and the error text « le fichier
    concerne TNG » (and the same in the downloadable error table). The report is now shown as
    on the Campagne page: the other CHU is « autre CHU », its code scrubbed."""
    at = open_page(logged_in("dsi-fes-test"), "depot")
    [uploader] = at.file_uploader
    uploader.set_value([("maturite_2024.csv", TNG_MATURITY_NEW, "text/csv")])
    [submit] = [b for b in at.button if b.label == "Vérifier et déposer"]
    submit.click()
    at.run()
    assert not exceptions(at)
    assert any("fichier invalide" in e.value for e in at.error)
    assert_no_peer(browser_text(at), "FES", "rapport du dépôt")
    for payload in recorded_downloads:
        assert_no_peer(payload, "FES", "téléchargement du rapport du dépôt")
    assert any("autre CHU" in c.value for c in at.caption)


# --- pages outside the menu -----------------------------------------------------------------


def _page_hash(url_path: str) -> str:
    from streamlit.util import calc_hash

    return calc_hash(url_path)


def test_dsi_cannot_reach_the_accounts_page_by_its_url(warehouse_url: str) -> None:
    at = logged_in("dsi-fes-test")
    at._page_hash = _page_hash("gestion-comptes")  # noqa: SLF001
    at.run()
    assert not exceptions(at)
    text = collect_text(at)
    assert "demo-admin" not in text and "Créer un compte" not in text
    assert "Comptes" not in page_titles(at)


def test_anonymous_cannot_reach_a_page_by_its_url(warehouse_url: str) -> None:
    for url_path in ("vue-ensemble", "campagne-qualite", "gestion-comptes", "depot-fichiers"):
        at = make_app()
        at._page_hash = _page_hash(url_path)  # noqa: SLF001
        at.run()
        assert not exceptions(at)
        assert page_titles(at) == ["Connexion"]
        assert len(at.dataframe) == 0 and len(at.file_uploader) == 0
        assert "plotly" not in collect_text(at).lower()


# --- login throttling -----------------------------------------------------------------------


def test_lockout_holds_against_concurrent_attempts(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock was checked before the (slow) password check and the failure recorded after
    it: many attempts started together all passed the check, so an attacker got far more than
    MAX_FAILED_LOGINS guesses per lock period. The attempt is now counted before checking."""
    from warehouse import accounts
    from warehouse.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'comptes.sqlite'}")
    accounts.create_user(engine, "cible", "bon-mot-de-passe", "alliance")
    real_verify = accounts._verify  # noqa: SLF001
    checked: list[int] = []
    lock = threading.Lock()

    def slow_verify(password_hash: str, password: str) -> bool:
        if password_hash != accounts._DUMMY_HASH:  # noqa: SLF001
            with lock:
                checked.append(1)
        time.sleep(0.05)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "_verify", slow_verify)
    moment = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
    attempts = 4 * accounts.MAX_FAILED_LOGINS
    barrier = threading.Barrier(attempts)
    results: list[object] = []

    def attempt(i: int) -> None:
        barrier.wait()
        results.append(accounts.authenticate(engine, "cible", f"essai-{i}", now=moment))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [None] * attempts
    assert len(checked) <= accounts.MAX_FAILED_LOGINS
    assert accounts.get_user(engine, "cible").locked_until is not None


def test_pooling_hides_amounts_that_would_reveal_a_single_peer() -> None:
    from dashboard.access import Viewer
    from dashboard.views.mutualisation import hide_amounts_that_reveal_a_peer

    pooling = pd.DataFrame(
        {
            "nom": ["EDR", "SIEM", "Sauvegarde"],
            "nb_chu": [2, 3, 2],
            "chus": ["FES,MAR", "CAS,FES,RAB", "CAS,TNG"],
            "total_mad": [500_000.0, 900_000.0, 300_000.0],
            "economie_estimee_mad": [75_000.0, 135_000.0, 45_000.0],
        }
    )
    fes = hide_amounts_that_reveal_a_peer(Viewer("dsi-fes", "dsi", "FES"), pooling)
    # EDR: FES + one peer, total − FES's spend = MAR's spend: hidden.
    assert pd.isna(fes.loc[0, "total_mad"]) and pd.isna(fes.loc[0, "economie_estimee_mad"])
    assert fes.loc[1, "total_mad"] == 900_000.0  # three CHUs: no single peer isolated
    assert fes.loc[2, "total_mad"] == 300_000.0  # two peers together, FES not in it
    alliance = hide_amounts_that_reveal_a_peer(Viewer("dir", "alliance", None), pooling)
    assert alliance["total_mad"].tolist() == [500_000.0, 900_000.0, 300_000.0]
