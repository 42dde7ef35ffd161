"""Adversarial review (as the FES DSI): what a DSI could still learn about a peer, or do for
another CHU, through the corners the other dashboard tests do not reach."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

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


# --- charts: no trace, point or category per peer ---------------------------------------


ALLOWED_TRACE_NAMES = {
    "CHU Hassan II de Fès",
    "Votre CHU",
    "Médiane des autres CHU",
    "Autres CHU : 1er–3e quartile",
    "Autres CHU : minimum–maximum",
    "Solution",
    "Fournisseur",
}


def test_dsi_charts_carry_no_series_per_peer(warehouse_url: str) -> None:
    """The letters were linked across years through the figures shown per letter (scores,
    budget shares…). A DSI's charts now hold its own series and the other CHUs' aggregates
    only: every trace is one of a fixed set of names, whatever the year."""
    at = logged_in("dsi-fes-test")
    checked = 0
    for page, key in (
        ("vue_ensemble", "vue_ensemble_annee"),
        ("maturite", "maturite_annee"),
        ("investissements", "investissements_annee"),
        ("mutualisation", "mutualisation_annee"),
    ):
        open_page(at, page)
        selector = _year_selector(at, key)
        for year in list(selector.options):
            selector.set_value(int(year)).run()
            assert not exceptions(at), (page, year)
            for spec in _plotly_specs(at):
                for trace in spec["data"]:
                    name = trace.get("name")
                    if name is None or trace.get("hoverinfo") == "skip":
                        continue  # legend entries of reference lines carry no data
                    assert name in ALLOWED_TRACE_NAMES, (page, year, name)
                    assert not trace.get("text") or trace.get("type") == "bar", (page, name)
                    checked += 1
    assert checked >= 12


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
