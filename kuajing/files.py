"""Files several processes create at once: generated development keys and secrets (开发密钥).

``kuajing serve`` with several API processes and ``kuajing worker`` start together on a fresh var dir, and each
one that finds no key generates one. Without coordination two of them would write different keys (a process
then signs with one key and presents another's certificate, or encrypts with a secret the others do not have),
and a fixed temporary name would be renamed away under a neighbour's ``chmod``. So:

* :func:`exclusive` — a lock file (``fcntl.flock``) held while a process checks for and creates the files;
  the second process waits, then finds the files and reads them;
* :func:`write_private` — write to a unique temporary file created mode 0600 in the same folder, flush it to
  disk, then rename it over the target, so a reader sees the old file or the whole new one, never part of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing) across processes on this machine."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``, readable by the owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
