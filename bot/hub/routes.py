"""The public status hub under ``/status`` on the bot's one HTTP server (DESIGN §4).

GET /status                              open and recently resolved incidents
GET /status/incidents/{id}               every published statement of one incident
GET /status/incidents/{id}/chart.svg     its public updates against their due times
GET /status/feed.atom                    Atom feed, one entry per published statement
GET /status/api/incidents.json           the front page as JSON
GET /status/api/incidents/{id}.json      one incident as JSON
GET /status/api/incidents.schema.json    the JSON Schema of both
GET /status/static/hub.css               the one stylesheet

Every answer is cacheable for 30 s and carries a strong ETag; pages work without
JavaScript. The POST /status/subscribe handler lives with the email destination.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from aiohttp import web

from bot.hub import api, chart, feed, record
from bot.hub.caching import cached, not_found
from bot.hub.pages import Pages
from commands.clock import Clock
from storage import Store

HTML = "text/html"
JSON = "application/json"
ATOM = "application/atom+xml"
SVG = "image/svg+xml"
DEFAULT_TITLE = "Service status"


def _incident_id(raw: str) -> int | None:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


class Hub:
    def __init__(self, store: Store, clock: Clock, base_url: Callable[[], str], title: str) -> None:
        self.store, self.clock, self.base_url, self.title = store, clock, base_url, title
        self.pages = Pages(title)

    def _base(self) -> str:
        return self.base_url().rstrip("/")

    async def front(self, request: web.Request) -> web.Response:
        page = await record.front_page(self.store, self.clock.now())
        return cached(request, self.pages.front(page), HTML)

    async def incident(self, request: web.Request) -> web.Response:
        found = await self._find(request.match_info["id"])
        if found is None:
            return not_found(self.pages.not_found(), HTML)
        return cached(request, self.pages.incident(found), HTML)

    async def chart(self, request: web.Request) -> web.Response:
        found = await self._find(request.match_info["id"])
        if found is None or found.record is None:
            return not_found(self.pages.not_found(), HTML)
        return cached(request, chart.render(found.record, found.ref).encode("utf-8"), SVG)

    async def atom(self, request: web.Request) -> web.Response:
        entries = await record.latest_statements(self.store)
        body = feed.atom(entries, base_url=self._base(), title=self.title, now=self.clock.now())
        return cached(request, body, ATOM)

    async def api_incidents(self, request: web.Request) -> web.Response:
        page = await record.front_page(self.store, self.clock.now())
        return cached(request, api.incidents_document(page, self._base()), JSON)

    async def api_incident(self, request: web.Request) -> web.Response:
        found = await self._find(request.match_info["id"])
        if found is None:
            return not_found(api.error_document("There is no public incident with this id."), JSON)
        return cached(request, api.incident_document(found, self._base()), JSON)

    async def schema(self, request: web.Request) -> web.Response:
        return cached(request, api.schema_bytes(), "application/schema+json")

    async def stylesheet(self, request: web.Request) -> web.Response:
        css = resources.files("bot.hub").joinpath("static", "hub.css").read_bytes()
        return cached(request, css, "text/css")

    async def _find(self, raw: str) -> record.PublicIncident | None:
        incident_id = _incident_id(raw)
        if incident_id is None:
            return None
        return await record.incident(self.store, incident_id, self.clock.now())


async def _to_front(_: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/status")


def register_hub(
    app: web.Application,
    store: Store,
    clock: Clock,
    *,
    base_url: Callable[[], str],
    title: str = DEFAULT_TITLE,
) -> None:
    """Add the hub's routes. ``base_url`` gives the public address (PUBLIC_URL, or the
    address actually bound) for the absolute links of the feed and the JSON."""
    hub = Hub(store, clock, base_url, title)
    app.router.add_get("/status", hub.front)
    app.router.add_get("/status/", _to_front)
    app.router.add_get("/status/incidents/{id}", hub.incident)
    app.router.add_get("/status/incidents/{id}/chart.svg", hub.chart)
    app.router.add_get("/status/feed.atom", hub.atom)
    app.router.add_get("/status/api/incidents.json", hub.api_incidents)
    app.router.add_get("/status/api/incidents.schema.json", hub.schema)
    app.router.add_get("/status/api/incidents/{id}.json", hub.api_incident)
    app.router.add_get("/status/static/hub.css", hub.stylesheet)
