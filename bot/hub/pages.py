"""Server-rendered HTML of the hub (Jinja2, autoescaped: statement text is user text)."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup

from bot.hub import chart
from bot.hub.record import FrontPage, PublicIncident
from bot.hub.templating import hub_environment
from bot.hub.zones import COMMON, UTC_ONLY, Zone
from commands import PublicRecord, format_time, late, span


def iso(moment: datetime) -> str:
    """Machine-readable UTC time, e.g. ``2026-11-21T14:30:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def human(moment: datetime) -> str:
    """Readable UTC time, e.g. ``21 Nov 2026, 14:30 UTC``."""
    utc = moment.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y, %H:%M} UTC"


def _link(number: int) -> str:
    return f'<a href="#s{number}">S{number}</a>'


def late_updates(record: PublicRecord) -> Markup:
    """The late updates in the words every other surface uses, each one that came linked
    to it on the page; times as ``13:08 UTC`` (with the date on another day)."""
    words = late(record.late_updates, lambda moment: format_time(moment, record.opened_at), _link)
    return Markup(words)  # noqa: S704 (our own words: S-numbers, times and spans, no user text)


class Pages:
    def __init__(self, site_title: str, *, email_offered: bool = False) -> None:
        self.site_title, self.email_offered = site_title, email_offered
        self.env = hub_environment()
        self.env.filters["iso"] = iso
        self.env.filters["human"] = human
        self.env.filters["span"] = span
        self.env.filters["late_updates"] = late_updates

    def _render(self, name: str, zone: Zone = UTC_ONLY, **values: object) -> bytes:
        html = self.env.get_template(name).render(
            site_title=self.site_title, zone=zone, zones=COMMON, **values
        )
        return html.encode("utf-8")

    def front(self, page: FrontPage, zone: Zone = UTC_ONLY) -> bytes:
        return self._render("index.html", zone, page=page)

    def incident(self, incident: PublicIncident, zone: Zone = UTC_ONLY) -> bytes:
        svg = None
        if incident.record is not None:  # our own markup; every user text in it is escaped
            svg = Markup(chart.render(incident.record, incident.ref, id_prefix="chart"))  # noqa: S704
        return self._render(
            "incident.html", zone, incident=incident, chart=svg, email=self.email_offered
        )

    def not_found(self, zone: Zone = UTC_ONLY) -> bytes:
        return self._render("not_found.html", zone)

    def unavailable(self) -> bytes:
        return self._render("unavailable.html")
