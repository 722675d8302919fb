"""The team's work comes before public reads on the one event loop.

The status hub serves kept renderings from memory, so a reader costs little; but fifty
readers at full speed keep the loop's ready queue full, and a command that needs thirty
turns of the loop (database round trips, the reply to Slack) waits behind all of them
on every turn: its answer took ten times as long. So while a command, reaction or
Slack request is being handled, a hub request waits for it to finish, up to
``max_wait`` (a reader is never starved: past it the page is served anyway). The
readers lose a few milliseconds; the people on duty lose nothing.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_MAX_WAIT = 0.25  # seconds a public read may be held back for the team's work


class TeamFirst:
    def __init__(self, max_wait: float = DEFAULT_MAX_WAIT) -> None:
        self.max_wait = max_wait
        self._working = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def busy(self) -> bool:
        return self._working > 0

    @contextmanager
    def working(self) -> Iterator[None]:
        """Around the team's work: public reads wait while any is under way."""
        self._working += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._working -= 1
            if self._working == 0:
                self._idle.set()

    def team_work(self, work: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        """A listener run as the team's work. ``functools.wraps`` keeps the arguments
        bolt reads to inject (it unwraps)."""

        @functools.wraps(work)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.working():
                return await work(*args, **kwargs)

        return run

    async def public_turn(self) -> None:
        """Before a public read: returns at once when the team is idle, else when it is
        (or after ``max_wait``, whichever is first)."""
        if self._working:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self.max_wait)
