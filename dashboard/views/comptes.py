"""Comptes (admin): the local accounts of the dashboard (warehouse/accounts.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st

from dashboard.access import ROLE_LABELS, Viewer, page_roles, require_role
from dashboard.auth import renew_own_session
from dashboard.context import get_engine, get_reference
from dashboard.downloads import table_with_downloads


def _accounts_table() -> pd.DataFrame:
    from warehouse.accounts import list_users

    reference = get_reference()
    rows = []
    for account in list_users(get_engine()):
        establishment = reference.establishments.get(account.chu or "")
        rows.append(
            {
                "Identifiant": account.username,
                "Rôle": ROLE_LABELS.get(account.role, account.role),
                "CHU": establishment.nom if establishment else (account.chu or ""),
                "Actif": "oui" if account.active else "non",
                "Créé le": account.created_at.strftime("%d/%m/%Y") if account.created_at else "",
                "Verrouillé jusqu'à": (
                    account.locked_until.strftime("%d/%m/%Y %H:%M UTC")
                    if account.locked_until
                    else ""
                ),
            }
        )
    return pd.DataFrame(
        rows, columns=["Identifiant", "Rôle", "CHU", "Actif", "Créé le", "Verrouillé jusqu'à"]
    )


def _create_form(viewer: Viewer) -> None:
    from warehouse.accounts import MIN_PASSWORD_LENGTH, ROLES, AccountError, create_user

    reference = get_reference()
    with st.form("nouveau_compte", clear_on_submit=True):
        st.markdown("**Créer un compte**")
        username = st.text_input(
            "Identifiant",
            help="Lettres minuscules, chiffres, « . _ - @ + ». Pour une "
            "connexion par le fournisseur d'identité, l'adresse électronique.",
        )
        role = st.selectbox("Rôle", ROLES, format_func=lambda r: ROLE_LABELS.get(r, r))
        chu = st.selectbox(
            "CHU (pour un compte DSI)",
            ["", *reference.chu_codes],
            format_func=lambda c: reference.establishments[c].nom if c else "—",
        )
        password = st.text_input(
            f"Mot de passe (au moins {MIN_PASSWORD_LENGTH} caractères)", type="password"
        )
        confirm = st.text_input("Confirmer le mot de passe", type="password")
        submitted = st.form_submit_button("Créer le compte", type="primary")
    if not submitted:
        return
    if password != confirm:
        st.error("Les deux mots de passe diffèrent.")
        return
    try:
        account = create_user(
            get_engine(),
            username,
            password,
            role,
            chu or None,
            reference=reference,
            actor=viewer.username,
        )
    except AccountError as exc:
        st.error(str(exc))
        return
    st.success(f"Compte « {account.username} » créé.")


def _manage(viewer: Viewer) -> None:
    from warehouse.accounts import (
        AccountError,
        disable_user,
        enable_user,
        list_users,
        set_password,
    )

    accounts = list_users(get_engine())
    if not accounts:
        return
    st.markdown("**Modifier un compte**")
    names = [a.username for a in accounts]
    chosen = st.selectbox("Compte", names, key="compte_choisi")
    account = next(a for a in accounts if a.username == chosen)
    columns = st.columns(2)
    with columns[0]:
        if account.active:
            # An admin cannot lock itself out of the only page that can undo it.
            if st.button(
                "Désactiver le compte",
                disabled=account.username == viewer.username,
                key="desactiver",
            ):
                disable_user(get_engine(), account.username, actor=viewer.username)
                st.rerun()
        elif st.button("Réactiver le compte", key="reactiver"):
            enable_user(get_engine(), account.username, actor=viewer.username)
            st.rerun()
    with columns[1], st.form("mot_de_passe", clear_on_submit=True):
        password = st.text_input("Nouveau mot de passe", type="password")
        if st.form_submit_button("Changer le mot de passe"):
            try:
                set_password(get_engine(), account.username, password, actor=viewer.username)
            except AccountError as exc:
                st.error(str(exc))
            else:
                if account.username == viewer.username:
                    # Every other session of this account ends; this one goes on.
                    renew_own_session(viewer.username)
                st.success(
                    f"Mot de passe de « {account.username} » changé (verrou levé ; ses "
                    "sessions ouvertes sont fermées)."
                )


def render(viewer: Viewer) -> None:
    require_role(viewer, *page_roles("comptes"))
    st.title("Comptes")
    st.caption(
        "Comptes locaux du tableau de bord. Les mots de passe sont conservés sous forme "
        "d'empreinte argon2id ; après 5 échecs de connexion, un compte est verrouillé 5 minutes."
    )
    table_with_downloads(_accounts_table(), "comptes", key="comptes")
    left, right = st.columns(2)
    with left:
        _create_form(viewer)
    with right:
        _manage(viewer)
    _audit_section(viewer)


AUDIT_COLUMNS = ["Date (UTC)", "Qui", "Action", "Objet", "Détail"]


def audit_table(
    actor: str | None = None,
    actions: tuple[str, ...] = (),
    since: date | None = None,
    until: date | None = None,
) -> pd.DataFrame:
    """The audit trail as shown and exported (newest first), filtered."""
    from warehouse.audit import ACTION_LABELS, list_events

    events = list_events(
        get_engine(),
        actor=actor or None,
        actions=actions,
        since=datetime.combine(since, time.min, UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None,
    )
    rows = [
        {
            "Date (UTC)": event.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
            "Qui": event.actor,
            "Action": ACTION_LABELS.get(event.action, event.action.value),
            "Objet": event.target or "",
            "Détail": event.detail or "",
        }
        for event in events
    ]
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def _audit_section(viewer: Viewer) -> None:
    """Journal d'audit: admin only (the page checks the role; checked again here, since this
    section reveals who logged in when)."""
    from warehouse.audit import ACTION_LABELS, AuditAction

    require_role(viewer, "admin")
    st.subheader("Journal d'audit")
    st.caption(
        "Connexions (réussies ou refusées), changements de comptes, dépôts, téléchargements "
        "de tableaux et rapports générés : qui, quand, quoi — jamais les données elles-mêmes "
        "ni les mots de passe. « (inconnu) » : un identifiant qui ne correspond à aucun compte "
        "(non conservé : ce pourrait être un mot de passe saisi au mauvais endroit)."
    )
    columns = st.columns(4)
    actor = columns[0].text_input("Qui (identifiant exact)", key="audit_qui").strip().lower()
    actions = columns[1].multiselect(
        "Actions",
        list(AuditAction),
        format_func=lambda a: ACTION_LABELS.get(a, str(a)),
        placeholder="Toutes",
        key="audit_actions",
    )
    since = columns[2].date_input("Du", value=None, key="audit_du", format="DD/MM/YYYY")
    until = columns[3].date_input("Au", value=None, key="audit_au", format="DD/MM/YYYY")
    table = audit_table(actor, tuple(actions), since, until)
    st.caption(f"{len(table)} événement(s).")
    table_with_downloads(table, "journal d'audit", key="audit")
