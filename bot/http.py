"""The one HTTP server: health and metrics here; Slack events and the status hub
register their routes on the same application (bot/slack, bot/hub)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import text

from bot.replicas.leadership import Leadership
from commands.clock import Clock
from storage import Store

from .metrics import render_metrics


def build_http_app(
    store: Store, clock: Clock, leadership: Leadership | None = None
) -> web.Application:
    """``leadership``: which replica this is and whether it leads (/healthz, /metrics)."""
    app = web.Application()

    async def healthz(_: web.Request) -> web.Response:
        try:
            async with store.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            return web.json_response(
                {"status": "unhealthy", "database": type(error).__name__}, status=503
            )
        replica = {} if leadership is None else _replica(leadership)
        return web.json_response({"status": "ok", **replica})

    async def metrics(_: web.Request) -> web.Response:
        body = await render_metrics(store, clock.now())
        if leadership is not None:
            body += (
                "# HELP candor_leader 1 when this replica leads (runs the timers), else 0.\n"
                "# TYPE candor_leader gauge\n"
                f"candor_leader {int(leadership.is_leader)}\n"
            )
        return web.Response(text=body, content_type="text/plain", charset="utf-8")

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


def _replica(leadership: Leadership) -> dict[str, object]:
    return {"replica": leadership.name, "leader": leadership.is_leader}


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
