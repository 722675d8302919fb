"""Values the code knows are there: the id of a saved row, a row just read by its id."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class Missing(RuntimeError):
    """A value the code relies on is absent: a bug or a vanished row, never the user's doing."""


def require(value: T | None, what: str) -> T:
    """``value``, known not to be None here; ``what`` names it if it is (a bug)."""
    if value is None:
        raise Missing(f"internal error: {what} is missing")
    return value
