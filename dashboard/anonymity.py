"""Peer anonymisation for DSI viewers (DESIGN §8) — pure logic, no Streamlit.

A DSI sees its own CHU by name and its peers as « CHU A », « CHU B »… The letters are
stable within a year and differ from one year to the next (so a peer cannot be followed
across campaigns by its letter), and they cannot be guessed from the codes: peers are
ordered by an HMAC of ``(annee, code)`` under a server-side secret, never alphabetically
(an alphabetical order would give « CHU A » to AGA every year).

The secret comes from ``CHU_BENCH_ANONYMITY_SECRET`` when set (production: the same value on
every dashboard instance), else from a file created once (``CHU_BENCH_ANONYMITY_SECRET_FILE``,
default ``data/anonymity_secret``, git-ignored).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import string
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from expectations.reference import PROJECT_ROOT

log = logging.getLogger(__name__)

SECRET_ENV = "CHU_BENCH_ANONYMITY_SECRET"
SECRET_FILE_ENV = "CHU_BENCH_ANONYMITY_SECRET_FILE"
DEFAULT_SECRET_FILE = PROJECT_ROOT / "data" / "anonymity_secret"
PEER_PREFIX = "CHU "
# Label used where a peer must be named but no year applies (e.g. a table spanning years).
ALL_YEARS_KEY = "toutes"


def secret_file() -> Path:
    return Path(os.environ.get(SECRET_FILE_ENV, DEFAULT_SECRET_FILE))


@lru_cache(maxsize=8)
def _secret_from_file(path: Path) -> bytes:
    try:
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value.encode()
    except FileNotFoundError:
        pass
    value = secrets.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two dashboard processes starting together must not write two secrets.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
    except FileExistsError:
        return path.read_text(encoding="ascii").strip().encode()
    except OSError as exc:
        # Read-only deployment without the env variable: letters stay unguessable but only
        # stable for this process's lifetime. Say so in the logs so the operator sets the env.
        log.warning("Secret d'anonymisation non enregistrable (%s) : définir %s.", exc, SECRET_ENV)
    return value.encode()


def anonymity_secret() -> bytes:
    """The server-side key of the letter order (never sent to the browser)."""
    from_env = os.environ.get(SECRET_ENV, "").strip()
    if from_env:
        return from_env.encode()
    return _secret_from_file(secret_file())


def letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA… (an alliance larger than 27 CHUs stays labelled)."""
    letters = string.ascii_uppercase
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = letters[rest] + label
    return label


def _rank_key(secret: bytes, annee: int | None, code: str) -> str:
    year = ALL_YEARS_KEY if annee is None else str(int(annee))
    return hmac.new(secret, f"{year}|{code}".encode(), hashlib.sha256).hexdigest()


def peer_letters(
    own_chu: str | None,
    codes: Iterable[str],
    annee: int | None,
    secret: bytes | None = None,
) -> dict[str, str]:
    """Code → « CHU X » for every code except ``own_chu``.

    ``codes`` must be the whole alliance (the registry plus any extra code in the data), not
    only the CHUs of the table at hand: letters then do not shift when a page shows a subset.
    """
    key = anonymity_secret() if secret is None else secret
    peers = sorted({c for c in codes if c and c != own_chu})
    ordered = sorted(peers, key=lambda code: _rank_key(key, annee, code))
    return {code: f"{PEER_PREFIX}{letter(i)}" for i, code in enumerate(ordered)}


def scrub_text(text: str, replacements: Mapping[str, str]) -> str:
    """Replaces every name, city or code of ``replacements`` in free text (peer comments,
    spending labels) by its label. Codes are matched as whole upper-case words (so « MARS »
    stays), names and cities case-insensitively; longest first so that a full name wins
    over the city it contains."""
    if not text or not replacements:
        return text
    for needle in sorted(replacements, key=len, reverse=True):
        if not needle:
            continue
        if needle.isupper() and len(needle) <= 5:
            pattern = re.compile(rf"(?<![\w]){re.escape(needle)}(?![\w])")
        else:
            pattern = re.compile(rf"(?<![\w]){re.escape(needle)}(?![\w])", re.IGNORECASE)
        text = pattern.sub(replacements[needle], text)
    return text
