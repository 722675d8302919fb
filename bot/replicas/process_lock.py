"""SQLite serves one Candor process: a second ``candor run`` on the same file is refused.

The lock is an OS file lock (``flock``) on ``<database>.lock``, held for the life of
the process. The kernel drops it when the process ends however it ends (kill -9
included), so a crash never leaves a stale lock behind. The file keeps the pid of
the holder only to name it in the refusal.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url


class AlreadyRunning(Exception):
    """Another process holds the database; the message says what to do instead."""


def sqlite_file(database_url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL and in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):  # a URI; in-memory unless it names a file
        name = url.database.removeprefix("file:").split("?", 1)[0]
        return None if not name or ":memory:" in name else Path(name)
    return Path(url.database)


class ProcessLock:
    """An exclusive, non-blocking ``flock`` on ``<path>.lock``."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise AlreadyRunning(self._refusal(holder)) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def _refusal(self, holder: str) -> str:
        who = f" (pid {holder})" if holder else ""
        return (
            f"Another Candor process{who} is already running on the SQLite database "
            f"{self.database}. SQLite serves one process: stop the other one first, or run "
            "several replicas on PostgreSQL (DATABASE_URL=postgresql+asyncpg://…)."
        )


def _read_pid(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:
        return ""


def lock_sqlite(database_url: str) -> ProcessLock | None:
    """Take the process lock for a SQLite file (None when no lock is needed)."""
    database = sqlite_file(database_url)
    if database is None:
        return None
    lock = ProcessLock(database.resolve())
    lock.acquire()
    return lock
