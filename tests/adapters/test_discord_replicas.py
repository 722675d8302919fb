"""Two replicas with Discord on one PostgreSQL: only the leader holds the gateway (Discord
would send each event to every connection); when it stops, the other connects and the
commands keep working."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.app import start
from tests.adapters.discord_bot import GENERAL, discord_bot, settings
from tests.conftest import PG_URL
from tests.fakes.clock import FakeClock

pytestmark = pytest.mark.skipif(not PG_URL, reason="replicas share a PostgreSQL database")


async def test_one_gateway_among_replicas_and_the_follower_takes_it_over(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch, replica_name="alpha") as bot:
        follower = await start(
            settings(bot.fake, database_url, replica_name="beta"),
            clock=clock,
            discord_options={"guild_ready_timeout": 0.05},
        )
        try:
            assert bot.fake.identifies == 1  # the follower logged in over REST only
            await bot.runtime.stop()  # the leader goes away
            await bot.fake.wait_for(lambda: bot.fake.identifies == 2)  # the follower took over
            assert follower.discord is not None
            async with asyncio.timeout(5):
                await follower.discord.client.wait_until_ready()
            ix = await bot.slash("list", channel=GENERAL)
            assert "No open incidents" in bot.answer(ix)  # answered by the new gateway holder
        finally:
            await follower.stop()
