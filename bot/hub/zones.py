"""The reader's time zone on the hub, without script: ``?tz=Europe/Paris``.

Every time stays in UTC (what the statements and the chart say); with a zone chosen it
is also shown in that zone, and the hub's own links carry the choice so it is kept
from page to page. Only names the system's IANA database knows are taken; anything else
shows UTC with a note. The name asked for is never echoed back, so the cache keeps at
most one rendering per known zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

# Offered in the form's list; any other IANA name typed or linked works too.
COMMON = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Helsinki",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


@cache
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


@dataclass(frozen=True)
class Zone:
    name: str | None = None  # None: UTC only
    unknown: bool = False  # a zone was asked for that the database does not know

    @property
    def query(self) -> str:
        """What the hub's links add to keep the choice (``?tz=Europe%2FParis``)."""
        return f"?{urlencode({'tz': self.name})}" if self.name else ""

    def link(self, path: str) -> str:
        return f"{path}{self.query}"

    def local(self, moment: datetime) -> str:
        """``16:30 Europe/Paris`` (with the day when it differs from UTC's)."""
        if self.name is None:
            return ""
        there = moment.astimezone(ZoneInfo(self.name))
        day = "" if there.date() == moment.date() else f"{there.day} {there:%b}, "
        return f"{day}{there:%H:%M} {self.name}"


UTC_ONLY = Zone()


def zone_of(raw: str | None) -> Zone:
    """The zone a request asks for: none or ``UTC`` is UTC only; unknown is noted."""
    name = (raw or "").strip()
    if not name or name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC_ONLY
    if name in _known():
        return Zone(name)
    return Zone(unknown=True)
