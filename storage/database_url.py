"""DATABASE_URL, checked before anything connects, and a failed first connection told
in one line. A form Candor cannot use gets the exact URL it can (password masked); a
database that is missing or not answering is named with its host and port.

``postgres://`` and ``postgresql://`` are refused with the corrected URL rather than
rewritten quietly: the URLs hosting providers hand out often carry libpq options
(``sslmode=require``) that asyncpg spells differently (``ssl=require``), so a silent
rewrite would trade this clear line for a stranger error one step later.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SQLITE = "sqlite+aiosqlite"
POSTGRESQL = "postgresql+asyncpg"
EXAMPLES = (
    f"{SQLITE}:///./candor.db (SQLite) or "
    f"{POSTGRESQL}://user:password@host:5432/candor (PostgreSQL)"
)
# libpq's option → asyncpg's, for the corrected URL
_LIBPQ_OPTIONS = {"sslmode": "ssl"}
# PostgreSQL SQLSTATEs met at connect time
_NO_SUCH_DATABASE = "3D000"
_AUTHENTICATION = {"28P01", "28000"}
_FILE_ERRORS = {errno.ENOENT, errno.EACCES, errno.EROFS, errno.ENOTDIR}


class DatabaseUrlError(ValueError):
    """A DATABASE_URL Candor cannot use; the message gives the one it can."""


def check_database_url(url: str) -> str:
    """``url`` if Candor can connect with it, else ``DatabaseUrlError`` with the fix."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        raise DatabaseUrlError(
            f"DATABASE_URL is not a database URL: set it to {EXAMPLES}"
        ) from error
    scheme = parsed.drivername.lower()
    backend = scheme.partition("+")[0]
    if backend == "sqlite":
        wanted = SQLITE
    elif backend in ("postgresql", "postgres"):
        wanted = POSTGRESQL
    else:
        raise DatabaseUrlError(
            f"DATABASE_URL names {backend}, which Candor does not run on: set it to {EXAMPLES}"
        )
    if scheme != wanted:
        raise DatabaseUrlError(
            f"DATABASE_URL starts with {parsed.drivername}:// but Candor needs the async "
            f"driver: set DATABASE_URL={_shown(_corrected(parsed, wanted))}"
        )
    return url


def _corrected(parsed: URL, drivername: str) -> URL:
    query = {_LIBPQ_OPTIONS.get(name, name): value for name, value in parsed.query.items()}
    return parsed.set(drivername=drivername, query=query)


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)  # the password as ***


def connection_problem(url: str, error: BaseException) -> str | None:
    """One line naming what failed at the first connection and the fix, or None when
    ``error`` is not a connection failure (a bug deserves its traceback)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_problem(parsed, error)
    host, port = parsed.host or "localhost", parsed.port or 5432
    where = f"{host}:{port}"
    for cause in _causes(error):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if state == _NO_SUCH_DATABASE:
            name = parsed.database or ""
            return (
                f"PostgreSQL at {where} has no database {name!r}: create it "
                f"(createdb -h {host} -p {port} {name}) or fix the name in DATABASE_URL"
            )
        if state in _AUTHENTICATION:
            return (
                f"PostgreSQL at {where} refused user {parsed.username or ''!r} (wrong password "
                "or no such role): fix the user and password in DATABASE_URL"
            )
        if isinstance(cause, socket.gaierror):
            return f"The database host {host!r} cannot be found: fix the host in DATABASE_URL"
        if isinstance(cause, ConnectionRefusedError):
            return (
                f"Nothing accepts connections at {where} (connection refused): start "
                "PostgreSQL there or fix the host and port in DATABASE_URL"
            )
        if isinstance(cause, TimeoutError):
            return (
                f"PostgreSQL at {where} did not answer in time: check the network, "
                "or the host and port in DATABASE_URL"
            )
        if isinstance(cause, OSError):
            return (
                f"Cannot connect to PostgreSQL at {where} ({cause.strerror or cause}): start "
                "PostgreSQL there or fix the host and port in DATABASE_URL"
            )
    return None


def _sqlite_problem(parsed: URL, error: BaseException) -> str | None:
    fix = "create its directory, or point DATABASE_URL at a file Candor may write"
    for cause in _causes(error):
        if "unable to open database file" in str(cause):
            return f"SQLite cannot open {parsed.database!r}: {fix}"
        if isinstance(cause, OSError) and cause.errno in _FILE_ERRORS:
            return f"SQLite cannot use {parsed.database!r} ({cause.strerror}): {fix}"
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, the driver's error SQLAlchemy wraps, and what each was raised from."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        cause = pending.pop(0)
        if cause is None or id(cause) in seen:
            continue
        seen.add(id(cause))
        yield cause
        orig = getattr(cause, "orig", None)
        pending += [orig if isinstance(orig, BaseException) else None]
        pending += [cause.__cause__, cause.__context__]
