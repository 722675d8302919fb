"""Discord as a public destination: no pings, refusals become readable failures, a retry
after a crash never posts twice."""

from __future__ import annotations

from typing import Any

from tests.adapters.discord_bot import BOB, NEWS, STATUS, DiscordBot, discord_bot
from tests.fakes.clock import FakeClock

POST = "POST /channels/{channel_id}/messages"


async def approve_free_text(bot: DiscordBot, body: str) -> str:
    """Open an incident, draft ``body`` as S2 and have BOB approve it; the channel id."""
    channel = await bot.open_incident()
    await bot.slash("draft", {"text": body}, channel=int(channel))
    draft = await bot.wait_draft(channel, "S2")
    await bot.fake.react(channel, draft, BOB, "✅")
    return channel


async def test_mentions_in_a_statement_ping_nobody(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    body = (
        "@everyone @here <@&900000000000000020> <@900000000000000104> Payments are failing "
        "for some card customers; retry later. Next update at 15:00 UTC."
    )
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        await approve_free_text(bot, body)
        await bot.wait_deliveries(f"discord:{STATUS}", f"discord:{NEWS}")
        for channel in (STATUS, NEWS):
            [message] = bot.fake.messages(channel)
            assert message["mention_everyone"] is False
            assert message["mentions"] == [] and message["mention_roles"] == []
            assert "Payments are failing" in message["embeds"][0]["description"]


async def test_missing_permission_fails_the_delivery_with_a_reason_in_the_incident_channel(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        bot.fake.fail(POST, status=403, code=50013, message="Missing Permissions",
                      channel_id=str(STATUS))  # fmt: skip
        channel = await approve_free_text(bot, "Card payments fail. Next update in 30 minutes.")
        rows = await bot.wait_deliveries(f"discord:{STATUS}", state="failed")
        assert "lacks a permission" in (rows[f"discord:{STATUS}"].last_error or "")
        await bot.wait_deliveries(f"discord:{NEWS}")  # the other channel still got it

        def reported() -> bool:
            return any("lacks a permission" in str(e) for e in bot.embeds(channel))

        await bot.fake.wait_for(reported)


async def test_unknown_channel_fails_readably(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    ghost = 900000000000000999
    destinations = f"discord:{ghost},discord:{STATUS}"
    async with discord_bot(
        database_url, clock, monkeypatch, public_destinations=destinations
    ) as bot:
        await approve_free_text(bot, "Card payments fail. Next update in 30 minutes.")
        rows = await bot.wait_deliveries(f"discord:{ghost}", state="failed")
        assert "does not exist" in (rows[f"discord:{ghost}"].last_error or "")
        assert len(bot.fake.messages(STATUS)) == 1


async def test_a_long_rate_limit_is_retried_later_and_delivered_once(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        bot.fake.rate_limit(POST, retry_after=120, channel_id=str(STATUS))
        await approve_free_text(bot, "Card payments fail. Next update in 30 minutes.")
        rows = await bot.wait_deliveries(f"discord:{STATUS}", state="pending", attempts=1)
        assert "rate-limited" in (rows[f"discord:{STATUS}"].last_error or "")
        assert bot.fake.messages(STATUS) == []
        clock.advance(minutes=3)
        await bot.runtime.desk.settle()
        await bot.wait_deliveries(f"discord:{STATUS}")
        assert len(bot.fake.messages(STATUS)) == 1


async def test_a_retry_after_discord_took_the_post_does_not_post_twice(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        # Discord stores the message, then its edge answers 503 (discord.py does not retry a
        # 503 itself): the outbox sees a failure although the post is there.
        bot.fake.fail(POST, status=503, code=0, message="", channel_id=str(NEWS), processed=True)
        await approve_free_text(bot, "Card payments fail. Next update in 30 minutes.")
        rows = await bot.wait_deliveries(f"discord:{NEWS}", state="pending", attempts=1)
        assert rows[f"discord:{NEWS}"].attempts == 1
        clock.advance(minutes=5)
        await bot.runtime.desk.settle()
        rows = await bot.wait_deliveries(f"discord:{NEWS}")
        [message] = bot.fake.messages(NEWS)
        assert rows[f"discord:{NEWS}"].external_id == message["id"]
        assert bot.fake.crossposts.count(message["id"]) == 1
        # Found in the channel's history: the retry did not even try to post again.
        posts = [c for c in bot.fake.calls_to(POST) if c.params["channel_id"] == str(NEWS)]
        assert len(posts) == 1
