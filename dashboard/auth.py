"""Logging in and out of the dashboard.

Local accounts (``warehouse/accounts.py``: argon2id, throttling) by default. When
``.streamlit/secrets.toml`` has an ``[auth]`` section, Streamlit's OIDC login (``st.login``)
is offered too: the identity provider proves the e-mail address, and that address must be
the identifier of an existing, active local account, which gives the role and the CHU.
Nobody becomes anything by logging in through OIDC: no account is created, no role granted.

A session (issue 7.6) is a ``SessionGrant`` kept in the session state next to the viewer:
the account's ``session_version`` at login and the time of the last interaction. Every run
checks it (``refresh_viewer``): the session ends when the account was disabled or removed,
when its password was changed since the login (the version moved on), or after
``CHU_BENCH_SESSION_IDLE_MINUTES`` (default 30) without any interaction. The login form then
says why. Logins, logouts and ended sessions are in the audit trail.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import streamlit as st

from dashboard.access import SESSION_KEY, Viewer
from dashboard.context import get_engine

log = logging.getLogger(__name__)

IDLE_MINUTES_ENV = "CHU_BENCH_SESSION_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30
GRANT_KEY = "session_grant"
NOTICE_KEY = "session_notice"

IDLE_MESSAGE = "Votre session a expiré après {minutes} minutes sans activité. Reconnectez-vous."
REVOKED_MESSAGE = (
    "Votre session a été fermée : le mot de passe ou l'état du compte a changé depuis votre "
    "connexion. Reconnectez-vous (contactez l'administrateur si le compte est désactivé)."
)


@dataclass(frozen=True)
class SessionGrant:
    username: str
    session_version: int
    last_seen: datetime


def _clock() -> datetime:
    """Now, in UTC (replaced by the tests to make time pass)."""
    return datetime.now(UTC)


def session_idle_timeout() -> timedelta:
    """``CHU_BENCH_SESSION_IDLE_MINUTES`` (a positive integer), else 30 minutes."""
    raw = os.environ.get(IDLE_MINUTES_ENV, "").strip()
    if raw:
        try:
            minutes = int(raw)
        except ValueError:
            minutes = 0
        if minutes > 0:
            return timedelta(minutes=minutes)
        log.warning(
            "%s=%r n'est pas un entier positif : %d minutes.",
            IDLE_MINUTES_ENV,
            raw,
            DEFAULT_IDLE_MINUTES,
        )
    return timedelta(minutes=DEFAULT_IDLE_MINUTES)


APP_TITLE = "Benchmark cybersécurité des CHU"
OIDC_FAILED_MESSAGE = (
    "Votre identité a bien été vérifiée, mais elle n'est rattachée à aucun compte actif de "
    "l'outil. Demandez à l'administrateur de l'alliance de créer un compte à votre adresse."
)


def _viewer(account) -> Viewer:  # noqa: ANN001 - warehouse.accounts.Account
    return Viewer(username=account.username, role=account.role, chu=account.chu)


def start_session(account) -> Viewer:  # noqa: ANN001 - warehouse.accounts.Account
    """Opens the session of ``account`` in this browser session."""
    viewer = _viewer(account)
    st.session_state[SESSION_KEY] = viewer
    st.session_state[GRANT_KEY] = SessionGrant(account.username, account.session_version, _clock())
    st.session_state.pop(NOTICE_KEY, None)
    return viewer


def end_session(reason: str, notice: str | None = None, *, by_viewer: bool = False) -> None:
    """Forgets everything of this browser session (the next person on this browser must not
    see the last upload results), records why, and leaves ``notice`` for the login form.
    An OIDC identity is logged out too: it would otherwise log the browser in again."""
    from warehouse.audit import AuditAction, record

    viewer = st.session_state.get(SESSION_KEY)
    st.session_state.clear()
    if notice:
        st.session_state[NOTICE_KEY] = notice
    if isinstance(viewer, Viewer):
        action = AuditAction.LOGOUT if by_viewer else AuditAction.SESSION_ENDED
        record(get_engine(), viewer.username, action, viewer.username, reason)
    if oidc_configured() and _user_is_logged_in():
        st.logout()


def refresh_viewer(viewer: Viewer) -> Viewer | None:
    """The viewer as the accounts table says now; None (and the session ended) when the
    account was removed or disabled, its password changed since the login, or the session
    idle for longer than ``session_idle_timeout()``."""
    from warehouse.accounts import get_user

    grant = st.session_state.get(GRANT_KEY)
    moment = _clock()
    if not isinstance(grant, SessionGrant) or grant.username != viewer.username:
        end_session("session sans autorisation valide", REVOKED_MESSAGE)
        return None
    timeout = session_idle_timeout()
    if moment - grant.last_seen > timeout:
        minutes = int(timeout.total_seconds() // 60)
        end_session("inactivité", IDLE_MESSAGE.format(minutes=minutes))
        return None
    account = get_user(get_engine(), viewer.username)
    if account is None or not account.active:
        end_session("compte désactivé ou supprimé", REVOKED_MESSAGE)
        return None
    if account.session_version != grant.session_version:
        end_session("mot de passe changé ou compte désactivé depuis la connexion", REVOKED_MESSAGE)
        return None
    st.session_state[GRANT_KEY] = SessionGrant(grant.username, grant.session_version, moment)
    return _viewer(account)


def renew_own_session(username: str) -> None:
    """After the viewer changed its own password: this session stays open (the others end)."""
    from warehouse.accounts import get_user

    grant = st.session_state.get(GRANT_KEY)
    account = get_user(get_engine(), username)
    if isinstance(grant, SessionGrant) and grant.username == username and account is not None:
        st.session_state[GRANT_KEY] = SessionGrant(username, account.session_version, _clock())


DOWNLOAD_REFUSED_MESSAGE = "Session terminée : téléchargement refusé."


def _grant_holds(engine, grant: object, username: str) -> bool:  # noqa: ANN001 - Engine
    """Whether the session ``grant`` of ``username`` is still good: the account active, its
    password unchanged since the login, the last interaction within the idle timeout.
    Read-only: checking it is not an interaction."""
    from warehouse.accounts import get_user

    if not isinstance(grant, SessionGrant) or grant.username != username:
        return False
    if _clock() - grant.last_seen > session_idle_timeout():
        return False
    account = get_user(engine, username)
    return (
        account is not None and account.active and account.session_version == grant.session_version
    )


def download_recorder(table: str, file_format: str) -> Callable[[], None]:
    """A function to call when a download of ``table`` is actually generated — a click, in
    a thread without the session: it refuses (``PermissionError``, nothing is served) when
    the session that drew the button has ended since (password changed, account disabled,
    idle past the timeout: a page left open must not keep working), else records the
    download in the audit trail. Built during the run, which reads the engine, the viewer
    and its session grant."""
    from warehouse.audit import UNKNOWN_ACTOR, AuditAction, record

    engine = get_engine()
    viewer = st.session_state.get(SESSION_KEY)
    actor = viewer.username if isinstance(viewer, Viewer) else UNKNOWN_ACTOR
    grant = st.session_state.get(GRANT_KEY)

    def recorded() -> None:
        if not _grant_holds(engine, grant, actor):
            raise PermissionError(DOWNLOAD_REFUSED_MESSAGE)
        record(engine, actor, AuditAction.DOWNLOAD, table, file_format)

    return recorded


# How often an open page checks, without any click, that its session still holds.
SESSION_WATCH_SECONDS = 60


@st.fragment(run_every=timedelta(seconds=SESSION_WATCH_SECONDS))
def session_watch(username: str) -> None:
    """Ends, within a minute and without waiting for a click, a page left open whose
    session has ended (idle timeout, password changed, account disabled): the whole app is
    rerun, which shows the login form instead of the data. Draws nothing."""
    if not _grant_holds(get_engine(), st.session_state.get(GRANT_KEY), username):
        st.rerun(scope="app")


def session_download(
    data: bytes | Callable[[], bytes], name: str, file_format: str
) -> Callable[[], bytes]:
    """``st.download_button`` data for a file of this session: made on the click (nothing
    under /media before), refused once the session has ended, recorded in the audit trail
    (see ``download_recorder``). ``data`` is the bytes or a function that builds them."""
    audit = download_recorder(name, file_format)

    def generate() -> bytes:
        audit()  # first: nothing is built for a session that has ended
        return data() if callable(data) else data

    return generate


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


def _oidc_account():  # noqa: ANN202 - warehouse.accounts.Account | None
    """The local account matching the OIDC identity's verified e-mail, if any."""
    from warehouse.accounts import get_user

    email = str(st.user.get("email") or "").strip().lower()
    if not email or st.user.get("email_verified") is False:
        return None
    account = get_user(get_engine(), email)
    if account is None or not account.active:
        return None
    return account


def login_form() -> None:
    """The only thing an anonymous visitor ever sees."""
    # A narrow centred column: a full-width login form on a wide layout looks unfinished.
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(APP_TITLE)
        st.caption("Alliance des DSI des CHU du Maroc — accès réservé aux membres.")
        notice = st.session_state.pop(NOTICE_KEY, None)
        if notice:
            st.info(notice, icon=":material/lock_clock:")
        if oidc_configured() and not _oidc_login():
            return
        _local_login()


def _oidc_login() -> bool:
    """The OIDC part of the login page; False when nothing else should be shown."""
    if _user_is_logged_in():
        account = _oidc_account()
        if account is not None:
            from warehouse.audit import AuditAction, record

            record(
                get_engine(),
                account.username,
                AuditAction.LOGIN_SUCCEEDED,
                account.username,
                "fournisseur d'identité",
            )
            start_session(account)
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
    start_session(account)
    # The password must not linger in the session state once it has served.
    st.session_state.pop("login_password", None)
    st.rerun()


def logout() -> None:
    end_session("déconnexion", by_viewer=True)
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
