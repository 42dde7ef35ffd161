"""Who is looking, and what they may see (DESIGN §8).

Every page calls ``require_viewer()`` / ``require_role()`` itself: hiding a menu entry is
never the protection. Every DataFrame that reaches the browser with CHU codes goes through
``present()`` first, so that a DSI sees its peers only as « CHU A », « CHU B »…
(letters stable within a year), never by name, code, city, sender or file name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dashboard.anonymity import peer_letters, scrub_text

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

# Columns that identify who sent what: shown for the viewer's own rows, blanked for a peer's.
PEER_MASKED_COLUMNS = (
    "sender",
    "expediteur",
    "filename",
    "fichier",
    "file",
    "sha256",
    "content",
    "sender_chu",
    "commentaire",
    "libelle",
    "report",
    "rapport",
)
# Columns that describe an establishment: the label already says it, so a DSI never gets them.
# (« nom » only next to a CHU column: in the pooling table it is a solution's name.)
ESTABLISHMENT_COLUMNS = ("ville", "region", "lits_reference", "premiere_campagne")


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


def chu_labels(
    viewer: Viewer,
    codes: Iterable[str],
    annee: int | None,
    *,
    reference: ReferenceData | None = None,
) -> dict[str, str]:
    """Code → what this viewer may read: the full name for alliance/admin and for a DSI's
    own CHU, « CHU A »… for a DSI's peers (letters stable within ``annee``)."""
    ref = _reference(reference)
    wanted = [c for c in dict.fromkeys(codes) if c is not None]
    if viewer.sees_all_names:
        return {code: _full_name(code, ref) for code in wanted}
    # Letters are drawn over the whole alliance so that they do not move with the subset.
    letters = peer_letters(viewer.chu, [*ref.chu_codes, *wanted], annee)
    return {code: _full_name(code, ref) if code == viewer.chu else letters[code] for code in wanted}


OTHER_CHU_TEXT = "un autre CHU"


def _peer_replacements(
    viewer: Viewer, reference: ReferenceData, extra_codes: Iterable[str] = ()
) -> dict[str, str]:
    """Every way to name a peer in free text (code, full name, city) → a neutral « un autre
    CHU ». Not the peer's letter: a comment of one row naming another CHU would otherwise
    tell which letter that CHU has."""
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
    """Free text (a report message, a caption) with every peer's name, city and code replaced
    by « un autre CHU » for a DSI; unchanged for the other roles."""
    if viewer.sees_all_names or not text:
        return text
    return scrub_text(text, _peer_replacements(viewer, _reference(reference)))


def _year_of(value: Any) -> int | None:
    try:
        if value is None or value != value:  # NaN / NA
            return None
        return int(value)
    except (TypeError, ValueError):
        return None


def present(
    viewer: Viewer,
    df: pd.DataFrame,
    *,
    chu_column: str = "chu",
    annee_column: str | None = "annee",
    list_columns: Sequence[str] = (),
    reference: ReferenceData | None = None,
) -> pd.DataFrame:
    """A copy of ``df`` fit for this viewer's browser.

    - ``chu_column`` codes become labels (full names, or per-year letters for a DSI's peers);
    - ``list_columns`` hold comma-separated codes (pooling ``chus``): each code is labelled;
    - for a DSI: establishment columns (nom, ville…) are dropped, and on a peer's rows the
      sender, file name, hash, comments and labels are blanked; any other text cell is
      scrubbed of peers' names, cities and codes (→ « un autre CHU »).

    Call it BEFORE pivoting: once codes become column headers, they cannot be found here.
    """
    import pandas as pd

    ref = _reference(reference)
    out = df.copy()
    if out.empty and chu_column not in out.columns:
        return out
    has_year = annee_column is not None and annee_column in out.columns
    has_chu = chu_column in out.columns

    def years() -> list[int | None]:
        if not has_year:
            return [None] * len(out)
        return [_year_of(v) for v in out[annee_column]]

    row_years = years()
    year_set = sorted({y for y in row_years if y is not None}) + (
        [None] if None in row_years else []
    )
    extra_codes: set[str] = set()
    if has_chu:
        extra_codes |= {str(c) for c in out[chu_column].dropna().unique()}
    for column in list_columns:
        if column in out.columns:
            for cell in out[column].dropna():
                extra_codes |= {c.strip() for c in str(cell).split(",") if c.strip()}
    all_codes = [*ref.chu_codes, *sorted(extra_codes - set(ref.chu_codes))]
    labels_by_year = {y: chu_labels(viewer, all_codes, y, reference=ref) for y in year_set}

    def label(code: Any, year: int | None) -> Any:
        if code is None or (isinstance(code, float) and code != code):
            return code
        return labels_by_year.get(year, {}).get(str(code), str(code))

    own_rows = pd.Series(True, index=out.index)
    if has_chu:
        own_rows = out[chu_column].astype("string").eq(viewer.chu or "").fillna(False)

    if not viewer.sees_all_names:
        dropped = [c for c in ESTABLISHMENT_COLUMNS if c in out.columns]
        if has_chu and "nom" in out.columns:
            dropped.append("nom")
        out = out.drop(columns=dropped)
        if has_chu:
            peer = ~own_rows
            for column in PEER_MASKED_COLUMNS:
                if column in out.columns and column != chu_column:
                    out[column] = out[column].astype("object")
                    out.loc[peer, column] = None

    for column in list_columns:
        if column not in out.columns:
            continue
        out[column] = [
            cell
            if cell is None or (isinstance(cell, float) and cell != cell)
            # Sorted labels: in code order (AGA, CAS, FES…) the list would tell which letter is who.
            else ", ".join(
                sorted(label(c.strip(), year) for c in str(cell).split(",") if c.strip())
            )
            for cell, year in zip(out[column].tolist(), row_years, strict=True)
        ]

    if not viewer.sees_all_names:
        # Free text may still name a peer (« partagé avec le CHU de Rabat »): scrub every
        # remaining text column.
        replacements = _peer_replacements(viewer, ref, extra_codes)
        skip = {chu_column, *list_columns}
        for column in out.columns:
            if column in skip:
                continue
            series = out[column]
            if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
                continue
            out[column] = [
                scrub_text(v, replacements) if isinstance(v, str) else v for v in series.tolist()
            ]

    if has_chu:
        out[chu_column] = [
            label(code, year)
            for code, year in zip(out[chu_column].tolist(), row_years, strict=True)
        ]
    if not viewer.sees_all_names and out.index.name == chu_column:
        out.index = [label(code, None) for code in out.index]
        out.index.name = chu_column
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
