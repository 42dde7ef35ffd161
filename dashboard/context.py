"""Shared resources of the dashboard: one engine per database URL and the reference data,
cached for the life of the Streamlit server (``st.cache_resource``), not per session; and
the expiry of downloaded files (``start_media_expiry``)."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from expectations.reference import ReferenceData


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    from warehouse.engine import make_engine

    return make_engine(url)


def get_engine() -> Engine:
    """The warehouse engine (``CHU_BENCH_DATABASE_URL`` or the default SQLite file). The URL
    is resolved on every run so that the cache key follows the environment (tests)."""
    from warehouse.engine import resolve_database_url

    return _engine_for(resolve_database_url())


def get_reference() -> ReferenceData:
    """The reference data (``load_reference`` already caches it per directory)."""
    from expectations.reference import load_reference

    return load_reference()


log = logging.getLogger(__name__)

# A generated download stays at its /media URL between one and two periods (Streamlit marks
# an unreferenced file at one sweep and deletes it at the next).
MEDIA_EXPIRY_SECONDS = 30


def expire_orphaned_media() -> None:
    """One sweep of Streamlit's media files: a file no session references any more (a
    download already generated, the files of a closed session) is marked, and one marked at
    the previous sweep is deleted. Streamlit sweeps only when a script run ends anywhere,
    so on a quiet server a download URL would otherwise keep working indefinitely."""
    from streamlit import runtime

    if runtime.exists():
        runtime.get_instance().media_file_mgr.remove_orphaned_files()


@st.cache_resource(show_spinner=False)
def start_media_expiry(period: float = MEDIA_EXPIRY_SECONDS) -> threading.Thread:
    """Sweeps every ``period`` seconds, in one daemon thread per server process (SEC, 7.6).
    The download URLs Streamlit serves under /media are not bound to a session or cookie:
    the downloads are generated only on a click (``dashboard/downloads.py``) and this
    bounds how long the URL of a generated file stays valid (at most two periods)."""

    def sweep_forever() -> None:
        while True:
            time.sleep(period)
            try:
                expire_orphaned_media()
            except Exception:  # noqa: BLE001 - the sweeper must outlive one failure
                log.exception("Nettoyage des fichiers téléchargeables en échec.")

    thread = threading.Thread(target=sweep_forever, name="chu-bench-media-expiry", daemon=True)
    thread.start()
    return thread
