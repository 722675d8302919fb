"""The hub outlives its database: pages, JSON and feeds are rendered once per change and
served from memory; a database cut leaves the last rendering served (never a 500), and
with nothing rendered yet a friendly 503. Through HTTP against the assembled bot; SQL
statements counted on the store's engine."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.hub.routes import HUB_KEY, Hub
from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import HubBot, hub_bot

REFRESH = timedelta(seconds=15)
PATHS = (
    "/status",
    "/status/incidents/1",
    "/status/incidents/1/chart.svg",
    "/status/feed.atom",
    "/status/api/incidents.json",
    "/status/api/incidents/1.json",
)


def _hub(bot: HubBot) -> Hub:
    assert bot.runtime.http is not None
    return bot.runtime.http.app[HUB_KEY]


@contextmanager
def counting(bot: HubBot) -> Iterator[list[str]]:
    """Every SQL statement the bot's store sends while inside."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = bot.runtime.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again on leaving: connections refused


@asynccontextmanager
async def database_cut(bot: HubBot) -> AsyncIterator[None]:
    """The database is gone: every new session connects to a port nobody listens on."""
    store = bot.runtime.store
    sessions = store._sessions
    dead = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/gone")
    store._sessions = async_sessionmaker(dead, class_=AsyncSession, expire_on_commit=False)
    try:
        yield
    finally:
        store._sessions = sessions
        await dead.dispose()


async def _published(bot: HubBot) -> None:
    bot.pause_timer()  # nothing in the background reads the database but the hub
    await bot.open("alice", "Checkout down")
    await bot.publish("S1")


async def test_pages_are_served_from_memory_after_the_first_render(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published(bot)
        await _hub(bot).settled()
        with counting(bot) as first:
            pages = {path: await bot.get(path) for path in PATHS}
        assert first, "the first request renders from the database"
        assert all(page.status == 200 for page in pages.values())

        with counting(bot) as later:
            for _ in range(5):
                for path in PATHS:
                    page = await bot.get(path)
                    assert page.status == 200 and page.body == pages[path].body, path
                    assert page.headers["ETag"] == pages[path].headers["ETag"]
            etag = pages["/status"].headers["ETag"]
            not_modified = await bot.get("/status", **{"If-None-Match": etag})
            since = await bot.get(
                "/status/feed.atom",
                **{"If-Modified-Since": pages["/status/feed.atom"].headers["Last-Modified"]},
            )
        assert later == [], "served from memory"
        assert not_modified.status == 304 and since.status == 304

        with counting(bot) as missing:  # an id nobody published is kept too (as a 404)
            assert (await bot.get("/status/incidents/7")).status == 404
            assert (await bot.get("/status/api/incidents/7.json")).status == 404
        assert len(missing) in range(1, 4)


async def test_concurrent_misses_share_one_render(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published(bot)
        hub = _hub(bot)
        await hub.settled()
        before = hub.cache.renders
        pages = await asyncio.gather(*(bot.get("/status") for _ in range(20)))
        assert {page.status for page in pages} == {200}
        assert hub.cache.renders == before + 1


async def test_a_publication_shows_on_the_next_request(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published(bot)
        before = {path: await bot.get(path) for path in PATHS}
        await bot.say("alice", "/incident draft holding")
        await bot.publish("S2")  # through the hub destination, which invalidates
        for path in PATHS:
            page = await bot.get(path)
            assert page.status == 200
            assert page.headers["ETag"] != before[path].headers["ETag"], path
        assert 'id="s2"' in (await bot.get("/status/incidents/1")).text
        assert "/status/incidents/1#s2" in (await bot.get("/status/feed.atom")).text


async def test_a_render_racing_the_publication_commit_does_not_hide_it(
    database_url: str, clock: FakeClock
) -> None:
    """Readers keep the front page rendering while S2 goes out: one render lands between
    the hub delivery and the commit that marks S2 published; the commit is watched for."""
    async with hub_bot(database_url, clock) as bot:
        await _published(bot)
        await bot.say("alice", "/incident draft holding")
        reading = True

        async def reader() -> None:
            while reading:
                assert (await bot.get("/status/incidents/1")).status == 200

        readers = [asyncio.create_task(reader()) for _ in range(3)]
        await bot.publish("S2")
        reading = False
        await asyncio.gather(*readers)
        await _hub(bot).settled()
        assert 'id="s2"' in (await bot.get("/status/incidents/1")).text


async def test_time_is_refreshed_in_the_background_at_most_every_interval(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published(bot)
        hub = _hub(bot)
        first = await bot.get("/status/incidents/1")
        await hub.settled()
        renders = hub.cache.renders

        clock.advance(seconds=10)  # within the interval: as it was
        assert (await bot.get("/status/incidents/1")).headers["Age"] == "10"
        assert hub.cache.renders == renders

        clock.advance(seconds=10)  # past it: the kept page at once, one render behind it
        stale = await asyncio.gather(*(bot.get("/status/incidents/1") for _ in range(10)))
        assert {page.body for page in stale} == {first.body}
        await hub.settled()
        assert hub.cache.renders == renders + 1
        assert (await bot.get("/status/incidents/1")).headers["Age"] == "0"

        clock.advance(hours=2)  # nobody read it for long: the request waits for the render
        late = await bot.get("/status/incidents/1")
        assert re.search(r"Overdue now", late.text)
        assert hub.cache.renders == renders + 2


async def test_a_database_cut_serves_the_last_rendering(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        await _published(bot)
        hub = _hub(bot)
        before = {path: await bot.get(path) for path in PATHS}
        await hub.settled()
        async with database_cut(bot):
            hub.cache.invalidate()  # as a publication would
            clock.advance(hours=1)  # and past every refresh
            for path in PATHS:
                page = await bot.get(path)
                assert page.status == 200, path
                assert page.body == before[path].body
                assert "stale-if-error=" in page.headers["Cache-Control"]
                assert page.headers["Age"] == "3600"
            assert (await bot.get("/status/incidents/2")).status == 503  # never rendered
        clock.advance(minutes=1)  # the database is back; the next try renders again
        page = await bot.get("/status/incidents/1")
        assert page.status == 200 and page.headers["Age"] == "0"
        assert "Overdue now" in page.text


async def test_nothing_rendered_and_the_database_down_is_a_friendly_503(
    database_url: str, clock: FakeClock
) -> None:
    async with hub_bot(database_url, clock) as bot:
        bot.pause_timer()
        async with database_cut(bot):
            page = await bot.get("/status")
            assert page.status == 503
            assert "The status page is temporarily unavailable" in page.text
            assert page.headers["Retry-After"] == "15"
            assert page.headers["Cache-Control"] == "no-store"
            document = await bot.get("/status/api/incidents.json")
            assert document.status == 503
            assert "temporarily unavailable" in document.text
            assert document.headers["Content-Type"].startswith("application/json")
            for path in PATHS[1:]:
                assert (await bot.get(path)).status == 503, path
            assert (await bot.get("/status/static/hub.css")).status == 200  # no database
