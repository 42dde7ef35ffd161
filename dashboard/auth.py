"""Logging in and out of the dashboard.

Local accounts (``warehouse/accounts.py``: argon2id, throttling) by default. When
``.streamlit/secrets.toml`` has an ``[auth]`` section, Streamlit's OIDC login (``st.login``)
is offered too: the identity provider proves the e-mail address, and that address must be
the identifier of an existing, active local account, which gives the role and the CHU.
Nobody becomes anything by logging in through OIDC: no account is created, no role granted.
"""

from __future__ import annotations

import streamlit as st

from dashboard.access import SESSION_KEY, Viewer
from dashboard.context import get_engine

APP_TITLE = "Benchmark cybersécurité des CHU"
OIDC_FAILED_MESSAGE = (
    "Votre identité a bien été vérifiée, mais elle n'est rattachée à aucun compte actif de "
    "l'outil. Demandez à l'administrateur de l'alliance de créer un compte à votre adresse."
)


def _viewer(account) -> Viewer:  # noqa: ANN001 - warehouse.accounts.Account
    return Viewer(username=account.username, role=account.role, chu=account.chu)


def refresh_viewer(viewer: Viewer) -> Viewer | None:
    """The viewer as the accounts table says now; None when the account was removed or
    disabled since the login."""
    from warehouse.accounts import get_user

    account = get_user(get_engine(), viewer.username)
    if account is None or not account.active:
        return None
    return _viewer(account)


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all is the usual case
        return False


def _user_is_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # noqa: BLE001 - st.user unavailable outside a configured server
        return False


def _oidc_viewer() -> Viewer | None:
    """The local account matching the OIDC identity's verified e-mail, if any."""
    from warehouse.accounts import get_user

    email = str(st.user.get("email") or "").strip().lower()
    if not email or st.user.get("email_verified") is False:
        return None
    account = get_user(get_engine(), email)
    if account is None or not account.active:
        return None
    return _viewer(account)


def login_form() -> None:
    """The only thing an anonymous visitor ever sees."""
    # A narrow centred column: a full-width login form on a wide layout looks unfinished.
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(APP_TITLE)
        st.caption("Alliance des DSI des CHU du Maroc — accès réservé aux membres.")
        if oidc_configured() and not _oidc_login():
            return
        _local_login()


def _oidc_login() -> bool:
    """The OIDC part of the login page; False when nothing else should be shown."""
    if _user_is_logged_in():
        viewer = _oidc_viewer()
        if viewer is not None:
            st.session_state[SESSION_KEY] = viewer
            st.rerun()
        st.error(OIDC_FAILED_MESSAGE)
        if st.button("Se déconnecter du fournisseur d'identité"):
            st.logout()
        return False
    if st.button("Se connecter avec le compte de l'établissement", type="primary"):
        st.login()
    st.divider()
    st.caption("Ou avec un compte local :")
    return True


def _local_login() -> None:
    from warehouse.accounts import LOGIN_FAILED_MESSAGE, authenticate

    with st.form("connexion"):
        st.subheader("Connexion")
        username = st.text_input("Identifiant", key="login_username")
        password = st.text_input("Mot de passe", type="password", key="login_password")
        submitted = st.form_submit_button("Se connecter", type="primary")
    if not submitted:
        return
    account = authenticate(get_engine(), username, password)
    if account is None:
        st.error(LOGIN_FAILED_MESSAGE)
        return
    st.session_state[SESSION_KEY] = _viewer(account)
    # The password must not linger in the session state once it has served.
    st.session_state.pop("login_password", None)
    st.rerun()


def logout() -> None:
    # Everything goes: the next person on this browser must not see the last upload results.
    st.session_state.clear()
    if oidc_configured() and _user_is_logged_in():
        st.logout()
    st.rerun()


def sidebar_identity(viewer: Viewer, chu_name: str | None) -> None:
    with st.sidebar:
        st.markdown(f"**{viewer.username}**")
        detail = viewer.role_label
        if chu_name:
            detail = f"{detail} — {chu_name}"
        st.caption(detail)
        if st.button("Se déconnecter", icon=":material/logout:", key="logout"):
            logout()
