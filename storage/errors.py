"""Telling a passing database fault from a bug, for callers that retry."""

from __future__ import annotations

from sqlalchemy import exc


def connection_lost(error: BaseException) -> bool:
    """A lost or refused connection (an expected, passing fault), not a bug."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OSError | exc.InterfaceError | exc.OperationalError)
