"""Files at rest readable by their owner only (issue 7.7).

The warehouse holds raw files and password hashes, reports hold every CHU's figures, the
Dagster home holds run logs, the demo accounts file holds
passwords: none of them may be readable by another account of the machine. Two layers:

- ``restrict_umask()`` at every entry point (``chu-bench``, ``make run``, the dashboard):
  whatever the process and its children create is 0600 / 0700;
- ``write_private_text`` / ``ensure_private_file`` / ``make_private`` where a known file is
  created, so that the mode holds even when a caller forgot the umask (a library use, a
  test) and an existing file from an older version is tightened.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def restrict_umask() -> int:
    """Owner-only umask for this process and its children; returns the previous one."""
    return os.umask(PRIVATE_UMASK)


def make_private(path: Path) -> None:
    """0600 for a file, 0700 for a folder. A file owned by another account (a shared
    read-only copy) cannot be changed: logged, not fatal."""
    mode = DIRECTORY_MODE if path.is_dir() else FILE_MODE
    try:
        path.chmod(mode)
    except PermissionError:
        log.warning("Droits de %s non restreints (propriétaire différent).", path)


def ensure_private_file(path: Path) -> None:
    """Creates ``path`` empty with mode 0600 when missing (before a library such as SQLite
    creates it with the umask's mode), and tightens it when it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    make_private(path)


def write_private_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Writes ``text`` to ``path``; the file is 0600 from its creation on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding=encoding) as handle:
        handle.write(text)
    make_private(path)
