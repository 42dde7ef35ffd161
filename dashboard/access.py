"""Who is looking, and what they may see (DESIGN §8).

Every page calls ``require_viewer()`` / ``require_role()`` itself: hiding a menu entry is
never the protection. What a viewer may see of the data is decided by the viewer-scoped
data layer ``dashboard.scoped.ScopedData``: alliance and admin see every CHU by name; a DSI
sees its own CHU by name against aggregates of the other CHUs only (no peer row, value,
label or free text). ``present()`` turns CHU codes into names for a table that may carry
them: any CHU for alliance/admin, only its own CHU for a DSI (a peer's row is refused).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dashboard.anonymity import scrub_text

if TYPE_CHECKING:
    import pandas as pd

    from expectations.reference import ReferenceData

ROLES = ("alliance", "dsi", "admin")
ROLE_LABELS = {
    "alliance": "Direction de l'alliance",
    "dsi": "DSI d'un CHU",
    "admin": "Administrateur",
}
SESSION_KEY = "viewer"


@dataclass(frozen=True)
class Viewer:
    username: str
    role: str  # "alliance" | "dsi" | "admin"
    chu: str | None = None  # the DSI's own CHU (None for the other roles)

    @property
    def sees_all_names(self) -> bool:
        return self.role in ("alliance", "admin")

    def can_upload_for(self, chu: str) -> bool:
        """Only a DSI, and only for its own CHU. An admin manages accounts, it does not send
        data: letting it upload « as » a CHU would blur who answered for that CHU's figures
        (the data engineer uses the drop folder or the CLI, both traced)."""
        return self.role == "dsi" and self.chu is not None and chu == self.chu

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


def _reference(reference: ReferenceData | None = None) -> ReferenceData:
    if reference is not None:
        return reference
    from expectations.reference import load_reference

    return load_reference()


def _full_name(code: str, reference: ReferenceData) -> str:
    establishment = reference.establishments.get(code)
    return establishment.nom if establishment else code


class PeerDataRefused(PermissionError):
    """A DSI's page asked for a peer's row or name: a programming error, never shown data."""


def chu_labels(
    viewer: Viewer,
    codes: Iterable[str],
    annee: int | None = None,
    *,
    reference: ReferenceData | None = None,
) -> dict[str, str]:
    """Code → full name. A DSI may only ask for its own CHU: a peer's code raises
    ``PeerDataRefused`` (peers are never labelled for a DSI, not even by a letter)."""
    ref = _reference(reference)
    wanted = [c for c in dict.fromkeys(codes) if c is not None]
    if not viewer.sees_all_names and any(code != viewer.chu for code in wanted):
        raise PeerDataRefused("Un DSI ne voit aucun autre CHU, pas même sous une lettre.")
    return {code: _full_name(code, ref) for code in wanted}


OTHER_CHU_TEXT = "un autre CHU"


def _peer_replacements(
    viewer: Viewer, reference: ReferenceData, extra_codes: Iterable[str] = ()
) -> dict[str, str]:
    """Every way to name a peer in free text (code, full name, city) → « un autre CHU »."""
    replacements: dict[str, str] = {}
    for code in dict.fromkeys([*reference.chu_codes, *extra_codes]):
        if not code or code == viewer.chu:
            continue
        replacements[code] = OTHER_CHU_TEXT
        establishment = reference.establishments.get(code)
        if establishment:
            replacements[establishment.nom] = OTHER_CHU_TEXT
            replacements[establishment.ville] = OTHER_CHU_TEXT
    return replacements


def anonymize_text(viewer: Viewer, text: str, *, reference: ReferenceData | None = None) -> str:
    """Free text of a DSI's own file (a report message, a comment) with every peer's name,
    city and code replaced by « un autre CHU »; unchanged for the other roles."""
    if viewer.sees_all_names or not text:
        return text
    return scrub_text(text, _peer_replacements(viewer, _reference(reference)))


def present(
    viewer: Viewer,
    df: pd.DataFrame,
    *,
    chu_column: str = "chu",
    list_columns: Sequence[str] = (),
    reference: ReferenceData | None = None,
) -> pd.DataFrame:
    """A copy of ``df`` whose ``chu_column`` codes (and the comma-separated codes of
    ``list_columns``) are full names. For a DSI the table may hold its own CHU's rows only:
    a peer's row raises ``PeerDataRefused`` (the scoped data layer never gives one)."""
    ref = _reference(reference)
    out = df.copy()
    if chu_column in out.columns:
        codes = [str(c) for c in out[chu_column].dropna().unique()]
        labels = chu_labels(viewer, codes, reference=ref)
        out[chu_column] = [
            labels.get(str(c), c) if isinstance(c, str) else c for c in out[chu_column]
        ]
    for column in list_columns:
        if column not in out.columns:
            continue
        if not viewer.sees_all_names:
            raise PeerDataRefused("Une liste de CHU n'est jamais montrée à un DSI.")

        def names(cell: Any) -> Any:
            if not isinstance(cell, str):
                return cell
            return ", ".join(
                sorted(_full_name(c.strip(), ref) for c in cell.split(",") if c.strip())
            )

        out[column] = [names(cell) for cell in out[column]]
    return out


# --- Streamlit side ------------------------------------------------------------------------


def current_viewer() -> Viewer | None:
    """The logged-in viewer of this browser session, re-checked against the accounts table on
    every run (a disabled account or a changed role takes effect at the next click)."""
    import streamlit as st

    viewer = st.session_state.get(SESSION_KEY)
    if not isinstance(viewer, Viewer):
        return None
    from dashboard.auth import refresh_viewer

    fresh = refresh_viewer(viewer)
    if fresh is None:
        st.session_state.pop(SESSION_KEY, None)
        return None
    if fresh != viewer:
        st.session_state[SESSION_KEY] = fresh
    return fresh


def require_viewer() -> Viewer:
    """The logged-in viewer; otherwise shows the login form and stops the script, so that
    nothing below this line ever runs for an anonymous visitor."""
    import streamlit as st

    viewer = current_viewer()
    if viewer is None:
        from dashboard.auth import login_form

        login_form()
        st.stop()
    return viewer


def require_role(viewer: Viewer, *roles: str) -> None:
    """Stops the page (server side) when the viewer's role is not among ``roles``."""
    import streamlit as st

    if viewer.role not in roles:
        st.error("Accès refusé : cette page n'est pas ouverte à votre profil.")
        st.stop()


# --- Pages and the roles that may open them ----------------------------------------------


@dataclass(frozen=True)
class PageSpec:
    module: str  # dashboard.views.<module>, exposing render(viewer)
    title: str
    url_path: str
    icon: str
    section: str
    roles: tuple[str, ...]


# Page modules live in dashboard/views/, not dashboard/pages/: Streamlit treats a ``pages/``
# folder next to the entry point as old-style pages reachable by URL, bypassing app.py.
# The menu shows a viewer only its pages, but each page's render() checks the role again:
# the menu is a convenience, not the protection. The admin sees the analyses too: it sees
# every CHU by name anyway (it runs the campaign), so they reveal nothing more to it.
ALL_ROLES = ROLES
PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "vue_ensemble",
        "Vue d'ensemble",
        "vue-ensemble",
        ":material/dashboard:",
        "Analyses",
        ALL_ROLES,
    ),
    PageSpec(
        "maturite", "Maturité", "maturite-securite", ":material/shield:", "Analyses", ALL_ROLES
    ),
    PageSpec(
        "investissements",
        "Investissements",
        "depenses-investissements",
        ":material/payments:",
        "Analyses",
        ALL_ROLES,
    ),
    PageSpec(
        "mutualisation",
        "Mutualisation",
        "mutualisation-achats",
        ":material/handshake:",
        "Analyses",
        ALL_ROLES,
    ),
    # ISO (issue 9): readiness for ISO 27001 and each CHU's action plan.
    PageSpec(
        "certification_iso",
        "Certification ISO 27001",
        "certification-iso-27001",
        ":material/verified:",
        "Analyses",
        ALL_ROLES,
    ),
    PageSpec(
        "plan_action", "Plan d'action", "plan-action", ":material/checklist:", "Analyses", ALL_ROLES
    ),
    PageSpec(
        "campagne",
        "Campagne et qualité",
        "campagne-qualite",
        ":material/fact_check:",
        "Données",
        ALL_ROLES,
    ),
    PageSpec("depot", "Dépôt", "depot-fichiers", ":material/upload_file:", "Données", ("dsi",)),
    PageSpec("methode", "Méthode", "methode-sources", ":material/menu_book:", "Aide", ALL_ROLES),
    PageSpec(
        "comptes",
        "Comptes",
        "gestion-comptes",
        ":material/manage_accounts:",
        "Administration",
        ("admin",),
    ),
)


def pages_for(viewer: Viewer) -> list[PageSpec]:
    return [page for page in PAGES if viewer.role in page.roles]


def page_roles(module: str) -> tuple[str, ...]:
    """The roles allowed on a page, for the page's own ``require_role`` check."""
    for page in PAGES:
        if page.module == module:
            return page.roles
    return ()
