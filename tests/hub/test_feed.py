"""The Atom feed parses with a feed parser and has one entry per published statement."""

from __future__ import annotations

import feedparser

from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import NEVER_PUBLIC, hub_bot


async def test_one_entry_per_published_statement_linking_to_its_incident_page(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await bot.open("alice", "Checkout down")
        await bot.publish("S1")
        await bot.say("alice", "/incident assign comms @u200")
        await bot.say("alice", "/incident draft Still a DRAFT: not for the feed")
        clock.advance(minutes=20)
        await bot.say("alice", "/incident draft holding")
        await bot.publish("S3")
        clock.advance(minutes=5)
        await bot.open("alice", "Search is slow", "sev3")
        await bot.publish("S1")

        response = await bot.get("/status/feed.atom")
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        feed = feedparser.parse(response.body)

    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Service status"
    self_link = next(link for link in feed.feed.links if link.rel == "self")
    assert self_link.href == f"{bot.base_url}/status/feed.atom"
    titles = [entry.title for entry in feed.entries]
    assert titles == [
        "INC-2 · Investigating: Search is slow",
        "INC-1 · Update: Checkout down",
        "INC-1 · Investigating: Checkout down",
    ]
    links = [entry.link for entry in feed.entries]
    assert links == [
        f"{bot.base_url}/status/incidents/2#s1",
        f"{bot.base_url}/status/incidents/1#s3",
        f"{bot.base_url}/status/incidents/1#s1",
    ]
    assert len({entry.id for entry in feed.entries}) == 3
    holding = feed.entries[1]
    assert holding.content[0].value.startswith("We are still working on the issue")
    assert holding.content[0].type == "text/plain"
    assert holding.author == "Alice Quillfeather"
    assert holding.published_parsed[:5] == (2026, 11, 21, 12, 20)
    text = response.text
    assert "DRAFT" not in text
    assert not any(secret in text for secret in NEVER_PUBLIC)


async def test_feed_links_use_public_url(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock, public_url="https://status.example.com/") as bot:
        await bot.open("alice", "Checkout down")
        await bot.publish("S1")
        feed = feedparser.parse((await bot.get("/status/feed.atom")).body)
        public_post = "\n".join(bot.screen.lines)
    [entry] = feed.entries
    assert entry.link == "https://status.example.com/status/incidents/1#s1"
    assert "Status page: https://status.example.com/status/incidents/1" in public_post


async def test_an_empty_feed_is_still_valid(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        await bot.open("alice", "Checkout down")  # a draft only
        feed = feedparser.parse((await bot.get("/status/feed.atom")).body)
    assert not feed.bozo and feed.version == "atom10"
    assert feed.entries == []
