"""The public status hub under ``/status`` on the bot's one HTTP server (DESIGN §4).

GET /                                    redirects to /status
GET /status                              open and recently resolved incidents
                                         (any HTML page: ?tz=Europe/Paris adds local times)
GET /status/incidents/{id}               every published statement of one incident
GET /status/incidents/{id}/chart.svg     its public updates against their due times
GET /status/feed.atom                    Atom feed, one entry per published statement
GET /status/api/incidents.json           the front page as JSON
GET /status/api/incidents/{id}.json      one incident as JSON
GET /status/api/incidents.schema.json    the JSON Schema of both
GET /status/static/hub.css               the one stylesheet

Every answer is rendered once per change and served from memory (bot/hub/rendering.py:
a publication, or every ``refresh`` for the relative times; a database that is away
leaves the last rendering served), carries a strong ETag and Last-Modified, and is
cacheable for the refresh interval, then while revalidating, and on error for a day.
Pages work without JavaScript. The POST /status/subscribe handler lives with the
email destination.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from datetime import timedelta
from importlib import resources

from aiohttp import web

from bot.hub import api, chart, feed, record
from bot.hub.caching import Representation, cache_control, error_page, not_found, serve
from bot.hub.destination import HubDestination
from bot.hub.pages import Pages
from bot.hub.rendering import Render, RenderCache, Views
from bot.hub.zones import UTC_ONLY, Zone, zone_of
from bot.priority import TeamFirst
from commands import Clock, Publication
from storage import DeliveryState, Store

HTML = "text/html"
JSON = "application/json"
ATOM = "application/atom+xml"
SVG = "image/svg+xml"
DEFAULT_TITLE = "Service status"
DEFAULT_REFRESH = timedelta(seconds=15)
FRONT, FEED, INCIDENT = "front", "feed", "incident"
UNAVAILABLE_JSON = "The status page is temporarily unavailable. Please try again in a minute."
WATCH_FOR = 60.0  # seconds a publication's record is waited for before the next refresh


def _keyed(key: Hashable, zone: Zone) -> Hashable:
    """The cache key of a rendering: in UTC only it is shared with the JSON (and SVG),
    so the common case reads the database once per refresh."""
    return key if zone == UTC_ONLY else (key, zone)


def _incident_id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


class Hub:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        base_url: Callable[[], str],
        title: str,
        refresh: timedelta = DEFAULT_REFRESH,
        team_first: TeamFirst | None = None,
        email_offered: bool = False,
    ) -> None:
        self.store, self.clock, self.base_url, self.title = store, clock, base_url, title
        self.team_first = team_first or TeamFirst()
        self.pages = Pages(title, email_offered=email_offered)
        self.cache = RenderCache(clock, refresh)
        self.cache_control = cache_control(refresh)
        self._watchers: set[asyncio.Task[None]] = set()
        now = clock.now()
        css = resources.files("bot.hub").joinpath("static", "hub.css").read_bytes()
        self._static = {
            "css": Representation(css, "text/css", now),
            "schema": Representation(api.schema_bytes(), "application/schema+json", now),
        }

    def _base(self) -> str:
        return self.base_url().rstrip("/")

    # --- sources: each read of the database renders every view built from it -------

    async def _render_front(self, zone: Zone = UTC_ONLY) -> Views:
        now = self.clock.now()
        page = await record.front_page(self.store, now)
        return {
            "html": Representation(self.pages.front(page, zone), HTML, now),
            "json": Representation(api.incidents_document(page, self._base()), JSON, now),
        }

    async def _render_feed(self) -> Views:
        now = self.clock.now()
        entries = await record.latest_statements(self.store)
        body = feed.atom(entries, base_url=self._base(), title=self.title, now=now)
        return {"atom": Representation(body, ATOM, now)}

    async def _render_incident(self, incident_id: int, zone: Zone = UTC_ONLY) -> Views:
        now = self.clock.now()
        found = await record.incident(self.store, incident_id, now)
        missing = Representation(self.pages.not_found(zone), HTML, now, status=404)
        if found is None:
            message = "There is no public incident with this id."
            return {
                "html": missing,
                "svg": missing,
                "json": Representation(api.error_document(message), JSON, now, status=404),
            }
        svg = missing
        if found.record is not None:
            svg = Representation(chart.render(found.record, found.ref).encode("utf-8"), SVG, now)
        return {
            "html": Representation(self.pages.incident(found, zone), HTML, now),
            "svg": svg,
            "json": Representation(api.incident_document(found, self._base()), JSON, now),
        }

    async def _answer(
        self, request: web.Request, key: Hashable, render: Render, view: str
    ) -> web.Response:
        await self.team_first.public_turn()  # bot/priority.py: the team's work first
        kept = await self.cache.get(key, render)
        if kept is None:
            return self._unavailable(view)
        return serve(request, kept.views[view], self.cache_control, kept.age(self.clock.now()))

    def _unavailable(self, view: str) -> web.Response:
        """Nothing rendered yet and the database away: say so, never a 500."""
        seconds = str(round(self.cache.refresh.total_seconds()))
        headers = {"Cache-Control": "no-store", "Retry-After": seconds}
        if view == "json":
            return error_page(503, api.error_document(UNAVAILABLE_JSON), JSON, **headers)
        return error_page(503, self.pages.unavailable(), HTML, **headers)

    # --- routes ----------------------------------------------------------------------

    async def front(self, request: web.Request) -> web.Response:
        zone = zone_of(request.query.get("tz"))

        async def render() -> Views:
            return await self._render_front(zone)

        return await self._answer(request, _keyed(FRONT, zone), render, "html")

    async def api_incidents(self, request: web.Request) -> web.Response:
        return await self._answer(request, FRONT, self._render_front, "json")

    async def atom(self, request: web.Request) -> web.Response:
        return await self._answer(request, FEED, self._render_feed, "atom")

    async def incident(self, request: web.Request) -> web.Response:
        return await self._incident_view(request, "html")

    async def chart(self, request: web.Request) -> web.Response:
        return await self._incident_view(request, "svg")

    async def api_incident(self, request: web.Request) -> web.Response:
        return await self._incident_view(request, "json")

    async def _incident_view(self, request: web.Request, view: str) -> web.Response:
        incident_id = _incident_id(request.match_info["id"])
        # Only the HTML shows times in the reader's zone: the SVG and JSON stay UTC.
        zone = zone_of(request.query.get("tz")) if view == "html" else UTC_ONLY
        if incident_id is None:  # not a number: no source to read
            if view == "json":
                message = "There is no public incident with this id."
                return not_found(api.error_document(message), JSON)
            return not_found(self.pages.not_found(zone), HTML)

        async def render() -> Views:
            return await self._render_incident(incident_id, zone)

        return await self._answer(request, _keyed((INCIDENT, incident_id), zone), render, view)

    async def schema(self, request: web.Request) -> web.Response:
        return serve(request, self._static["schema"], self.cache_control, 0)

    async def stylesheet(self, request: web.Request) -> web.Response:
        return serve(request, self._static["css"], self.cache_control, 0)

    # --- publication -----------------------------------------------------------------

    def published(self, publication: Publication) -> None:
        """A statement is going out through the hub destination: every rendering is out of
        date. The outbox marks it published only once ``deliver`` has returned, in its own
        commit; a render in between would still read it unpublished, so once the
        delivery's record is committed everything is out of date once more."""
        self.cache.invalidate()
        watcher = asyncio.create_task(self._when_recorded(publication.delivery_id))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)

    async def _when_recorded(self, delivery_id: int) -> None:
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + WATCH_FOR, 0.01
        while loop.time() < deadline:
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)
            try:
                async with self.store.reading() as uow:
                    delivery = await uow.deliveries.get(delivery_id)
            except Exception:  # noqa: S112 (the database is away: the refresh will catch up)
                continue
            if delivery is None or delivery.state != DeliveryState.SENDING:
                self.cache.invalidate()
                return

    async def settled(self) -> None:
        """Until no render and no publication watch is running (tests)."""
        while self._watchers:
            await asyncio.gather(*list(self._watchers), return_exceptions=True)
        await self.cache.settled()

    async def close(self, _: web.Application | None = None) -> None:
        for watcher in list(self._watchers):
            watcher.cancel()
        await asyncio.gather(*list(self._watchers), return_exceptions=True)
        await self.cache.close()


HUB_KEY = web.AppKey("hub", Hub)


async def _to_front(_: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/status")


async def _root_to_front(request: web.Request) -> web.Response:
    """``/`` is where people type the server's address: the hub is what it serves them.
    Temporary (302), so browsers ask again should the root one day serve something."""
    raise web.HTTPFound("/status" + (f"?{request.query_string}" if request.query_string else ""))


def register_hub(
    app: web.Application,
    store: Store,
    clock: Clock,
    *,
    base_url: Callable[[], str],
    title: str = DEFAULT_TITLE,
    destination: HubDestination | None = None,
    refresh: timedelta = DEFAULT_REFRESH,
    team_first: TeamFirst | None = None,
    email_offered: bool = False,
) -> Hub:
    """Add the hub's routes. ``base_url`` gives the public address (PUBLIC_URL, or the
    address actually bound) for the absolute links of the feed and the JSON. What the
    hub ``destination`` publishes makes the kept renderings out of date; ``refresh``
    is how old a rendering may get (relative times, "overdue") before it is redone;
    while the team's work is under way (``team_first``), readers wait their turn; the
    email sign-up form shows only when ``email_offered`` (email:subscribers is set up)."""
    hub = Hub(store, clock, base_url, title, refresh, team_first, email_offered)
    if destination is not None:
        destination.on_publish(hub.published)
    app[HUB_KEY] = hub
    app.on_cleanup.append(hub.close)
    app.router.add_get("/", _root_to_front)
    app.router.add_get("/status", hub.front)
    app.router.add_get("/status/", _to_front)
    app.router.add_get("/status/incidents/{id}", hub.incident)
    app.router.add_get("/status/incidents/{id}/chart.svg", hub.chart)
    app.router.add_get("/status/feed.atom", hub.atom)
    app.router.add_get("/status/api/incidents.json", hub.api_incidents)
    app.router.add_get("/status/api/incidents.schema.json", hub.schema)
    app.router.add_get("/status/api/incidents/{id}.json", hub.api_incident)
    app.router.add_get("/status/static/hub.css", hub.stylesheet)
    return hub
