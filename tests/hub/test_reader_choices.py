"""What a reader meets on the hub over real HTTP: the server's root leads to it, it
carries the team's page name, and times can be read in the reader's own zone without
script, a choice the page's links keep."""

from __future__ import annotations

from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import HubBot, Outline, hub_bot

PARIS = '<span class="local">(13:00 Europe/Paris)</span>'


async def _published_ack(bot: HubBot) -> None:
    await bot.open("alice", "Checkout down")
    await bot.publish("S1")


async def test_the_root_redirects_to_the_hub(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        root = await bot.get("/")
        kept = await bot.get("/?tz=Europe/Paris")
    assert root.status == 302 and root.headers["Location"] == "/status"
    assert kept.headers["Location"] == "/status?tz=Europe/Paris"


async def test_page_name_names_the_hub_everywhere(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock, page_name="Acme <Cloud> status") as bot:
        await _published_ack(bot)
        front = (await bot.get("/status")).text
        page = (await bot.get("/status/incidents/1")).text
        feed = (await bot.get("/status/feed.atom")).text
        missing = (await bot.get("/status/incidents/9")).text
    for html in (front, page, missing):
        assert '<p class="brand"><a href="/status">Acme &lt;Cloud&gt; status</a></p>' in html
        assert "Service status" not in html
    assert "<title>Current status · Acme &lt;Cloud&gt; status</title>" in front
    assert "<title>Checkout down (INC-1) · Acme &lt;Cloud&gt; status</title>" in page
    assert "Acme &lt;Cloud&gt; status" in feed


async def test_times_in_the_readers_zone_and_the_links_keep_it(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published_ack(bot)  # published at 12:00 UTC
        plain = (await bot.get("/status")).text
        front = (await bot.get("/status?tz=Europe/Paris")).text
        page = (await bot.get("/status/incidents/1?tz=Europe/Paris")).text
        tokyo = (await bot.get("/status/incidents/1?tz=Asia/Tokyo")).text

    assert "21 Nov 2026, 12:00 UTC</time>" in plain and 'class="local"' not in plain
    for html in (front, page):
        assert "21 Nov 2026, 12:00 UTC</time> " + PARIS in html  # UTC stays, Paris added
        assert 'href="/status?tz=Europe%2FParis"' in html  # header links keep the zone
        assert 'value="Europe/Paris"' in html  # the form shows the choice
    assert '<a href="/status/incidents/1?tz=Europe%2FParis">Checkout down</a>' in front
    assert "(21:00 Asia/Tokyo)" in tokyo
    # The form needs no script: a GET of the same page with ?tz=…
    [form] = Outline(plain).all("form")
    assert form["method"] == "get" and "action" not in form
    assert Outline(plain).all("input", name="tz", list="zones")
    assert '<option value="Europe/Paris">' in plain


async def test_an_unknown_zone_shows_utc_with_a_note(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published_ack(bot)
        pages = [
            (await bot.get(f"/status/incidents/1?tz={name}")).text
            for name in ("Mars/Olympus", "../../etc/passwd", "<script>")
        ]
    for html in pages:
        assert "We don't know that time zone, so times are shown in UTC only" in html
        assert "12:00 UTC</time>" in html and 'class="local"' not in html
        assert "Olympus" not in html and "passwd" not in html and "<script" not in html
        assert 'href="/status"' in html  # links carry no zone
