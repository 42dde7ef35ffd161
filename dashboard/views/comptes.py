"""Comptes (admin): the local accounts of the dashboard (warehouse/accounts.py)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.access import ROLE_LABELS, Viewer, page_roles, require_role
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


def _create_form() -> None:
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
            get_engine(), username, password, role, chu or None, reference=reference
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
                disable_user(get_engine(), account.username)
                st.rerun()
        elif st.button("Réactiver le compte", key="reactiver"):
            enable_user(get_engine(), account.username)
            st.rerun()
    with columns[1], st.form("mot_de_passe", clear_on_submit=True):
        password = st.text_input("Nouveau mot de passe", type="password")
        if st.form_submit_button("Changer le mot de passe"):
            try:
                set_password(get_engine(), account.username, password)
            except AccountError as exc:
                st.error(str(exc))
            else:
                st.success(f"Mot de passe de « {account.username} » changé (verrou levé).")


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
        _create_form()
    with right:
        _manage(viewer)
