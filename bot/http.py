"""The one public HTTP server: a bare health check here; Slack events and the status
hub register their routes on the same application (bot/slack, bot/hub). Metrics and
detailed health are on the internal listener (bot/admin_http.py), never here."""

from __future__ import annotations

from aiohttp import web

from bot.admin_http import hide_server_version
from bot.health import database_answers
from storage import Store

from .connection_site import GuardedSite
from .connections import ConnectionGuard, ConnectionLimits

# Request line and each header: aiohttp's defaults, stated (a Slack request's are short).
MAX_LINE_SIZE = 8190
MAX_FIELD_SIZE = 8190
CONNECTION_GUARD = web.AppKey("connection_guard", ConnectionGuard)


def build_http_app(store: Store) -> web.Application:
    """``/healthz`` says only whether this bot is up (and reaches its database): nothing
    about the host, the replica or the incidents. No version in ``Server``."""
    app = hide_server_version(web.Application())

    async def healthz(_: web.Request) -> web.Response:
        if await database_answers(store):
            return web.json_response({"status": "ok"})
        return web.json_response({"status": "down"}, status=503)

    app.router.add_get("/healthz", healthz)
    return app


async def start_http(
    app: web.Application, host: str, port: int, limits: ConnectionLimits | None = None
) -> web.AppRunner:
    """Serve ``app`` behind the connection limits (bot/connections.py): caps per process
    and client, deadlines for the request head and body, bounded keep-alive."""
    limits = (limits or ConnectionLimits()).within_file_limit()
    guard = ConnectionGuard(limits)
    app.middlewares.insert(0, guard.middleware)  # outermost: before any body is read
    app[CONNECTION_GUARD] = guard
    runner = web.AppRunner(
        app,
        access_log=None,
        handler_cancellation=True,  # a client that hangs up stops its handler
        keepalive_timeout=limits.keepalive_timeout,
        max_line_size=MAX_LINE_SIZE,
        max_field_size=MAX_FIELD_SIZE,
        lingering_time=1.0,  # after an early answer, unread body is drained this long at most
    )
    await runner.setup()
    await GuardedSite(runner, host, port, guard).start()
    return runner
