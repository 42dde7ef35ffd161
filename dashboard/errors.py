"""No traceback ever reaches the browser (issue 7.4).

An unexpected exception in a page is logged on the server (traceback, SQL, parameters:
whatever the exception carries) under a short random reference, and the viewer gets a
French sentence with that reference only: an SQLAlchemy error would otherwise show the
SQL, its parameters and server paths. ``.streamlit/config.toml`` also sets
``client.showErrorDetails = "none"`` for anything that escapes this guard.

Streamlit's own control flow (``st.stop()``, ``st.rerun()``, ``st.switch_page``) raises
``BaseException`` subclasses, which ``except Exception`` lets through on purpose.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable
from typing import ParamSpec

log = logging.getLogger("chu_bench.dashboard")


def _log_to_stderr() -> None:
    """The server log is the dashboard process's stderr (``make run``'s terminal, journald):
    Streamlit configures only its own loggers, and Python's last-resort handler would drop
    the timestamp. Nothing is added when the host application configured logging."""
    if log.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)


_log_to_stderr()

P = ParamSpec("P")

ERROR_MESSAGE = (
    "Une erreur inattendue est survenue ; l'incident a été consigné (réf. {ref}). "
    "Réessayez ou contactez l'administrateur en lui donnant cette référence."
)


def new_reference() -> str:
    """A short reference that links the viewer's message to the server log line."""
    return secrets.token_hex(4).upper()


def report_unexpected(exc: BaseException, where: str) -> str:
    """Logs ``exc`` with its traceback under a new reference and returns the reference."""
    ref = new_reference()
    log.error("Erreur inattendue (réf. %s) dans %s", ref, where, exc_info=exc)
    return ref


def show_unexpected(exc: BaseException, where: str) -> None:
    """Logs ``exc`` and shows the viewer the French message only."""
    import streamlit as st

    ref = report_unexpected(exc, where)
    st.error(ERROR_MESSAGE.format(ref=ref), icon=":material/error:")


def guarded(render: Callable[P, None], where: str) -> Callable[P, None]:
    """``render`` whose unexpected exceptions become the French message (see module doc)."""

    @functools.wraps(render)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            render(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the point: nothing escapes to the browser
            show_unexpected(exc, where)

    return run
