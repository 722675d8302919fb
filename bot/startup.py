"""Start-up mistakes told in one line with the fix: settings that cannot work, a port
in use, a database or Slack that does not answer. ``candor`` prints the line and exits;
nothing else about them is worth a traceback."""

from __future__ import annotations

import errno
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from storage import Store
from storage.database_url import connection_problem


class StartupError(Exception):
    """Configuration or environment problem; shown to the operator as one line with the
    fix, without a traceback. ``candor`` exits with ``exit_code``: 2 for settings that
    cannot work, 1 for what is around them (a port in use, a database or Slack that
    does not answer)."""

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def listen_problem(setting: str, host: str, port: int, error: OSError) -> StartupError:
    """Why the server on ``{setting}_HOST:{setting}_PORT`` could not listen, and the fix."""
    if error.errno == errno.EADDRINUSE:
        text = (
            f"{setting}_PORT {port} is in use on {host}: stop the other process "
            f"or set {setting}_PORT"
        )
    elif error.errno == errno.EACCES:
        text = (
            f"{setting}_PORT {port} on {host} needs privileges Candor does not have: "
            f"set {setting}_PORT to 1024 or above"
        )
    elif error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
        text = (
            f"{setting}_HOST {host} is not an address of this machine: set {setting}_HOST "
            "(127.0.0.1, or 0.0.0.0 for every address)"
        )
    else:
        text = (
            f"Cannot listen on {host}:{port} ({error.strerror or error}): set {setting}_HOST "
            f"and {setting}_PORT to a free local address"
        )
    return StartupError(text, exit_code=1)


@asynccontextmanager
async def reaching_database(store: Store) -> AsyncIterator[None]:
    """A first connection that fails (no such database, nothing listening) becomes one
    line naming host:port and the fix; any other error keeps its traceback."""
    try:
        yield
    except StartupError:
        raise
    except Exception as error:
        problem = connection_problem(store.url, error)
        if problem is None:
            raise
        raise StartupError(problem, exit_code=1) from error
