"""Files Devotion writes are readable by its own user only.

``DEVOTION_HOME`` holds the database, the secret key, uploads and import reject reports: all
personal or secret. Settings call :func:`make_private` first thing, so every Devotion process
(web, worker, CLI) creates files 0600 and folders 0700 (umask 077) and an installation made
before this rule is tightened at start-up. Files written outside the home on request (a person
export) use :func:`write_private`, which also tightens a file that already existed.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700
# Folders under the home whose whole tree holds personal data (uploads, reject reports).
_PRIVATE_TREES = ("media",)


def make_private(home: Path) -> None:
    """Set the process umask to 077, create ``home`` (0700) and tighten what it holds.

    The home itself becomes 0700, which alone keeps other users out of everything inside it;
    its files (database, ``-wal``/``-shm``, secret key) become 0600 and its folders 0700, and
    everything under ``media/`` too. Paths owned by another user are left as they are.

    >>> import stat, tempfile
    >>> home = Path(tempfile.mkdtemp()) / "home"
    >>> make_private(home)
    >>> oct(stat.S_IMODE(home.stat().st_mode))
    '0o700'
    """
    os.umask(UMASK)
    home.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _tighten(home)
    for entry in _entries(home):
        _tighten(entry)
        if entry.name in _PRIVATE_TREES and entry.is_dir() and not entry.is_symlink():
            for folder, dirs, files in os.walk(entry):
                for name in dirs + files:
                    _tighten(Path(folder) / name)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by this user only, even if the file existed.

    >>> import stat, tempfile
    >>> target = Path(tempfile.mkdtemp()) / "export.json"
    >>> write_private(target, "{}")
    >>> oct(stat.S_IMODE(target.stat().st_mode)), target.read_text()
    ('0o600', '{}')
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)  # an existing file keeps its mode through open()
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _tighten(path: Path) -> None:
    if path.is_symlink():
        return  # chmod would follow it to a file that is not ours to change
    mode = DIR_MODE if path.is_dir() else FILE_MODE
    with contextlib.suppress(OSError):  # owned by someone else, or gone meanwhile
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
