"""With Slack on (real slack_bolt against the fake Slack), or Discord (discord.py against
the fake gateway), an alert opens its incident in the workspace of INCIDENTS_FEED: a
channel there, the feed told, the draft seeded for votes; the alert source is named,
never mentioned or invited; a person takes command."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.adapters.discord_bot import FEED as DISCORD_FEED
from tests.adapters.discord_bot import GUILD as DISCORD_GUILD
from tests.adapters.discord_bot import discord_bot
from tests.adapters.slack_bot import FEED, slack_bot
from tests.alerts.conftest import TOKEN, fixture
from tests.fakes.clock import FakeClock
from tests.fakes.slack_payloads import TEAM_ID


async def test_an_alert_opens_its_incident_in_the_feed_s_slack_workspace(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with slack_bot(database_url, clock, monkeypatch, alerts_token=TOKEN) as bot:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        body: dict[str, Any] = fixture("generic_firing")
        async with bot.http.post("/alerts/generic", json=body, headers=headers) as response:
            assert response.status == 200
            assert (await response.json())["received"][0]["outcome"] == "opened"
        channel = bot.incident_channel("inc-1-status-page-probe-failing-from-eu-west")
        await bot.wait_draft(channel, "S1")
        async with bot.runtime.store.reading() as uow:
            incident = await uow.incidents.by_number("slack", TEAM_ID, 1)
        assert incident is not None and incident.channel_id == channel
        (announcement,) = await bot.wait_posts(FEED, 1)
        assert "opened by Alerts" in announcement["text"]
        assert "<@" not in announcement["text"]  # nobody to ping: the source is named
        invited = [call.get("users", "") for call in bot.fake.calls_to("conversations.invite")]
        assert not any("system:" in str(users) for users in invited)

        assert await bot.command("assign commander <@UBOB>", user="UCAROL", channel=channel) == 200
        await bot.settle()
        async with bot.runtime.store.reading() as uow:
            holders = await uow.roles.holders([incident.id or 0], "commander")
        assert list(holders.values()) == ["UBOB"]


async def test_an_alert_opens_its_incident_in_the_feed_s_discord_server(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with discord_bot(database_url, clock, monkeypatch, alerts_token=TOKEN) as bot:
        assert bot.runtime.http is not None
        host, port = bot.runtime.http.addresses[0][:2]
        async with aiohttp.ClientSession(f"http://{host}:{port}") as http:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            hook = fixture("alertmanager_firing")
            async with http.post("/alerts/alertmanager", json=hook, headers=headers) as response:
                assert (await response.json())["received"][0]["outcome"] == "opened"
        channel = bot.channel_named("inc-1-")
        await bot.wait_draft(channel["id"], "S1")
        async with bot.runtime.store.reading() as uow:
            incident = await uow.incidents.by_number("discord", str(DISCORD_GUILD), 1)
        assert incident is not None and incident.channel_id == str(channel["id"])
        await bot.fake.wait_for(lambda: bot.fake.messages(DISCORD_FEED))
        (announcement,) = bot.fake.messages(DISCORD_FEED)
        assert "opened by Alertmanager" in str(announcement)
