"""The internal listener (ADMIN_HTTP_HOST:ADMIN_HTTP_PORT, default 127.0.0.1:9090):
``/metrics`` for Prometheus and ``/healthz`` with the details an operator needs.

What is here is not for the public: counts of unannounced incidents, the replica's
name (host name and pid by default), the state of the database. Bind it to a private
interface; the public port answers only whether the bot is up (bot/http.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web, web_response

from bot import health
from bot.metrics import CONTENT_TYPE, Metrics
from bot.replicas.leadership import Leadership
from bot.scheduler import SchedulerTimer
from commands import Clock
from storage import Store

SERVER = "candor"  # the Server header on both listeners: no product version to look up


async def _plain_server(_: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER


def hide_server_version(app: web.Application) -> web.Application:
    """Every response ``app`` prepares says ``Server: candor`` instead of aiohttp's
    "Python/3.x aiohttp/3.x" (a version an attacker can look up).

    The signal covers every routed response. aiohttp answers a request it cannot parse
    (a 400 before any route is matched) without signals, from its module default, so
    that default is set too: this process serves only Candor's listeners."""
    web_response.SERVER_SOFTWARE = SERVER  # type: ignore[attr-defined]
    app.on_response_prepare.append(_plain_server)
    return app


@dataclass
class AdminSources:
    store: Store
    clock: Clock
    metrics: Metrics
    leadership: Leadership
    timer: SchedulerTimer


def build_admin_app(sources: AdminSources) -> web.Application:
    app = hide_server_version(web.Application())

    async def metrics(_: web.Request) -> web.Response:
        body = await sources.metrics.render(sources.store, sources.clock.now(), sources.leadership)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def healthz(_: web.Request) -> web.Response:
        probe = await health.check(sources.store, sources.clock, sources.leadership, sources.timer)
        return web.json_response(probe.body(), status=probe.http_status)

    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app


async def start_admin(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
