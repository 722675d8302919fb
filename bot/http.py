"""The one HTTP server: health and metrics here; Slack events and the status hub
register their routes on the same application (bot/slack, bot/hub)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from commands.clock import Clock
from storage import Store

from .metrics import render_metrics


def build_http_app(store: Store, clock: Clock) -> web.Application:
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        try:
            async with store.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            return web.json_response(
                {"status": "unhealthy", "database": type(error).__name__}, status=503
            )
        return web.json_response({"status": "ok"})

    async def metrics(_: web.Request) -> web.Response:
        body = await render_metrics(store, clock.now())
        return web.Response(text=body, content_type="text/plain", charset="utf-8")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
