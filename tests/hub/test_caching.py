"""Strong ETags, short public caching (stale while revalidating, and on error), and 304s
for what a client already has."""

from __future__ import annotations

import hashlib

from tests.fakes.clock import FakeClock
from tests.hub.hub_bot import hub_bot

CONTROL = "public, max-age=15, stale-while-revalidate=15, stale-if-error=86400"
PATHS = (
    "/status",
    "/status/incidents/1",
    "/status/feed.atom",
    "/status/api/incidents.json",
    "/status/api/incidents/1.json",
    "/status/static/hub.css",
)


async def test_etag_and_not_modified(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        await bot.open("alice", "Checkout down")
        await bot.publish("S1")
        tags = {}
        for path in PATHS:
            page = await bot.get(path)
            etag = page.headers["ETag"]
            assert etag == f'"{hashlib.sha256(page.body).hexdigest()}"', path  # strong
            assert page.headers["Cache-Control"] == CONTROL
            assert page.headers["X-Content-Type-Options"] == "nosniff"
            assert (await bot.get(path)).headers["ETag"] == etag, "same content, same tag"

            cached = await bot.get(path, **{"If-None-Match": etag})
            assert cached.status == 304 and cached.body == b"", path
            assert cached.headers["ETag"] == etag
            assert cached.headers["Cache-Control"] == CONTROL
            weak = await bot.get(path, **{"If-None-Match": f'"other", W/{etag}'})
            assert weak.status == 304, "If-None-Match compares weakly"
            assert (await bot.get(path, **{"If-None-Match": '"other"'})).status == 200
            tags[path] = etag

        clock.advance(minutes=10)
        await bot.say("alice", "/incident draft holding")
        assert (await bot.get("/status", **{"If-None-Match": tags["/status"]})).status == 304
        await bot.publish("S2")  # the holding statement is pre-approved
        for path in PATHS[:-1]:  # everything but the stylesheet changed
            page = await bot.get(path, **{"If-None-Match": tags[path]})
            assert page.status == 200, path
            assert page.headers["ETag"] != tags[path]


async def test_a_404_is_not_cached_for_long(database_url: str, clock: FakeClock) -> None:
    async with hub_bot(database_url, clock) as bot:
        page = await bot.get("/status/incidents/1")
        assert page.status == 404
        assert page.headers["Cache-Control"] == "no-cache" and "ETag" not in page.headers
