"""One communication record: for a scripted incident with a missed update, every surface
— the `/incident status` reply, the postmortem draft, `candor export` (Markdown and
JSON), the hub's incident page, its JSON and the chart — shows the same figures (first
update, number of updates, longest silence, late updates) in the same words, and none
contradicts another (tests/core/scripted_incident.py works the figures out by hand)."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.export import collect, load, to_json
from bot.export_md import render
from commands.record.wording import span
from storage import Store
from tests.core.scripted_incident import run_late_then_missed, run_missed_only
from tests.fakes.chat import RecordingChat
from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import hub_bot
from tests.hub.test_api import valid
from tests.team import Team

SVG = "{http://www.w3.org/2000/svg}"
CONTRADICTIONS = ("Every update came by the time it was due", "no late updates", "none late")


@dataclass(frozen=True)
class Figures:
    first_update: str | None  # "4 min" after open; None where a surface does not show it
    updates: int
    silence: str | None  # the longest silence
    late: int  # late updates: those that came late and those that never came


@dataclass(frozen=True)
class Script:
    run: Callable[[Team], Awaitable[None]]
    figures: Figures
    late_words: str  # the late updates in words, times as HH:MM
    late_refs: list[str | None]  # each late update's S-number; None: it never came


SCRIPTS = {
    "late-then-missed": Script(
        run_late_then_missed,
        Figures("4 min", 3, "43 min", 2),
        # The public heard nothing between S2 and the resolution S3, which came late too.
        "2 late updates: S2 came 11 min late; S3 came 13 min late",
        ["S2", "S3"],
    ),
    "missed-only": Script(
        run_missed_only,
        Figures("4 min", 3, "59 min", 1),
        "1 late update: S3 came 29 min late",
        ["S3"],
    ),
}


def _find(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match is not None, f"{pattern!r} not in:\n{text}"
    return match.group(1)


def _plain(text: str) -> str:
    """Text as read: no tags, entities decoded, times without their " UTC"."""
    return html.unescape(re.sub(r"<[^>]+>", "", text)).replace(" UTC", "")


def _late_count(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    return int(match.group(1)) if match else 0


def _status(text: str) -> Figures:
    return Figures(
        _find(r"first public update (.+?) after open", text),
        int(_find(r"(\d+) public updates?", text)),
        _find(r"longest silence (.+?) \(", text),
        _late_count(r"(\d+) late updates?:", text),
    )


def _postmortem(text: str) -> Figures:
    return Figures(
        _find(r"Our first public update came (.+?) after we opened", text),
        int(_find(r"We published (\d+) updates?", text)),
        _find(r"The longest time without news was (.+?) \(", text),
        _late_count(r"We had (\d+) late updates?:", text),
    )


def _markdown(text: str) -> Figures:
    return Figures(
        _find(r"\*\*First update:\*\* first public update (.+?) after open", text),
        int(_find(r"\*\*Public updates:\*\* (\d+)", text)),
        _find(r"\*\*Silence:\*\* longest silence (.+?) \(", text),
        _late_count(r"\*\*Late:\*\* (\d+) late updates?:", text),
    )


def _export_json(text: str) -> Figures:
    public = load(text).communication.public
    assert public.first_update_after is not None and public.longest_silence is not None
    assert f'"update_count": {public.update_count}' in text
    return Figures(
        span(public.first_update_after),
        public.update_count,
        span(public.longest_silence.length),
        len(public.late_updates),
    )


def _page(text: str) -> Figures:
    record = text[text.index('<section class="record"') :]
    facts = _plain(record[record.index('<dl class="facts">') : record.index("</dl>")])
    return Figures(
        _find(r"First update\s*(.+?) after we opened the incident", facts),
        int(_find(r"Updates published\s*(\d+)", facts)),
        _find(r"Longest silence\s*(.+?), from", facts),
        _late_count(r"Late updates\s*(\d+) late updates?:", facts),
    )


def _hub_json(communication: dict[str, Any]) -> Figures:
    return Figures(
        span(timedelta(seconds=communication["first_update_after_seconds"])),
        communication["public_updates"],
        span(timedelta(seconds=communication["longest_silence"]["seconds"])),
        len(communication["late_updates"]),
    )


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _chart(text: str) -> Figures:
    svg = ET.fromstring(text)  # noqa: S314 (our own server's output)
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    marks = [e.get("class") for e in svg.iter() if e.get("class") in ("update", "overdue")]
    updates = int(_find(r"(\d+) public updates?", desc.text))
    late = _late_count(r"(\d+) late updates?:", desc.text)
    assert marks.count("update") == updates  # a circle per update
    assert marks.count("overdue") == late  # a shaded stretch per late update
    opened, first = _find(r"from (\d\d:\d\d)", desc.text), _find(r"S\d+ at (\d\d:\d\d)", desc.text)
    return Figures(span(timedelta(minutes=_minutes(first) - _minutes(opened))), updates, None, late)


@pytest.mark.parametrize("name", SCRIPTS)
async def test_every_surface_shows_the_same_record(
    name: str, store: Store, clock: FakeClock, chat: RecordingChat, database_url: str
) -> None:
    script = SCRIPTS[name]
    team = Team.build(store, clock, chat)
    await script.run(team)
    await team.later(minutes=30)  # 13:54: everything is rendered as of now
    status = (await team.say("alice", "/incident status")).plain
    reply = await team.say("alice", "/incident postmortem")
    assert not reply.is_error, reply.plain
    first_line = chat.draft_message("S4").message.lines[0][0]
    assert isinstance(first_line, str)
    postmortem = first_line
    async with store.reading() as uow:
        document = await collect(uow, await team.incident(), clock.now())
    markdown, exported = render(document, "INC-1.svg"), to_json(document)
    async with hub_bot(database_url, clock) as bot:
        page = (await bot.get("/status/incidents/1")).text
        listing = valid(json.loads((await bot.get("/status/api/incidents.json")).body))
        one = valid(json.loads((await bot.get("/status/api/incidents/1.json")).body))
        chart = (await bot.get("/status/incidents/1/chart.svg")).text

    communication = one["incident"]["communication"]
    assert listing["incidents"][0]["communication"] == communication
    expected = script.figures
    assert _status(status) == expected
    assert _postmortem(postmortem) == expected
    assert _markdown(markdown) == expected
    assert _export_json(exported) == expected
    assert _page(page) == expected
    assert _hub_json(communication) == expected
    assert _chart(chart) == Figures(expected.first_update, expected.updates, None, expected.late)

    # The same late updates in the same words wherever they are put in words.
    words = {
        "status": status,
        "postmortem": postmortem,
        "export": markdown,
        "page": page,
        "chart": chart,
    }
    for surface, text in words.items():
        assert script.late_words in _plain(text), surface
        for contradiction in CONTRADICTIONS:
            assert contradiction.lower() not in text.lower(), (surface, contradiction)
    # And the same late updates as data: the export's and the hub's.
    public = load(exported).communication.public
    refs = [f"S{item.number}" if item.number is not None else None for item in public.late_updates]
    assert refs == [item["ref"] for item in communication["late_updates"]] == script.late_refs
    assert [item["late_by_seconds"] for item in communication["late_updates"]] == [
        round(item.late_by.total_seconds()) for item in public.late_updates
    ]
