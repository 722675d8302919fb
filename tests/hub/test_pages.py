"""The status hub's pages over real HTTP: what the public sees, and what it never sees."""

from __future__ import annotations

import re

from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import NEVER_PUBLIC, HubBot, Outline, hub_bot

ACK = "We are aware of an issue affecting Checkout down and are investigating"


async def _published_ack(bot: HubBot) -> None:
    await bot.open("alice", "Checkout down")
    await bot.publish("S1")  # pre-approved wording: its author may approve it alone
    await bot.say("alice", "/incident assign comms @u200")  # Bruno approves what Alice drafts


async def test_a_published_statement_is_on_the_front_page_and_its_incident_page(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published_ack(bot)

        front = await bot.get("/status")
        assert front.status == 200
        assert front.headers["Content-Type"] == "text/html; charset=utf-8"
        assert ACK in front.text
        assert '<a href="/status/incidents/1">Checkout down</a>' in front.text
        assert "SEV2" in front.text and "investigating" in front.text
        # Last update (published now) and the next update the ack itself promised.
        assert '<time datetime="2026-11-21T12:00:00Z">21 Nov 2026, 12:00 UTC</time>' in front.text
        assert '<time datetime="2026-11-21T12:30:00Z">21 Nov 2026, 12:30 UTC</time>' in front.text
        assert "There are no open incidents" not in front.text

        page = await bot.get("/status/incidents/1")
        assert page.status == 200
        assert ACK in page.text
        assert "— Alice Quillfeather" in page.text  # the name it was signed with
        assert "INC-1" in page.text
        assert 'id="s1"' in page.text  # entries of the feed link here


async def test_drafts_rejected_unpublished_and_internal_content_never_appear(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published_ack(bot)
        await bot.say("alice", "/incident task @u300 30m Rotate the leaked replica password")
        await bot.say("alice", "/incident state identified")
        await bot.say("alice", "/incident draft REJECTED wording that blames the vendor")
        await bot.react("bruno", "S2", "x")
        await bot.say("alice", "/incident draft DRAFT wording still under review")
        bot.pause_timer()  # from here the test is the timer: nothing is delivered by itself
        await bot.say("alice", "/incident draft APPROVED wording not yet delivered")
        await bot.react("bruno", "S4")
        states = [await bot.statement_state(n) for n in (1, 2, 3, 4)]
        assert states == ["published", "rejected", "draft", "approved"]
        await bot.open("alice", "Suspected breach probe")  # nothing published about it yet

        paths = (
            "/status",
            "/status/incidents/1",
            "/status/feed.atom",
            "/status/api/incidents.json",
            "/status/api/incidents/1.json",
        )
        for path in paths:
            page = await bot.get(path)
            assert page.status == 200, path
            assert ACK in page.text, path
            for secret in (
                "REJECTED",
                "DRAFT wording",
                "APPROVED wording",
                "Rotate the leaked",
                "Suspected breach",
                "inc-1-checkout-down",
                *NEVER_PUBLIC,
            ):
                assert secret not in page.text, (path, secret)
        assert (await bot.get("/status/incidents/2")).status == 404  # never public: unknown

        await bot.runtime.desk.settle()  # the timer's turn: S4 goes out
        page = await bot.get("/status/incidents/1")
        assert "APPROVED wording not yet delivered" in page.text
        assert "identified" in page.text
        assert not any(secret in page.text for secret in NEVER_PUBLIC)


async def test_statements_are_listed_newest_first(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published_ack(bot)
        clock.advance(minutes=40)
        await bot.say("alice", "/incident state identified")
        await bot.say("alice", "/incident draft identified")
        await bot.publish("S2", approver="bruno")

        page = (await bot.get("/status/incidents/1")).text
        newest = page.index("We have found the cause of the issue affecting Checkout down")
        assert newest < page.index(ACK)
        assert page.index("2026-11-21T12:40:00Z") < page.index(
            '<time datetime="2026-11-21T12:00:00Z">'
        )
        front = (await bot.get("/status")).text
        assert "We have found the cause" in front and ACK not in front  # the latest only


async def test_resolved_incidents_stay_on_the_front_page_for_a_week(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published_ack(bot)
        await bot.say("alice", "/incident resolve Rolled back the bad deploy")
        await bot.publish("S2", approver="bruno")

        front = (await bot.get("/status")).text
        assert "There are no open incidents right now." in front
        resolved = front[front.index("Resolved in the last 7 days") :]
        assert "The issue affecting Checkout down is resolved" in resolved
        assert "Next update by" not in front  # no promise once it is over

        clock.advance(days=7, minutes=1)
        front = (await bot.get("/status")).text
        assert "Checkout down" not in front
        page = await bot.get("/status/incidents/1")  # the permalink stays
        assert page.status == 200 and "is resolved" in page.text


async def test_pages_are_accessible_and_work_without_javascript(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published_ack(bot)
        for path in ("/status", "/status/incidents/1", "/status/incidents/404"):
            html = (await bot.get(path)).text
            outline = Outline(html)
            assert html.startswith("<!doctype html>")
            assert outline.all("html", lang="en"), path
            assert outline.all("meta", name="viewport"), path
            for landmark in ("header", "nav", "main", "footer"):
                assert outline.all(landmark), (path, landmark)
            first_link = next(attrs for tag, attrs in outline.tags if tag == "a")
            assert first_link.get("href") == "#main", "the skip link comes first"
            assert outline.all("main", id="main")
            assert outline.headings[0] == 1 and outline.headings.count(1) == 1, path
            steps = zip(outline.headings, outline.headings[1:], strict=False)
            assert all(b <= a + 1 for a, b in steps), (path, outline.headings)
            for time in outline.all("time"):
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", time["datetime"] or "")
            assert "<script" not in html

        outline = Outline((await bot.get("/status/incidents/1")).text)
        # Email is not set up here: no sign-up form (tests/email has it), only the zone's.
        [form] = outline.all("form")
        assert form == {"method": "get", "class": "tz", "aria-label": "Time zone"}
        assert not outline.all("input", type="email")
        assert outline.all("label", for_="tz")

        css = await bot.get("/status/static/hub.css")
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        assert b":focus-visible" in css.body


async def test_an_unknown_incident_gets_a_friendly_404(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        for path in ("/status/incidents/999", "/status/incidents/abc", "/status/incidents/-1"):
            page = await bot.get(path)
            assert page.status == 404, path
            assert page.headers["Content-Type"] == "text/html; charset=utf-8"
            assert "We can't find that page" in page.text
            assert '<a href="/status">' in page.text
        front = await bot.get("/status")
        assert front.status == 200 and "There are no open incidents right now." in front.text
        assert (await bot.get("/status/")).headers["Location"] == "/status"


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


async def test_every_text_colour_has_enough_contrast(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        css = (await bot.get("/status/static/hub.css")).text
    palette = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6});", css))
    pairs = [("fg", "bg"), ("muted", "bg"), ("link", "bg"), ("fg", "panel"), ("muted", "panel")]
    pairs += [("link", "panel"), ("on-badge", "link"), ("on-badge", "resolved")]
    pairs += [("on-badge", f"sev{n}") for n in range(1, 5)]
    for text, background in pairs:
        light, dark = sorted((_luminance(palette[text]), _luminance(palette[background])))[::-1]
        assert (light + 0.05) / (dark + 0.05) >= 4.5, (text, background)
