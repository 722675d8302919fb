"""Names from chat profiles and titles are user text: whatever a display name holds
(CR/LF, NUL, bidi overrides and isolates, zero-width characters...), and whatever title
the grammar accepts, every public page, the Atom feed and the JSON API answer 200 and
show neither control nor bidi characters. And text that reached the database by some
other road cannot make a page or the feed fail either."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import AsyncIterator

import feedparser
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from commands.desk import Reaction
from commands.domain import NAME_MAX
from commands.errors import CommandError
from commands.grammar.command_line import parse
from commands.ports import Actor, ChannelRef
from storage import Incident, Statement
from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import PLATFORM, WORKSPACE, HubBot, hub_bot

HOSTILE = (
    "\x00\x07\x0b\x0c\x1b\r\n\t\x7f\x85"  # C0/C1 controls, CR/LF
    "\u200b\u200d\u200e\u200f\ufeff"  # zero-width, marks, BOM
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi embeddings, overrides, isolates
    "\u2028\u2029\ufffe\uffff"  # line/paragraph separators, noncharacters
)
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),  # no lone surrogates: they are not text at all
        st.sampled_from(HOSTILE),
    ),
    max_size=140,
)
PAGES = ("/status", "/status/api/incidents.json", "/status/feed.atom")


def hidden(text: str) -> list[str]:
    """Control, format (bidi, zero-width) and unassigned characters, bar line breaks/tabs."""
    return [
        f"U+{ord(ch):04X}"
        for ch in text
        if ch not in "\n\r\t" and unicodedata.category(ch)[0] == "C"
    ]


def strings_in(document: object) -> list[str]:
    """Every string of a parsed JSON document (its escapes decoded)."""
    if isinstance(document, str):
        return [document]
    if isinstance(document, dict):
        return [s for key, value in document.items() for s in (key, *strings_in(value))]
    if isinstance(document, list):
        return [s for value in document for s in strings_in(value)]
    return []


async def pages_of(bot: HubBot, incident_id: int) -> dict[str, str]:
    """Every public view of the hub that shows this incident, each answering 200 (a JSON
    answer as the text of its strings)."""
    paths = (
        *PAGES,
        f"/status/incidents/{incident_id}",
        f"/status/incidents/{incident_id}/chart.svg",
        f"/status/api/incidents/{incident_id}.json",
    )
    shown = {}
    for path in paths:
        page = await bot.get(path)
        assert page.status == 200, (path, page.status)
        shown[path] = page.text
        if path.endswith(".json"):
            shown[path] = "\n".join(strings_in(json.loads(page.text)))
    feed = feedparser.parse(shown["/status/feed.atom"].encode())
    assert not feed.bozo, feed.get("bozo_exception")
    return shown


@pytest.fixture
async def bot(database_url: str) -> AsyncIterator[HubBot]:
    async with hub_bot(database_url, FakeClock()) as started:
        started.pause_timer()  # the test's run_due delivers
        yield started


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=TEXT, title=TEXT)
async def test_any_display_name_and_title_render_cleanly(
    bot: HubBot, name: str, title: str
) -> None:
    line = f"/incident open {title} sev2"
    try:
        parse(line)
    except CommandError:
        reject()  # not a title the grammar accepts
    actor = Actor(PLATFORM, "u900", name)
    assert not hidden(actor.name) and "\n" not in actor.name and "\r" not in actor.name
    assert len(actor.name) <= NAME_MAX

    reply = await bot.runtime.desk.handle_text(line, actor, ChannelRef(PLATFORM, WORKSPACE, "g"))
    assert not reply.is_error, reply.plain
    assert bot.runtime.console is not None
    channel = list(bot.runtime.console.channels)[-1]
    posted = bot.runtime.console.statement_message(channel, "S1")
    assert posted is not None
    here = ChannelRef(PLATFORM, WORKSPACE, channel)
    vote = await bot.runtime.desk.react(
        Reaction(here, posted.message_id, actor, "white_check_mark")
    )
    assert vote is not None and not vote.is_error, vote and vote.plain
    await bot.runtime.desk.settle()
    async with bot.runtime.store.reading() as uow:
        incident = await uow.incidents.by_number(PLATFORM, WORKSPACE, int(channel.split("-")[1]))
        assert incident is not None and incident.id is not None
        s1 = await uow.statements.by_number(incident.id, 1)
    assert s1 is not None and s1.state == "published"
    assert s1.signer == (actor.name or actor.user_id)

    for path, text in (await pages_of(bot, incident.id)).items():
        assert not hidden(text), (path, hidden(text))
    path = f"/status/api/incidents/{incident.id}.json"
    one = json.loads((await bot.get(path)).text)["incident"]
    assert one["title"] == incident.title
    assert one["statements"][0]["signer"] == s1.signer


async def test_stored_text_with_xml_invalid_characters_cannot_break_the_feed(
    bot: HubBot,
) -> None:
    """Rows written before names were cleaned (or by hand) still render everywhere."""
    await bot.open("alice", "Checkout down")
    await bot.publish("S1")
    dirty = "Eve\x01\x1b\u202eli\ufffe\r\nce\x0b"  # no NUL: PostgreSQL cannot store one at all
    async with bot.runtime.store.unit_of_work() as uow:
        incident = await uow.session.get(Incident, 1)
        assert incident is not None and incident.id is not None
        incident.title = "Checkout\x01 down\u202e\x1f"
        uow.session.add(incident)
        statement = await uow.statements.by_number(incident.id, 1)
        assert isinstance(statement, Statement)
        statement.signer = dirty
        statement.body = "We are\x08 aware\x0c of it.\u2066"
        uow.session.add(statement)

    shown = await pages_of(bot, 1)
    # The pages and the feed show the text without what they cannot carry; the JSON
    # answers too (its escapes keep the stored text as stored).
    for path in ("/status", "/status/incidents/1", "/status/feed.atom"):
        assert not hidden(shown[path]), (path, hidden(shown[path]))
    feed = feedparser.parse(shown["/status/feed.atom"].encode())
    [entry] = feed.entries
    assert entry.author.startswith("Eveli") and not hidden(entry.author)
    assert entry.title == "INC-1 · Investigating: Checkout down"
    assert entry.content[0].value == "We are aware of it."
