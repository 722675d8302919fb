"""A scratch copy of a database, for rehearsals (``candor console --rehearse``): the clock
is moved forward there, and the real record never holds a time that has not come yet."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.database_url import SQLITE


def scratch_copy(url: str, directory: Path) -> tuple[str, bool]:
    """A SQLite URL for a copy of ``url``'s database made in ``directory``, and whether
    there was anything to copy. SQLite is copied with its backup API (consistent even
    while another connection writes); PostgreSQL is not copied: the rehearsal starts on
    an empty SQLite file, migrated at start like any other."""
    target = directory / "rehearsal.db"
    parsed = make_url(url)
    source = parsed.database if parsed.get_backend_name() == "sqlite" else None
    copied = bool(source) and source != ":memory:" and Path(str(source)).is_file()
    if copied:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as original,
            closing(sqlite3.connect(target)) as copy,
        ):
            original.backup(copy)
    return f"{SQLITE}:///{target}", copied


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite ``url``; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))
