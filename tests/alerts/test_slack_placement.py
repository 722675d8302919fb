"""With Slack on (real slack_bolt against the fake Slack), an alert opens its incident in
the workspace of INCIDENTS_FEED: a Slack channel, the feed told, the draft seeded for
votes; the alert source is named, never mentioned or invited; a person takes command."""

from __future__ import annotations

from typing import Any

import pytest

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
