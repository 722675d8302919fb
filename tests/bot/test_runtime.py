"""The assembled bot: the real APScheduler wakes the desk, restarts re-arm from the
database, and the HTTP server answers health and metrics."""

from __future__ import annotations

import aiohttp

from bot.app import Runtime, start
from bot.settings import Settings
from commands.ports import Actor, ChannelRef
from tests.fakes.clock import FakeClock
from tests.fakes.screen import Screen


def _settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, http_port=0)


async def _open(runtime: Runtime) -> None:
    reply = await runtime.desk.handle_text(
        "/incident open Checkout down sev1",
        Actor("console", "alice", "alice"),
        ChannelRef("console", "local", "general"),
    )
    assert not reply.is_error, reply.plain


async def test_the_scheduler_fires_a_due_reminder_by_itself(
    database_url: str, clock: FakeClock
) -> None:
    screen = Screen()
    runtime = await start(
        _settings(database_url), console_write=screen.write, clock=clock, serve_http=False
    )
    try:
        await _open(runtime)
        clock.advance(minutes=6)  # sev1: first update due at +10, nudge at +5
        await runtime.desk.rearm()  # as after any command: the timer is set to what is due
        await screen.wait_for(r"next public update for INC-1 is due")
    finally:
        await runtime.stop()


async def test_a_restart_fires_overdue_reminders_once(database_url: str, clock: FakeClock) -> None:
    first = Screen()
    runtime = await start(
        _settings(database_url), console_write=first.write, clock=clock, serve_http=False
    )
    await _open(runtime)
    await runtime.stop()

    clock.advance(minutes=12)  # down through the nudge and the due time
    second = Screen()
    runtime = await start(
        _settings(database_url), console_write=second.write, clock=clock, serve_http=False
    )
    try:
        await second.wait_for(r"public update for INC-1 is due now")
        await runtime.desk.settle()  # a second firing finds nothing left to do
        assert second.count(r"INC-1 is due now") == 1
        assert second.count(r"is due at") == 0  # the stale nudge was skipped, not sent late
    finally:
        await runtime.stop()


async def test_health_and_metrics(database_url: str, clock: FakeClock) -> None:
    screen = Screen()
    runtime = await start(_settings(database_url), console_write=screen.write, clock=clock)
    try:
        await _open(runtime)
        assert runtime.http is not None
        host, port = runtime.http.addresses[0][:2]
        async with aiohttp.ClientSession(f"http://{host}:{port}") as http:
            async with http.get("/healthz") as response:
                assert response.status == 200
                assert await response.json() == {"status": "ok"}
            async with http.get("/metrics") as response:  # internal: not on the public port
                assert response.status == 404
        admin = f"http://{host}:{runtime.admin_port}"
        async with aiohttp.ClientSession(admin) as http, http.get("/metrics") as response:
            body = await response.text()
        assert "candor_internal_open_incidents 1.0" in body
        assert "candor_public_open_incidents 0.0" in body  # not announced yet
        assert "candor_internal_overdue_public_updates 0.0" in body
    finally:
        await runtime.stop()
