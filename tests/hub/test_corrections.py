"""A correction on the status hub: both statements stay, each linking to the other; the
original keeps its first wording under a "Corrected" mark, with both times. The JSON
(valid against the schema) and the Atom feed say the same."""

from __future__ import annotations

import json
from typing import Any

import feedparser

from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import HubBot, Outline, hub_bot
from tests.hub.test_api import valid

ACK = "We are aware of an issue affecting Checkout down and are investigating"
FIX = "Only card checkouts failed; PayPal checkouts worked throughout. Next update by 13:00 UTC."


async def _corrected(bot: HubBot) -> None:
    """S1 (12:00) corrected by S2 (12:05), approved by Bruno."""
    await bot.open("alice", "Checkout down")
    await bot.publish("S1")
    await bot.say("alice", "/incident assign comms @u200")
    bot.clock.advance(minutes=5)
    await bot.say("alice", f"/incident correct S1 {FIX}")


async def _json(bot: HubBot, path: str) -> Any:
    page = await bot.get(path)
    assert page.status == 200
    return valid(json.loads(page.body))


async def test_the_page_shows_the_original_marked_corrected_and_the_correction(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _corrected(bot)
        waiting = await bot.get("/status/incidents/1")
        assert FIX not in waiting.text and "Corrected" not in waiting.text  # still a draft

        await bot.publish("S2", approver="bruno")
        page = await bot.get("/status/incidents/1")

    html = page.text
    assert html.index('id="s2"') < html.index('id="s1"')  # newest first
    correction, original = html.split('id="s1"')
    assert FIX in correction and ACK in original  # the first wording is still there
    assert "Corrected</span>" in original
    assert '<time datetime="2026-11-21T12:05:00Z">21 Nov 2026, 12:05 UTC</time>' in original
    assert "This is the wording as first published." in original
    assert "This corrects" in correction and "our update of" in correction
    outline = Outline(html)
    assert outline.all("a", href="#s2") and outline.all("a", href="#s1")


async def test_the_json_validates_and_links_both_ways(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _corrected(bot)
        await bot.publish("S2", approver="bruno")
        one = await _json(bot, "/status/api/incidents/1.json")
        listing = await _json(bot, "/status/api/incidents.json")

    assert listing["incidents"] == [one["incident"]]
    correction, original = one["incident"]["statements"]
    url = f"{bot.base_url}/status/incidents/1"
    assert correction["ref"] == "S2" and correction["kind"] == "correction"
    assert correction["label"] == "Correction" and correction["body"] == FIX
    assert correction["published_at"] == "2026-11-21T12:05:00Z"
    assert correction["corrects"] == {
        "ref": "S1",
        "published_at": "2026-11-21T12:00:00Z",
        "url": f"{url}#s1",
    }
    assert correction["corrected_by"] is None
    assert original["ref"] == "S1" and original["body"].startswith(ACK)
    assert original["published_at"] == "2026-11-21T12:00:00Z"
    assert original["corrects"] is None
    assert original["corrected_by"] == {
        "ref": "S2",
        "published_at": "2026-11-21T12:05:00Z",
        "url": f"{url}#s2",
    }


async def test_the_feed_updates_the_original_and_the_correction_points_to_it(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _corrected(bot)
        await bot.publish("S2", approver="bruno")
        feed = feedparser.parse((await bot.get("/status/feed.atom")).body)

    assert not feed.bozo, feed.get("bozo_exception")
    correction, original = feed.entries
    url = f"{bot.base_url}/status/incidents/1"
    assert correction.title == "INC-1 · Correction: Checkout down"
    assert correction.content[0].value.startswith("[This corrects our update of 21 Nov 2026")
    assert FIX in correction.content[0].value
    assert f"21 Nov 2026, 12:00 UTC, {url}#s1.]" in correction.content[0].value
    assert original.title == "INC-1 · Investigating (corrected): Checkout down"
    assert original.published_parsed[:5] == (2026, 11, 21, 12, 0)
    assert original.updated_parsed[:5] == (2026, 11, 21, 12, 5)
    assert original.content[0].value.startswith(
        f"[Corrected at 21 Nov 2026, 12:05 UTC: see the correction, {url}#s2."
    )
    assert ACK in original.content[0].value


async def test_the_console_public_channel_shows_the_edit_then_the_correction(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _corrected(bot)
        await bot.publish("S2", approver="bruno")
        assert bot.runtime.console is not None
        public = bot.runtime.console.channels["public"]
        titles = [posted.message.title for posted in public.messages]
        lines = "\n".join(bot.screen.lines)

    assert titles[-2:] == [
        "Corrected · Investigating: Checkout down",
        "Correction: Checkout down",
    ]
    assert "updated) 【Corrected · Investigating: Checkout down】" in lines
