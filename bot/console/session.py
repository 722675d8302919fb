"""The bot under the console: on DATABASE_URL, or on a scratch copy for a rehearsal.

A rehearsal (``candor console --rehearse``, or the first ``:skip``) moves the clock
forward; done on the real database it would leave it holding times that have not come
yet ("open 08:41 → now 07:40" after a restart). So a rehearsal runs on a copy
(``storage.scratch_copy``: a SQLite file, whether the original is SQLite or PostgreSQL)
in a temporary directory, removed when the console ends, and the console's chat goes
along with it. Nothing of a rehearsal leaves the console: its statements are not for
the public, so Slack, Discord, webhooks and email are off for it (``rehearsal_settings``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.app import Runtime, start
from bot.console import state
from bot.console.platform import ConsoleChat
from bot.settings import Settings
from commands import Desk, ShiftedClock
from storage import scratch_copy


class ConsoleSession:
    def __init__(
        self,
        settings: Settings,
        write: Callable[[str], None],
        *,
        serve_http: bool,
        on_start: Callable[[Runtime], None] = lambda runtime: None,
    ) -> None:
        self.settings, self.write, self.serve_http = settings, write, serve_http
        self.on_start = on_start
        self.clock = ShiftedClock()
        self.files = state.files_for(settings.database_url)
        self.where = state.Whereabouts()
        self._runtime: Runtime | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    @property
    def runtime(self) -> Runtime:
        assert self._runtime is not None, "start() first"
        return self._runtime

    @property
    def desk(self) -> Desk:
        return self.runtime.desk

    @property
    def chat(self) -> ConsoleChat:
        chat = self.runtime.console
        assert chat is not None
        return chat

    @property
    def rehearsing(self) -> bool:
        return self._scratch is not None

    @property
    def state_path(self) -> Path:
        """A rehearsal's chat is saved with the rehearsal, never over the real one."""
        if self._scratch is not None:
            return Path(self._scratch.name) / "console.json"
        return self.files.state

    async def start(self, *, rehearse: bool) -> None:
        chat = ConsoleChat(self.write)
        self.where = state.load(self.files.state, chat)
        url = await self._scratch_url() if rehearse else self.settings.database_url
        await self._start_on(url, chat)

    async def rehearse(self) -> None:
        """Leave the real database as it is now and go on with a copy of it."""
        chat = self.chat
        self.save()
        await self.runtime.stop()  # nothing writes the original while it is copied
        self._runtime = None
        await self._start_on(await self._scratch_url(), chat)

    async def _scratch_url(self) -> str:
        self._scratch = tempfile.TemporaryDirectory(prefix="candor-rehearsal-")
        url, copied = await scratch_copy(self.settings.database_url, Path(self._scratch.name))
        where = "a copy of the database" if copied else "an empty scratch database"
        self.write(
            f"(rehearsal: on {where} in {self._scratch.name}, removed when you leave; "
            "the real database stays as it was)"
        )
        return url

    async def _start_on(self, url: str, chat: ConsoleChat) -> None:
        settings = self.settings.model_copy(update={"database_url": url})
        serve_http = self.serve_http
        if self.rehearsing:
            settings, dropped = rehearsal_settings(settings)
            if serve_http:  # the hub shows only what was really published
                serve_http = False
                dropped.append("the status hub")
            if dropped:
                self.write(
                    f"(rehearsal: {', '.join(dropped)} off; what is approved here is "
                    "shown in the console only)"
                )
        self._runtime = await start(
            settings,
            console_write=self.write,
            console_chat=chat,
            clock=self.clock,
            serve_http=serve_http,
        )
        self.on_start(self._runtime)

    def save(self) -> None:
        state.save(self.state_path, self.chat, self.where)

    async def stop(self) -> None:
        try:
            if self._runtime is not None:
                self.save()
                await self._runtime.stop()
        finally:
            if self._scratch is not None:
                self._scratch.cleanup()


# Settings that reach outside the process: a rehearsal runs without them.
_OUTSIDE = {
    "slack_bot_token": "Slack",
    "slack_app_token": "Slack",
    "slack_signing_secret": "Slack",
    "discord_bot_token": "Discord",
    "smtp_url": "email",
}


def rehearsal_settings(settings: Settings) -> tuple[Settings, list[str]]:
    """``settings`` with every way out of the process removed, and what was removed (by
    kind only: a destination's address may carry a token)."""
    kept = [d for d in settings.destinations if d.partition(":")[0].lower() == "console"]
    dropped = [d.partition(":")[0].lower() for d in settings.destinations if d not in kept]
    update: dict[str, object] = {"public_destinations": ",".join(kept), "incidents_feed": ""}
    for name, kind in _OUTSIDE.items():
        if getattr(settings, name) is not None:
            update[name] = None
            dropped.append(kind)
    return settings.model_copy(update=update), sorted(set(dropped))
