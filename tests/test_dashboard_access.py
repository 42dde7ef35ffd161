"""Who sees what in the dashboard (AppTest against a warehouse seeded from data/sample)."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access import PAGES, Viewer
from expectations.reference import load_reference
from tests.dashboard_support import (  # noqa: F401 - fixtures
    ACCOUNTS,
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
from warehouse.accounts import LOGIN_FAILED_MESSAGE, MAX_FAILED_LOGINS

REFERENCE = load_reference()
NAMES = {code: e.nom for code, e in REFERENCE.establishments.items()}


def forbidden_for(own: str) -> list[re.Pattern[str]]:
    """Every way to name a peer: code (whole word), full name, city, distinctive name parts."""
    patterns = []
    for code, establishment in REFERENCE.establishments.items():
        if code == own:
            continue
        patterns.append(re.compile(rf"(?<![\w-]){code}(?![\w-])"))
        for text in (establishment.nom, establishment.ville):
            patterns.append(re.compile(re.escape(text), re.IGNORECASE))
    for text in ("Ibn Sina", "Ibn Rochd", "Mohammed VI"):
        patterns.append(re.compile(text, re.IGNORECASE))
    return patterns


def leaks(text: str, own: str) -> list[str]:
    found = []
    for pattern in forbidden_for(own):
        for match in pattern.finditer(text):
            start = max(0, match.start() - 60)
            found.append(f"{pattern.pattern!r}: …{text[start : match.end() + 60]}…")
    return found


def test_anonymous_sees_only_the_login_form(warehouse_url: str) -> None:
    at = make_app().run()
    assert not exceptions(at)
    assert [t.value for t in at.title] == ["Benchmark cybersécurité des CHU"]
    assert [w.label for w in at.text_input] == ["Identifiant", "Mot de passe"]
    assert len(at.dataframe) == 0 and len(at.metric) == 0
    assert len(at.sidebar.button) == 0
    text = collect_text(at)
    for name in NAMES.values():
        assert name not in text
    assert "plotly" not in text.lower()
    # No menu: only the login page is registered.
    assert page_titles(at) == ["Connexion"]


def test_wrong_password_is_refused_with_a_generic_message(warehouse_url: str) -> None:
    at = login(make_app(), "alliance-test", "pas-le-bon-mot-de-passe")
    assert [e.value for e in at.error] == [LOGIN_FAILED_MESSAGE]
    at2 = login(make_app(), "personne-inconnue", "pas-le-bon-mot-de-passe")
    assert [e.value for e in at2.error] == [LOGIN_FAILED_MESSAGE]
    assert page_titles(at) == ["Connexion"]


def test_login_is_rate_limited(warehouse_url: str) -> None:
    account = ACCOUNTS["alliance-test"]
    for _ in range(MAX_FAILED_LOGINS):
        login(make_app(), account.username, "mauvais-mot-de-passe")
    at = login(make_app(), account.username, account.password)
    # Locked: the right password gets the same generic message, and no page.
    assert [e.value for e in at.error] == [LOGIN_FAILED_MESSAGE]
    assert page_titles(at) == ["Connexion"]


def test_logout(warehouse_url: str) -> None:
    at = login_as(make_app(), "alliance-test")
    assert "Vue d'ensemble" in page_titles(at)
    [logout] = [b for b in at.sidebar.button if b.label == "Se déconnecter"]
    logout.click()
    at.run()
    assert page_titles(at) == ["Connexion"]
    assert "viewer" not in at.session_state


@pytest.mark.parametrize(
    ("username", "expected", "absent"),
    [
        (
            "alliance-test",
            {"Vue d'ensemble", "Campagne et qualité", "Méthode"},
            {"Dépôt", "Comptes"},
        ),
        ("dsi-fes-test", {"Vue d'ensemble", "Campagne et qualité", "Dépôt"}, {"Comptes"}),
        ("admin-test", {"Comptes", "Campagne et qualité"}, {"Dépôt"}),
    ],
)
def test_menu_by_role(warehouse_url: str, username: str, expected: set, absent: set) -> None:
    at = login_as(make_app(), username)
    assert not exceptions(at)
    titles = set(page_titles(at))
    assert expected <= titles
    assert not (absent & titles)


def _all_pages_text(at: AppTest) -> dict[str, str]:
    texts = {}
    for spec in PAGES:
        if spec.title not in page_titles(at):
            continue
        open_page(at, spec.module)
        assert not exceptions(at), (spec.module, exceptions(at))
        texts[spec.module] = collect_text(at)
    return texts


def test_alliance_sees_every_chu_by_name(warehouse_url: str) -> None:
    at = login_as(make_app(), "alliance-test")
    texts = _all_pages_text(at)
    assert "campagne" in texts
    for name in NAMES.values():
        assert name in texts["campagne"], name
    if "vue_ensemble" in texts:
        for name in NAMES.values():
            assert name in texts["vue_ensemble"], name


def test_dsi_never_sees_a_peer_name_on_any_page(warehouse_url: str) -> None:
    at = login_as(make_app(), "dsi-fes-test")
    texts = _all_pages_text(at)
    assert {"campagne", "depot"} <= set(texts)
    problems = {module: leaks(text, "FES") for module, text in texts.items()}
    problems = {m: p[:5] for m, p in problems.items() if p}
    assert not problems, problems
    # Its own CHU is there by name, the peers as letters.
    assert NAMES["FES"] in texts["campagne"]
    assert "CHU A" in texts["campagne"]


def test_pages_recheck_the_role_themselves(warehouse_url: str) -> None:
    """Calling a page's render directly (as a forged navigation would) is refused server-side."""

    def forged(module: str, role: str, chu: str | None) -> None:
        import importlib

        from dashboard.access import Viewer

        page = importlib.import_module(f"dashboard.views.{module}")
        page.render(Viewer("intrus", role, chu))

    for module, role, chu in (
        ("comptes", "dsi", "FES"),
        ("comptes", "alliance", None),
        ("depot", "alliance", None),
        ("depot", "admin", None),
    ):
        at = AppTest.from_function(forged, args=(module, role, chu), default_timeout=60).run()
        assert [e.value for e in at.error] == [
            "Accès refusé : cette page n'est pas ouverte à votre profil."
        ], module
        assert len(at.dataframe) == 0 and len(at.file_uploader) == 0


def test_disabled_account_loses_its_session(warehouse_url: str) -> None:
    from warehouse.accounts import disable_user
    from warehouse.engine import make_engine

    at = login_as(make_app(), "dsi-tng-test")
    assert "Dépôt" in page_titles(at)
    disable_user(make_engine(warehouse_url), "dsi-tng-test")
    at.run()
    assert page_titles(at) == ["Connexion"]


def test_forged_session_viewer_is_rechecked(warehouse_url: str) -> None:
    """A session claiming a role the account does not have gets the account's real role;
    one without the grant a login gives is no session at all."""
    from datetime import UTC, datetime

    from dashboard.auth import GRANT_KEY, SessionGrant

    at = make_app()
    at.session_state["viewer"] = Viewer("dsi-fes-test", "admin", None)
    at.run()
    assert page_titles(at) == ["Connexion"]
    at.session_state["viewer"] = Viewer("dsi-fes-test", "admin", None)
    at.session_state[GRANT_KEY] = SessionGrant("dsi-fes-test", 0, datetime.now(UTC))
    at.run()
    assert "Comptes" not in page_titles(at)
    assert "Dépôt" in page_titles(at)


def test_admin_manages_accounts(warehouse_url: str) -> None:
    from warehouse.accounts import authenticate
    from warehouse.engine import make_engine

    at = login_as(make_app(), "admin-test")
    open_page(at, "comptes")
    assert not exceptions(at)
    listed = at.dataframe[0].value
    assert {"demo-alliance", "dsi-fes-test"} <= set(listed["Identifiant"])
    form_inputs = {w.label: w for w in at.text_input}
    form_inputs["Identifiant"].input("dsi-cas-nouveau")
    [role] = [s for s in at.selectbox if s.label == "Rôle"]
    role.set_value("dsi")
    [chu] = [s for s in at.selectbox if s.label.startswith("CHU")]
    chu.set_value("CAS")
    [password] = [w for w in at.text_input if w.label.startswith("Mot de passe")]
    password.input("mot-de-passe-cas")
    [confirm] = [w for w in at.text_input if w.label == "Confirmer le mot de passe"]
    confirm.input("mot-de-passe-cas")
    [create] = [b for b in at.button if b.label == "Créer le compte"]
    create.click()
    at.run()
    assert not exceptions(at)
    assert any("dsi-cas-nouveau" in s.value for s in at.success)
    account = authenticate(make_engine(warehouse_url), "dsi-cas-nouveau", "mot-de-passe-cas")
    assert account is not None and (account.role, account.chu) == ("dsi", "CAS")
