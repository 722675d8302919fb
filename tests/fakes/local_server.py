"""An aiohttp application served on 127.0.0.1 at a free port: what each fake server is."""

from __future__ import annotations

from typing import Self

from aiohttp import web


class LocalServer:
    """Subclasses build their ``web.Application`` in ``app()`` and close what is theirs in
    ``closing()``; ``async with`` starts and stops the server."""

    port: int = 0
    _runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        raise NotImplementedError

    async def closing(self) -> None:
        """Before the server stops: release waiters, close websockets."""

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        await self.closing()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
