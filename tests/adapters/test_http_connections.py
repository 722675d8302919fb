"""The public server under a connection flood (issue 12, "Connections"): the real bot
started as in production, idle and slow sockets from several loopback addresses
(127.0.0.x: each its own client), bounded in count and time, all to 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import aiohttp
import pytest

from tests.adapters.slack_bot import GENERAL, SlackBot, slack_bot
from tests.fakes.clock import FakeClock

WAIT = 5.0  # every wait below is bounded by this


def address(bot: SlackBot) -> tuple[str, int]:
    assert bot.runtime.http is not None
    host, port = bot.runtime.http.addresses[0][:2]
    return host, port


@asynccontextmanager
async def idle_sockets(
    bot: SlackBot, count: int, clients: list[str], send: bytes = b""
) -> AsyncIterator[list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]:
    """``count`` connections spread over ``clients``, each sending ``send`` (or nothing)."""
    host, port = address(bot)
    sockets = []
    try:
        for n in range(count):
            reader, writer = await asyncio.open_connection(
                host, port, local_addr=(clients[n % len(clients)], 0)
            )
            if send:
                writer.write(send)
                await writer.drain()
            sockets.append((reader, writer))
        yield sockets
    finally:
        for _, writer in sockets:
            writer.close()


@asynccontextmanager
async def client_from(bot: SlackBot, source: str) -> AsyncIterator[aiohttp.ClientSession]:
    host, port = address(bot)
    connector = aiohttp.TCPConnector(local_addr=(source, 0), force_close=True)
    async with aiohttp.ClientSession(f"http://{host}:{port}", connector=connector) as session:
        yield session


async def get(session: aiohttp.ClientSession, path: str) -> tuple[int, dict[str, str], float]:
    started = time.monotonic()
    async with asyncio.timeout(WAIT), session.get(path) as response:
        await response.read()
        return response.status, dict(response.headers), time.monotonic() - started


async def signed_command(bot: SlackBot, session: aiohttp.ClientSession) -> int:
    body = bot.fake.slash_command_body("help", "UALICE", GENERAL)
    async with (
        asyncio.timeout(WAIT),
        session.post("/slack/events", data=body, headers=bot.signer.headers(body)) as response,
    ):
        await response.read()
        return response.status


def refusal_lines(caplog: pytest.LogCaptureFixture, client: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "candor.http" and f"from {client}" in r.getMessage()
    ]


async def test_a_flood_of_idle_sockets_gets_fast_503s_while_health_and_slack_answer(
    database_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="candor.http")
    limits = {
        "http_max_connections": 20,
        "http_max_connections_per_client": 8,
        "http_header_timeout": 30,  # the idle sockets stay for the whole test
    }
    attackers = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    async with slack_bot(database_url, clock, monkeypatch, **limits) as bot:
        async with idle_sockets(bot, 20, attackers):
            async with client_from(bot, "127.0.0.5") as stranger:
                for _ in range(5):
                    status, headers, took = await get(stranger, "/status")
                    assert status == 503 and headers["Retry-After"] == "5"
                    assert took < 1.0, "a refusal must be fast"
            async with client_from(bot, "127.0.0.1") as monitor:
                assert (await get(monitor, "/healthz"))[0] == 200
                assert await signed_command(bot, monitor) == 200
                assert (await get(monitor, "/healthz"))[0] == 200
            # One attacker past its own share: its requests get 503 too, its health checks not.
            async with idle_sockets(bot, 12, ["127.0.0.2"]), client_from(bot, "127.0.0.2") as one:
                assert (await get(one, "/status"))[0] == 503
                assert (await get(one, "/healthz"))[0] == 200
        # Refusals are logged once per client per minute, not once per connection.
        assert len(refusal_lines(caplog, "127.0.0.5")) == 1
        assert len(refusal_lines(caplog, "127.0.0.2")) <= 1


async def test_when_every_slot_is_busy_new_sockets_get_an_immediate_503(
    database_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Slow bodies hold their slots (no idle socket to close): a new connection is
    answered 503 before it sends anything, and the slots come back at the body deadline."""
    caplog.set_level(logging.WARNING, logger="candor.http")
    limits = {"http_max_connections": 8, "http_body_timeout": 1.0, "http_header_timeout": 30}
    slow = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nfirst bytes"
    async with slack_bot(database_url, clock, monkeypatch, **limits) as bot:
        host, port = address(bot)
        async with idle_sockets(bot, 8, ["127.0.0.2", "127.0.0.3"], send=slow) as held:
            reader, writer = await asyncio.open_connection(host, port, local_addr=("127.0.0.6", 0))
            async with asyncio.timeout(WAIT):
                answer = await reader.read()  # the 503, then EOF: no request needed
            writer.close()
            assert answer.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 5" in answer
            # At the body deadline the slow requests get 408 and their slots are free.
            async with asyncio.timeout(WAIT):
                for held_reader, _ in held:
                    assert (await held_reader.read()).startswith(b"HTTP/1.1 408 ")
            async with client_from(bot, "127.0.0.1") as monitor:
                assert (await get(monitor, "/healthz"))[0] == 200
        assert len(refusal_lines(caplog, "127.0.0.6")) == 1


async def test_a_half_open_or_slow_loris_connection_is_closed_at_the_header_deadline(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch, http_header_timeout=0.5) as bot:
        host, port = address(bot)
        partial = b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        for send in (b"", partial):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(send)
            started = time.monotonic()
            async with asyncio.timeout(WAIT):
                assert await reader.read() == b"", "closed without an answer"
            assert time.monotonic() - started < 3.0
            writer.close()


async def test_a_body_that_does_not_arrive_gets_408_at_the_body_deadline(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch, http_body_timeout=0.5) as bot:
        host, port = address(bot)
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\nab")
        async with asyncio.timeout(WAIT):
            answer = await reader.read()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408 ")


async def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(
    database_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Behind a proxy the refusal names the client; from anyone else the header is ignored."""
    caplog.set_level(logging.WARNING, logger="candor.http")
    extra = {"trusted_proxies": "127.0.0.9", "http_max_body": 1024}
    async with slack_bot(database_url, clock, monkeypatch, **extra) as bot:
        body = "x" * 2048
        for source in ("127.0.0.9", "127.0.0.8"):
            async with AsyncExitStack() as stack:
                session = await stack.enter_async_context(client_from(bot, source))
                headers = {"X-Forwarded-For": "203.0.113.7, 127.0.0.9"}
                async with session.post("/status", data=body, headers=headers) as response:
                    assert response.status == 413
        messages = [r.getMessage() for r in caplog.records if r.name == "candor.http"]
        assert any("from 203.0.113.7:" in m for m in messages), messages
        assert any("from 127.0.0.8:" in m for m in messages), messages
        assert not any("from 127.0.0.9:" in m for m in messages), messages
