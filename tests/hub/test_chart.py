"""The incident page shows the communication record and an SVG chart of the public
updates against their due times, inline and at its own address; the JSON carries the
same figures. Only published things: no names, drafts or tasks."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import NEVER_PUBLIC, HubBot, hub_bot
from tests.hub.test_api import valid

SVG = "{http://www.w3.org/2000/svg}"


def _marks(svg: ET.Element, kind: str) -> list[ET.Element]:
    return [e for e in svg.iter() if kind in (e.get("class") or "").split()]


async def _scripted(bot: HubBot) -> None:
    """12:00 open (first update due 12:10) · 12:03 S1 (promises 12:30) · 12:20 identified
    · 12:40 S2, 10 min late · 12:45 resolved · 12:50 S3 (resolution)."""
    await bot.open("alice", "Checkout down")
    bot.clock.advance(minutes=3)
    await bot.publish("S1")
    await bot.say("alice", "/incident assign comms @u200")
    await bot.say("alice", "/incident task @u300 30m Rotate the leaked replica password")
    bot.clock.advance(minutes=17)
    await bot.say("alice", "/incident state identified")
    bot.clock.advance(minutes=20)
    await bot.say("alice", "/incident draft identified")
    await bot.publish("S2", approver="bruno")
    bot.clock.advance(minutes=5)
    await bot.say("alice", "/incident resolve Rolled back the bad deploy")
    bot.clock.advance(minutes=5)
    await bot.publish("S3", approver="bruno")


def _tip(mark: ET.Element) -> str:
    """A mark's tooltip (its ``<title>``)."""
    title = mark.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def _svg_of(page: str) -> ET.Element:
    start, end = page.index("<svg"), page.index("</svg>") + len("</svg>")
    return ET.fromstring(page[start:end])  # noqa: S314 (our own server's output)


async def test_the_incident_page_shows_the_record_and_the_chart(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _scripted(bot)
        page = await bot.get("/status/incidents/1")

    assert page.status == 200
    text = page.text
    record = text[text.index('<section class="record"') :]
    record = record[: record.index("</section>")]
    assert "How we kept you informed" in record
    assert "3 min after we opened the incident" in record
    assert "<dt>Updates published</dt><dd>3</dd>" in record
    assert "Longest silence</dt><dd>37 min, from" in record
    assert '1 late update: <a href="#s2">S2</a> came 10 min late' in record
    assert 'href="/status/incidents/1/chart.svg"' in record
    svg = _svg_of(record)  # inline, and well-formed XML
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    assert len(_marks(svg, "update")) == 3
    for secret in ("Rotate the leaked", "inc-1-checkout-down", *NEVER_PUBLIC):
        assert secret not in record, secret


async def test_the_chart_is_served_as_svg_with_a_mark_per_update(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _scripted(bot)
        chart = await bot.get("/status/incidents/1/chart.svg")
        again = await bot.get(
            "/status/incidents/1/chart.svg", **{"If-None-Match": chart.headers["ETag"]}
        )
        document = valid(json.loads((await bot.get("/status/api/incidents/1.json")).body))
        listing = valid(json.loads((await bot.get("/status/api/incidents.json")).body))
        missing = await bot.get("/status/incidents/9/chart.svg")

    assert chart.status == 200
    assert chart.headers["Content-Type"] == "image/svg+xml"
    assert "default-src 'none'" in chart.headers["Content-Security-Policy"]
    assert chart.headers["Cache-Control"].startswith("public, max-age=15, ")
    assert again.status == 304
    svg = ET.fromstring(chart.body)  # noqa: S314 (our own server's output)
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert (
        title is not None and title.text == "INC-1: public updates against the times they were due"
    )
    assert desc is not None and "3 public updates: S1 at 12:03, S2 at 12:40, S3 at 12:50" in (
        desc.text or ""
    )
    assert svg.get("aria-labelledby") == "chart-title chart-desc"
    communication = document["incident"]["communication"]
    assert len(_marks(svg, "update")) == communication["public_updates"] == 3
    overdue = _marks(svg, "overdue")
    assert len(overdue) == 1  # 12:30 to 12:40, before S2
    assert _tip(overdue[0]) == "Overdue 12:30–12:40 UTC (10 min), until S2"
    labels = [t.text or "" for t in svg.iter(f"{SVG}text")]
    # States as the public heard them: with S2 (12:40) and the resolution S3 (12:50).
    for state in ("investigating 12:00", "identified 12:40", "resolved 12:50"):
        assert state in labels
    assert [_tip(m) for m in _marks(svg, "update")] == [
        "S1 Investigating published 12:03 UTC",
        "S2 Update published 12:40 UTC, 10 min late",
        "S3 Resolved published 12:50 UTC",
    ]
    assert not any(secret in chart.text for secret in NEVER_PUBLIC)

    assert communication == {
        "first_update_after_seconds": 180,
        "public_updates": 3,
        "longest_silence": {
            "seconds": 37 * 60,
            "from": "2026-11-21T12:03:00Z",
            "to": "2026-11-21T12:40:00Z",
        },
        "late_updates": [
            {
                "ref": "S2",
                "due_at": "2026-11-21T12:30:00Z",
                "published_at": "2026-11-21T12:40:00Z",
                "until": "2026-11-21T12:40:00Z",
                "ended_by": "update",
                "late_by_seconds": 600,
                "url": f"{bot.base_url}/status/incidents/1#s2",
            }
        ],
        "overdue_now_seconds": None,
        "chart_url": f"{bot.base_url}/status/incidents/1/chart.svg",
    }
    assert listing["incidents"][0]["communication"] == communication
    assert missing.status == 404


async def test_an_open_incident_past_due_shows_it_is_overdue_now(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await bot.open("alice", "Checkout down")
        await bot.publish("S1")  # 12:00; the ack promised the next update by 12:30
        bot.clock.advance(minutes=45)
        page = (await bot.get("/status/incidents/1")).text
        document = json.loads((await bot.get("/status/api/incidents/1.json")).body)

    assert "<dt>Overdue now</dt><dd>by 15 min</dd>" in page
    assert document["incident"]["communication"]["overdue_now_seconds"] == 15 * 60
    svg = _svg_of(page)
    assert len(_marks(svg, "update")) == 1
    [stretch] = _marks(svg, "overdue")
    assert _tip(stretch).endswith("still overdue")


async def _close_together(bot: HubBot) -> None:
    """A long incident in which S2, S3 and S4 go out within two minutes, after hours."""
    await bot.open("alice", "Checkout down")
    bot.clock.advance(minutes=3)
    await bot.publish("S1")
    bot.clock.advance(hours=5)
    for number in (2, 3, 4):
        await bot.say("alice", "/incident draft holding")
        await bot.publish(f"S{number}")
        bot.clock.advance(seconds=40)


async def test_update_labels_close_in_time_never_overlap(
    database_url: str, clock: FakeClock
) -> None:
    """S2 printed on S4 read as "S¾": labels close together take the row above the
    circles or move right, so each stays whole."""
    async with hub_bot(database_url, clock) as bot:
        await _close_together(bot)
        chart = await bot.get("/status/incidents/1/chart.svg")

    svg = ET.fromstring(chart.body)  # noqa: S314 (our own server's output)
    labels = [
        (t.text or "", float(t.get("x", "0")), float(t.get("y", "0")))
        for t in svg.iter(f"{SVG}text")
        if t.get("class") == "label"
    ]
    assert [label for label, _, _ in labels] == ["S1", "S2", "S3", "S4"]
    width = 12 * 0.6 * 2  # two characters of 12 px text, generously
    for index, (a, ax, ay) in enumerate(labels):
        for b, bx, by in labels[index + 1 :]:
            assert ay != by or abs(ax - bx) >= width, (a, b, labels)
