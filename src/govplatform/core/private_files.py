"""Files that only their owner may read: secrets, the SQLite database, messages and letters (issue 13 fault 8).

Python creates files 0666 and folders 0777 less the process's umask, which is
usually 022: readable by every account on the machine. What holds secrets or
personal data (var/secrets.json, the database with its -wal and -shm files,
the sandbox providers' messages, the letters for the printer) is created 0600
in folders created 0700, whatever the umask (OWASP ASVS 4.0 V14.1; CIS
benchmarks ask the same of databases). A file of ours found readable by others,
made by an earlier release, is made private when it is next opened.

Folders that already exist are left as they are: an operator who gives another
account access to one (the print contractor's SFTP login, say) chose to.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO, Any

OWNER_ONLY = 0o600
OWNER_ONLY_FOLDER = 0o700


def private_folder(path: Path) -> Path:
    """Create ``path`` and each missing folder above it, 0700 (``Path.mkdir`` gives the parents 0777 less umask)."""
    missing: list[Path] = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=OWNER_ONLY_FOLDER)
    return path


def open_private(path: Path, mode: str = "wb", **options: Any) -> IO[Any]:
    """``open(path, mode)`` for writing ("w", "wb", "a", "ab"), the file 0600 whether new or not."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    descriptor = os.open(path, flags, OWNER_ONLY)
    try:
        _tighten(descriptor)
        return os.fdopen(descriptor, mode, **options)
    except BaseException:
        os.close(descriptor)
        raise


def make_private(path: Path) -> None:
    """Make a file that exists 0600; nothing if it is missing or another account's."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, OWNER_ONLY)


def create_private(path: Path) -> None:
    """Create an empty file 0600 if it is missing (for one that another library then opens), or make it private."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
    make_private(path)


def _tighten(descriptor: int) -> None:
    # An existing file keeps its mode through O_CREAT; one that others could read is made private.
    with contextlib.suppress(PermissionError):
        if os.fstat(descriptor).st_mode & 0o077:
            os.fchmod(descriptor, OWNER_ONLY)
