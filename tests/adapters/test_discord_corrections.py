"""A correction on Discord: the original message is edited with a visible "Corrected"
note (its words kept), the correction is posted once, in each channel the original went."""

from __future__ import annotations

from typing import Any

from tests.adapters.discord_bot import BOB, NEWS, STATUS, discord_bot
from tests.fakes.clock import FakeClock


async def test_correction_edits_the_original_and_posts_once_per_channel(
    database_url: str, clock: FakeClock, monkeypatch: Any
) -> None:
    async with discord_bot(database_url, clock, monkeypatch) as bot:
        channel = await bot.open_incident()
        await bot.fake.react(channel, await bot.wait_draft(channel, "S1"), BOB, "✅")
        await bot.wait_deliveries(f"discord:{STATUS}", f"discord:{NEWS}")
        [original] = bot.fake.messages(NEWS)
        words = original["embeds"][0]["description"]

        clock.advance(minutes=20)
        fix = "Only card payments in the EU were affected. Next update in 30 minutes."
        await bot.slash("correct", {"statement": "S1", "text": fix}, channel=int(channel))
        await bot.fake.react(channel, await bot.wait_draft(channel, "S2"), BOB, "✅")

        def corrected() -> bool:  # in both channels: edited, and the correction posted
            return all(
                len(bot.fake.messages(where)) == 2
                and "Corrected" in (bot.fake.messages(where)[0]["embeds"][0].get("title") or "")
                for where in (STATUS, NEWS)
            )

        await bot.fake.wait_for(corrected)
        for where in (STATUS, NEWS):
            messages = bot.fake.messages(where)
            assert len(messages) == 2  # the original (edited) and the correction, once
            edited, correction = messages
            assert edited["edited_timestamp"] is not None
            assert "Corrected" in edited["embeds"][0]["title"]
            assert words.split("\n")[0] in edited["embeds"][0]["description"]  # words kept
            assert "EU were affected" in correction["embeds"][0]["description"]
        assert bot.fake.crossposts == [original["id"], bot.fake.messages(NEWS)[1]["id"]]
