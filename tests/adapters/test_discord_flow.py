"""The whole loop on Discord: real discord.py against the fake Discord on 127.0.0.1."""

from __future__ import annotations

from typing import Any

from tests.adapters.discord_bot import (
    ALICE,
    BOB,
    COMMS_ROLE,
    FEED,
    GENERAL,
    GUILD,
    MALLORY,
    NEWS,
    STATUS,
    discord_bot,
)
from tests.fakes.clock import FakeClock
from tests.fakes.discord import FakeDiscord

EPHEMERAL = 1 << 6
CATEGORY = 900000000000000030


async def test_open_creates_channel_in_category_pins_summary_and_announces(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        ix = await bot.slash("open", {"title": "Payments failing", "severity": "sev2"})
        assert ix.responses[0]["type"] == 5  # deferred at once, answered by follow-up
        assert "INC-1" in bot.answer(ix)
        assert not int(ix.followups[-1].get("flags") or 0) & EPHEMERAL  # the channel sees it
        channel = bot.channel_named("inc-1-payments-failing")
        category = bot.fake.channel(channel["parent_id"])
        assert (category["type"], category["name"]) == (4, "Incidents")
        assert "SEV2" in (channel.get("topic") or "")
        await bot.wait_draft(channel["id"], "S1")
        summary = bot.fake.message(channel["id"], bot.fake.pins(channel["id"])[0])
        assert "INC-1" in summary["embeds"][0]["title"]
        announced = " ".join(str(e) for e in bot.embeds(FEED))
        assert "Payments failing" in announced and "inc-1-payments-failing" in announced


async def test_reaction_approval_publishes_once_per_channel_and_crossposts_announcements(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        draft = await bot.wait_draft(channel, "S1")
        await bot.fake.react(channel, draft, BOB, "✅")  # BOB holds the comms role
        rows = await bot.wait_deliveries(f"discord:{STATUS}", f"discord:{NEWS}", "hub")
        status, news = bot.fake.messages(STATUS), bot.fake.messages(NEWS)
        assert len(status) == 1 and len(news) == 1
        assert bot.fake.crossposts == [news[0]["id"]]  # published to following servers
        card = news[0]["embeds"][0]
        assert card["url"].endswith("/status/incidents/1")  # links to the hub
        assert "INC-1 · S1" in card["footer"]["text"]
        assert rows[f"discord:{NEWS}"].external_id == news[0]["id"]
        posts = [
            call.json
            for call in bot.fake.calls_to("POST /channels/{channel_id}/messages")
            if call.params["channel_id"] in (str(STATUS), str(NEWS))
        ]
        assert len(posts) == 2
        assert all(post["allowed_mentions"]["parse"] == [] for post in posts)


async def test_unauthorized_reaction_publishes_nothing_and_says_why(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        draft = await bot.wait_draft(channel, "S1")
        await bot.fake.react(channel, draft, MALLORY, "✅")
        await bot.fake.wait_for(lambda: bot.fake.dms(MALLORY))
        [told] = bot.fake.dms(MALLORY)[-1]["embeds"]
        assert "not an approver" in told["description"]
        assert f"discord:role:{COMMS_ROLE}" in told["description"]
        assert bot.fake.messages(STATUS) == [] and bot.fake.messages(NEWS) == []
        assert await bot.deliveries() == {}
        timeline = await bot.slash("timeline", user=ALICE, channel=int(channel))
        assert "ignored" in bot.answer(timeline).lower()


async def test_error_is_shown_only_to_the_asker_with_the_fix(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        ix = await bot.slash("state", {"state": "identified"}, channel=GENERAL)
        assert int(ix.followups[-1].get("flags") or 0) & EPHEMERAL
        assert "not an incident channel" in bot.answer(ix)
        assert "INC-4" in bot.answer(ix)  # the fix: name the incident
        assert bot.fake.messages(GENERAL) == []


async def test_a_vote_cast_while_the_gateway_is_down_arrives_once_after_resume(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        draft = await bot.wait_draft(channel, "S1")
        identified = bot.fake.identifies
        async with bot.fake.disconnected(resume=True):
            await bot.fake.react(channel, draft, BOB, "✅")
        await bot.wait_deliveries(f"discord:{STATUS}", f"discord:{NEWS}")
        assert (bot.fake.resumes, bot.fake.identifies) == (1, identified)  # resumed, not anew
        assert len(bot.fake.messages(STATUS)) == 1 and len(bot.fake.messages(NEWS)) == 1


async def test_in_a_private_category_the_bot_lets_the_opener_and_owners_in(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    view_channel = 1 << 10

    def private_category(fake: FakeDiscord) -> None:
        hidden = {"id": str(GUILD), "type": 0, "allow": 0, "deny": view_channel}
        fake.add_channel(GUILD, CATEGORY, "incidents", type=4, overwrites=[hidden])

    async with discord_bot(database_url, clock, monkeypatch, private_category) as bot:
        channel = await bot.open_incident()
        assert bot.fake.channel(channel)["parent_id"] == str(CATEGORY)  # found, not duplicated

        def allowed() -> set[str]:
            overwrites = bot.fake.channel(channel)["permission_overwrites"]
            return {o["id"] for o in overwrites if int(o["allow"]) & view_channel}

        assert {str(ALICE), bot.fake.bot_user_id} <= allowed()
        assert str(BOB) not in allowed()
        await bot.slash("assign", {"role": "comms", "person": str(BOB)}, channel=int(channel))
        await bot.fake.wait_for(lambda: str(BOB) in allowed())


async def test_someone_who_takes_no_dms_is_told_in_the_channel(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        draft = await bot.wait_draft(channel, "S1")
        bot.fake.close_dms(MALLORY)
        await bot.fake.react(channel, draft, MALLORY, "✅")

        def told() -> list[dict[str, Any]]:
            return [m for m in bot.fake.messages(channel) if m.get("content") == f"<@{MALLORY}>"]

        await bot.fake.wait_for(told)
        [message] = told()
        assert "not an approver" in message["embeds"][0]["description"]
        assert [u["id"] for u in message["mentions"]] == [str(MALLORY)]  # only them
        assert message["mention_everyone"] is False
