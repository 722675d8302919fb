"""The team's work comes before public reads on the one event loop.

The status hub serves kept renderings from memory, so a reader costs little; but fifty
readers at full speed keep the loop's ready queue full, and a command that needs thirty
turns of the loop (database round trips, the reply to Slack) waits behind all of them
on every turn: its answer took ten times as long. So while a command, reaction or
Slack request is being handled, a hub request waits for it to finish, up to
``max_wait`` (a reader is never starved: past it the page is served anyway).

When the team's work is done the readers held back are let go a few at a time (each
one served lets the next go on the loop's next turn), in the order they came: fifty
answered in one turn would hold up the next command's ack for that whole turn.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_MAX_WAIT = 0.25  # seconds a public read may be held back for the team's work
LET_GO_AT_ONCE = 8  # held readers let go together when the team's work ends


class TeamFirst:
    def __init__(self, max_wait: float = DEFAULT_MAX_WAIT, at_once: int = LET_GO_AT_ONCE) -> None:
        self.max_wait = max_wait
        self.at_once = at_once
        self._working = 0
        self._held: deque[asyncio.Future[None]] = deque()

    @property
    def busy(self) -> bool:
        return self._working > 0

    @contextmanager
    def working(self) -> Iterator[None]:
        """Around the team's work: public reads wait while any is under way."""
        self._working += 1
        try:
            yield
        finally:
            self._working -= 1
            if self._working == 0:
                for _ in range(self.at_once):
                    self._let_one_go()

    def team_work(self, work: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        """A listener run as the team's work. ``functools.wraps`` keeps the arguments
        bolt reads to inject (it unwraps)."""

        @functools.wraps(work)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.working():
                return await work(*args, **kwargs)

        return run

    async def public_turn(self) -> None:
        """Before a public read: at once when the team is idle and nobody is held, else
        in turn once the team is idle (or after ``max_wait``, whichever is first)."""
        if not self._working and not self._held:
            return
        turn = asyncio.get_running_loop().create_future()
        self._held.append(turn)
        try:
            await asyncio.wait_for(turn, self.max_wait)
        except TimeoutError:
            pass
        finally:
            asyncio.get_running_loop().call_soon(self._let_one_go)  # the next, a turn later

    def _let_one_go(self) -> None:
        if self._working:
            return  # the team is at work again; let go when it is done
        while self._held:
            turn = self._held.popleft()
            if not turn.done():  # not given up on (max_wait) or cancelled
                turn.set_result(None)
                return
