"""Internal facts stay off the public port: /metrics and detailed health live on the
internal listener (ADMIN_HTTP_PORT), the public /healthz says only up or down, and no
response names the server's version. Through the assembled bot, over real HTTP."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from bot.app import Runtime, start
from bot.settings import Settings
from commands.ports import Actor, ChannelRef
from tests.adapters.slack_bot import SlackBot, slack_bot
from tests.fakes.clock import FakeClock
from tests.fakes.screen import Screen

ALICE = Actor("console", "alice", "alice")
GENERAL = ChannelRef("console", "local", "general")
HISTOGRAMS = ("candor_ack_seconds", "candor_reminder_lag_seconds", "candor_delivery_seconds")
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@asynccontextmanager
async def console_bot(database_url: str, clock: FakeClock) -> AsyncIterator[Runtime]:
    settings = Settings(_env_file=None, database_url=database_url, http_port=0, admin_http_port=0)
    runtime = await start(settings, console_write=Screen().write, clock=clock)
    try:
        yield runtime
    finally:
        await runtime.stop()


def public_url(runtime: Runtime) -> str:
    assert runtime.http is not None
    host, port = runtime.http.addresses[0][:2]
    return f"http://{host}:{port}"


def admin_url(runtime: Runtime) -> str:
    assert runtime.admin_port is not None
    return f"http://{runtime.settings.admin_http_host}:{runtime.admin_port}"


async def get(url: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, dict(response.headers), await response.text()


async def scrape(runtime: Runtime) -> tuple[Samples, set[str]]:
    """Every sample by (name, labels), and the families by name and type."""
    status, headers, body = await get(f"{admin_url(runtime)}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    families: set[str] = set()
    for family in text_string_to_metric_families(body):
        families.add(f"{family.name}:{family.type}")
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, families


async def raw_answer(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(5):
            return await reader.read(2048)
    finally:
        writer.close()


def count(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((f"{name}_count", tuple(sorted(labels.items()))), 0.0)


def value(samples: Samples, name: str) -> float:
    return samples[(name, ())]


async def until(check: Callable[[], Awaitable[bool]], what: str, limit: float = 10.0) -> None:
    """Poll the scrape: the work is done by the bot's own tasks, which expose nothing to
    wait on but the metrics themselves."""
    try:
        async with asyncio.timeout(limit):
            while not await check():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {limit} s: {what}") from None


async def test_the_public_port_has_no_metrics_and_a_bare_health_check(
    database_url: str, clock: FakeClock
) -> None:
    async with console_bot(database_url, clock) as runtime:
        await runtime.desk.handle_text("/incident open Checkout down sev1", ALICE, GENERAL)
        base = public_url(runtime)
        assert runtime.admin_port is not None and not base.endswith(f":{runtime.admin_port}")

        status, _, _ = await get(f"{base}/metrics")
        assert status == 404

        status, headers, body = await get(f"{base}/healthz")
        assert status == 200
        assert body.replace(" ", "") == '{"status":"ok"}'
        for secret in (socket.gethostname(), str(os.getpid()), runtime.settings.replica):
            assert secret not in body
        for path in ("/healthz", "/metrics", "/status", "/nowhere"):
            for url in (f"{base}{path}", f"{admin_url(runtime)}{path}"):
                _, headers, _ = await get(url)
                assert headers.get("Server") == "candor", (url, headers.get("Server"))
        for url in (base, admin_url(runtime)):  # aiohttp's own answer to a request it cannot parse
            answer = await raw_answer(url, b"GET / HTTP/1.1\r\nContent-Length: zz\r\n\r\n")
            assert b" 400 " in answer.split(b"\r\n")[0]
            assert b"server: candor" in answer.lower() and b"aiohttp" not in answer.lower()


async def test_the_admin_port_serves_prometheus_text_with_the_histograms(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch, admin_http_port=0) as bot:
        before, families = await scrape(bot.runtime)
        for name in HISTOGRAMS:
            assert f"{name}:histogram" in families
        assert count(before, "candor_ack_seconds", platform="slack") == 0

        channel = await bot.open_incident()  # a command: Slack's request is acked
        assert await bot.react("UALICE", channel, bot.draft_ts(channel, "S1")) == 200
        await bot.wait_posts("CPUB1", 1)  # S1 delivered: hub, then both Slack channels

        async def delivered() -> bool:
            samples, _ = await scrape(bot.runtime)
            return (
                count(samples, "candor_delivery_seconds", kind="slack") >= 2
                and count(samples, "candor_delivery_seconds", kind="hub") >= 1
            )

        await until(delivered, "both Slack deliveries timed")
        clock.advance(hours=2)  # the next public update is overdue: its reminders fire
        await bot.runtime.desk.settle()
        await until(lambda: _has_reminder(bot), "the overdue update's reminder timed")

        after, _ = await scrape(bot.runtime)
        assert count(after, "candor_ack_seconds", platform="slack") >= 2  # command, reaction
        assert count(after, "candor_reminder_lag_seconds", kind="update") >= 1
        assert after[("candor_reminder_lag_seconds_sum", (("kind", "update"),))] > 0
        sent = after[("candor_delivery_attempts_total", (("kind", "slack"), ("outcome", "sent")))]
        assert sent >= 2


async def _has_reminder(bot: SlackBot) -> bool:
    samples, _ = await scrape(bot.runtime)
    return count(samples, "candor_reminder_lag_seconds", kind="update") >= 1


async def test_open_incidents_counts_only_what_the_public_was_told(
    database_url: str, clock: FakeClock
) -> None:
    async with console_bot(database_url, clock) as runtime:
        runtime.timer._scheduler.pause()  # the test runs the outbox itself
        await runtime.desk.handle_text("/incident open Checkout down sev2", ALICE, GENERAL)
        samples, _ = await scrape(runtime)
        assert value(samples, "candor_internal_open_incidents") == 1
        assert value(samples, "candor_public_open_incidents") == 0  # not announced yet
        assert "candor_open_incidents" not in {name for name, _ in samples}

        assert runtime.console is not None
        channel = next(c for c in runtime.console.channels if c.startswith("inc-1"))
        reply = await runtime.desk.handle_text(
            "/incident approve S1", ALICE, ChannelRef("console", "local", channel)
        )
        assert not reply.is_error, reply.plain
        await runtime.desk.settle()

        async def announced() -> bool:
            samples, _ = await scrape(runtime)
            return value(samples, "candor_public_open_incidents") == 1

        await until(announced, "the published incident counted")


async def test_detailed_health_is_degraded_while_the_database_cannot_write(
    database_url: str, clock: FakeClock
) -> None:
    async with console_bot(database_url, clock) as runtime:
        status, _, body = await get(f"{admin_url(runtime)}/healthz")
        assert status == 200, body
        health = await _json(runtime)
        assert health["status"] == "ok"
        assert health["replica"] == runtime.settings.replica and health["role"] == "leader"
        assert health["database"]["reachable"] and health["database"]["writable"]
        assert health["timer"]["armed"] is True
        assert health["deliveries"]["pending"] == 0

        engine = runtime.store.engine
        sqlite = runtime.store.dialect == "sqlite"

        def refuse_writes(dbapi_connection: Any, _record: Any) -> None:
            if sqlite:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA query_only = ON")
                cursor.close()
            else:  # outside any transaction, or the rollback would undo it
                dbapi_connection.run_async(
                    lambda raw: raw.execute("SET default_transaction_read_only = on")
                )

        event.listen(engine.sync_engine, "connect", refuse_writes)
        await engine.dispose()  # every connection from now on is read-only
        try:
            status, _, body = await get(f"{admin_url(runtime)}/healthz")
            assert status == 503, body
            health = await _json(runtime)
            assert health["status"] == "degraded"
            assert health["database"]["reachable"] is True
            assert health["database"]["writable"] is False
            assert "database cannot write" in health["problems"]
            # The public check only says whether the bot is up: still nothing more.
            status, _, body = await get(f"{public_url(runtime)}/healthz")
            assert body.replace(" ", "") in ('{"status":"ok"}', '{"status":"down"}')
        finally:
            event.remove(engine.sync_engine, "connect", refuse_writes)
            await engine.dispose()

        status, _, body = await get(f"{admin_url(runtime)}/healthz")
        assert status == 200, body


async def _json(runtime: Runtime) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{admin_url(runtime)}/healthz") as response,
    ):
        return dict(await response.json())


async def test_an_admin_port_in_use_stops_the_start_with_one_clear_line(
    database_url: str, clock: FakeClock
) -> None:
    from bot.app import StartupError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(
            _env_file=None, database_url=database_url, http_port=0, admin_http_port=port
        )
        with pytest.raises(StartupError, match="ADMIN_HTTP_PORT"):
            await start(settings, console_write=Screen().write, clock=clock)
