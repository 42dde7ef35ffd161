"""chu-bench dashboard: ``streamlit run dashboard/app.py``.

Anonymous visitors get the login form and nothing else (not even the menu). A logged-in
viewer gets the pages of its role; every page checks the role again itself.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from warehouse.private_files import restrict_umask  # noqa: E402

# SEC (7.7): whatever the dashboard writes (the SQLite warehouse, exports) is
# readable by its owner only, also when started by `streamlit run` directly.
restrict_umask()

from dashboard.access import Viewer, current_viewer, pages_for  # noqa: E402
from dashboard.auth import APP_TITLE, login_form, session_watch, sidebar_identity  # noqa: E402
from dashboard.context import get_reference, start_media_expiry  # noqa: E402
from dashboard.errors import guarded, show_unexpected  # noqa: E402

log = logging.getLogger(__name__)

st.set_page_config(
    page_title=f"chu-bench — {APP_TITLE}",
    page_icon=":material/shield_lock:",
    layout="wide",
    initial_sidebar_state="expanded",
)


def _page_callable(
    render: Callable[[Viewer], None], viewer: Viewer, name: str
) -> Callable[[], None]:
    safe = guarded(render, f"page {name}")

    def run() -> None:
        safe(viewer)

    return run


def _navigation(viewer: Viewer) -> dict[str, list[st.Page]]:
    sections: dict[str, list[st.Page]] = {}
    first = True
    for spec in pages_for(viewer):
        try:
            module = importlib.import_module(f"dashboard.views.{spec.module}")
        except ModuleNotFoundError as exc:
            # Only a page module that does not exist (yet) is skipped; a page that fails to
            # import for another reason must fail loudly.
            if exc.name != f"dashboard.views.{spec.module}":
                raise
            log.warning("Page %s absente : ignorée.", spec.module)
            continue
        page = st.Page(
            _page_callable(module.render, viewer, spec.module),
            title=spec.title,
            icon=spec.icon,
            url_path=spec.url_path,
            default=first,
        )
        first = False
        sections.setdefault(spec.section, []).append(page)
    return sections


def main() -> None:
    start_media_expiry()
    viewer = current_viewer()
    if viewer is None:
        # Nothing but the login form before login: no menu, no page reachable by URL.
        login = st.Page(guarded(login_form, "connexion"), title="Connexion", default=True)
        st.navigation([login], position="hidden").run()
        return
    reference = get_reference()
    own = reference.establishments.get(viewer.chu) if viewer.chu else None
    sidebar_identity(viewer, own.nom if own else None)
    with st.sidebar:
        session_watch(viewer.username)
    st.navigation(_navigation(viewer)).run()


try:
    main()
except Exception as exc:  # noqa: BLE001 - outside a page (the warehouse unreachable at login…)
    show_unexpected(exc, "app")
