"""Slack end to end over real HTTP: signed /incident open → channel, invite, pinned
summary, feed; reactions → approval → one post per public channel."""

from __future__ import annotations

from typing import Any

import pytest

from tests.adapters.slack_bot import FEED, PUB1, PUB2, slack_bot
from tests.fakes.clock import FakeClock


async def test_open_approve_publish(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch) as bot:
        assert await bot.command("open Payments failing sev1") == 200
        response = await bot.fake.wait_for_response()
        assert "Opened INC-1" in response.body["text"]

        channel = bot.incident_channel("inc-1-payments-failing")
        assert "UALICE" in bot.fake.members(channel)
        assert bot.fake.pins(channel), "the summary is pinned"
        feed = await bot.wait_posts(FEED, 1)
        assert "INC-1 · Payments failing" in feed[0]["text"]
        await bot.fake.wait_for(lambda: len(bot.fake.calls_to("reactions.add")) >= 2)
        ack_ts = bot.draft_ts(channel, "S1")
        seeded: dict[str, Any] = bot.fake.reactions(channel, ack_ts)
        assert set(seeded) == {"white_check_mark", "x"}

        assert await bot.react("UALICE", channel, ack_ts) == 200
        for public in (PUB1, PUB2):
            [post] = await bot.wait_posts(public, 1)
            assert "We are aware of an issue affecting Payments failing" in post["text"]
            assert post["metadata"]["event_type"] == "candor_delivery"
            assert post["unfurl_links"] is False
        await bot.fake.wait_for(
            lambda: any("S1 is public" in m["text"] for m in bot.fake.messages(channel))
        )
        assert len(bot.fake.messages(PUB1)) == len(bot.fake.messages(PUB2)) == 1
