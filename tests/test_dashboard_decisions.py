"""The Certification ISO 27001 and Plan d'action pages and the joint projects of the
Mutualisation page, through the real login (AppTest on the seeded sample warehouse): they
render for every role, and as the FES DSI nothing sent to the browser or downloaded names
another CHU."""

from __future__ import annotations

import json
from typing import Any

import pytest

from expectations.reference import load_reference
from tests.dashboard_support import (  # noqa: F401 - fixtures
    collect_text,
    exceptions,
    login_as,
    make_app,
    open_page,
    seeded_warehouse_fixture,
    warehouse_url_fixture,
)
from tests.iso_support import payload_text, peer_leaks

REFERENCE = load_reference()
NEW_PAGES = ("certification_iso", "plan_action", "mutualisation")
TITLES = {
    "certification_iso": "Certification ISO 27001",
    "plan_action": "Plan d'action",
    "mutualisation": "Mutualisation",
}


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every file the pages offer, generated as a click would (downloads are deferred)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    payloads: list[bytes] = []
    add_deferred = MediaFileManager.add_deferred

    def clicked(self: MediaFileManager, data_callable: Any, *args: Any, **kwargs: Any) -> str:
        payloads.append(data_callable())
        return add_deferred(self, data_callable, *args, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", clicked)
    return payloads


def browser_text(at: Any) -> str:
    specs = [
        json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)
        for chart in at.get("plotly_chart")
    ]
    return "\n".join([collect_text(at), *specs])


def page(username: str, module: str) -> Any:
    at = make_app()
    login_as(at, username)
    at = open_page(at, module)
    assert not exceptions(at), exceptions(at)
    assert [t.value for t in at.title] == [TITLES[module]]
    return at


@pytest.mark.parametrize("module", NEW_PAGES)
def test_as_the_fes_dsi_no_other_chu_is_named(
    warehouse_url: str, downloads: list[bytes], module: str
) -> None:
    at = page("dsi-fes-test", module)
    text = browser_text(at)
    assert not peer_leaks(text, "FES"), peer_leaks(text, "FES")
    assert downloads, "chaque tableau doit être téléchargeable"
    for payload in downloads:
        content = payload_text(payload)
        assert not peer_leaks(content, "FES"), (module, peer_leaks(content, "FES"))


def test_the_fes_dsi_plan_is_its_own_with_peers_counted(
    warehouse_url: str, downloads: list[bytes]
) -> None:
    at = page("dsi-fes-test", "plan_action")
    assert "CHU Hassan II de Fès" in browser_text(at)
    (table,) = at.dataframe
    frame = table.value
    assert "CHU pairs au niveau 4 ou plus" in frame.columns
    assert "CHU pairs à contacter" not in frame.columns
    assert frame["Rang"].tolist() == list(range(1, len(frame) + 1))
    title = "Plan d'action cybersécurité — CHU Hassan II de Fès — campagne 2025"
    assert any(title in payload_text(p) for p in downloads if p[:4] == b"PK\x03\x04")


def test_the_fes_dsi_readiness_beside_its_declared_status(warehouse_url: str) -> None:
    at = page("dsi-fes-test", "certification_iso")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Statut ISO 27001 déclaré"] in ("Aucune démarche", "En cours", "Certifié")
    # FES 2025 (tests/test_cli_decisions.py checks the figure itself): 69,57 % shown as 69,6 %.
    assert metrics["Contrôles de l'annexe A prêts"] == "69,6\u00a0%"
    assert "Contrôles que l'enquête DNSSI ne couvre pas" in browser_text(at)


@pytest.mark.parametrize("username", ["alliance-test", "admin-test"])
def test_the_alliance_sees_every_chu_and_any_plan(warehouse_url: str, username: str) -> None:
    at = page(username, "certification_iso")
    text = browser_text(at)
    for establishment in REFERENCE.establishments.values():
        assert establishment.nom in text, establishment.nom
    at = page(username, "plan_action")
    at.selectbox(key="plan_chu").select("TNG").run()
    assert not exceptions(at)
    (table,) = at.dataframe
    assert "CHU pairs à contacter" in table.value.columns
    named = table.value["CHU pairs à contacter"].dropna()
    assert any("CHU" in cell for cell in named)  # peers by full name


def test_joint_projects_on_the_pooling_page(warehouse_url: str) -> None:
    at = page("alliance-test", "mutualisation")
    text = browser_text(at)
    assert "Projets communs" in text
    at.selectbox(key="mutualisation_annee").select(2023).run()
    assert not exceptions(at)
    text = browser_text(at)
    # 2023: FES, MAR and TNG are at 0 or 1 on EXP-JOURN/SURV-JOURNAL (chu-bench export
    # --table projets_communs, checked against the definition in tests/test_cli_decisions.py).
    assert "EXP-JOURN/SURV-JOURNAL" in text


def test_the_method_page_states_the_definitions_and_the_mapping_source(warehouse_url: str) -> None:
    at = make_app()
    login_as(at, "dsi-fes-test")
    at = open_page(at, "methode")
    assert not exceptions(at)
    text = browser_text(at)
    assert "correspondance communautaire, pas une publication de la DGSSI" in text
    assert "CISO Assistant" in text
    for phrase in (
        "est **prête** quand toutes ces mesures ont un niveau ≥ 3",
        "cible retenue",
        "au niveau 0 ou 1",
    ):
        assert phrase in text, phrase
    assert "preparation_iso27001_clauses_pct" in text
