"""Durations and times as people type them: ``30m``, ``2h``, ``1h30m``, ``14:00``, ISO 8601.

All times are UTC; a time of day that has already passed today means tomorrow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

_UNIT_MINUTES = {"m": 1, "min": 1, "mins": 1, "h": 60, "hr": 60, "hrs": 60, "d": 1440}
_DURATION = re.compile(r"(\d{1,4})\s*(mins|min|m|hrs|hr|h|d)", re.IGNORECASE)
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?:\s*utc|z)?$", re.IGNORECASE)

DURATION_HELP = "a duration like 30m, 2h, 1h30m or 1d"
TIME_HELP = "30m, 2h, 1d, a UTC time like 14:00, or ISO 8601 like 2026-05-01T14:00Z"


def parse_duration(value: str) -> timedelta | None:
    """``30m``, ``2h``, ``1h30m``, ``1d``, or bare minutes; None if it is not a duration."""
    value = value.strip().lower()
    if value.isdecimal() and len(value) <= 5:
        return timedelta(minutes=int(value))
    position, minutes = 0, 0
    for match in _DURATION.finditer(value):
        if match.start() != position:
            return None
        minutes += int(match.group(1)) * _UNIT_MINUTES[match.group(2).lower()]
        position = match.end()
    if position == 0 or position != len(value):
        return None
    return timedelta(minutes=minutes)


@dataclass(frozen=True)
class When:
    """A point in time as typed, resolved against the clock by ``at``."""

    delta: timedelta | None = None
    absolute: datetime | None = None
    clock: time | None = None

    def at(self, now: datetime) -> datetime:
        if self.delta is not None:
            return now + self.delta
        if self.absolute is not None:
            return self.absolute
        assert self.clock is not None
        candidate = datetime.combine(now.date(), self.clock, tzinfo=UTC)
        return candidate if candidate > now else candidate + timedelta(days=1)


def parse_when(value: str) -> When | None:
    """A due time: a duration from now, a UTC time of day, or ISO 8601."""
    value = value.strip()
    duration = parse_duration(value)
    if duration is not None:
        return When(delta=duration)
    clock = _CLOCK.match(value)
    if clock:
        return When(clock=time(int(clock.group(1)), int(clock.group(2))))
    if not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return When(absolute=parsed.astimezone(UTC))
    except (ValueError, OverflowError):  # not a date, or outside year 1..9999 in UTC
        return None


def format_time(moment: datetime, now: datetime) -> str:
    """``14:30 UTC`` today, ``Sun 22 Nov 14:30 UTC`` on another day."""
    moment = moment.astimezone(UTC)
    if moment.date() == now.astimezone(UTC).date():
        return moment.strftime("%H:%M UTC")
    return moment.strftime("%a %d %b %H:%M UTC")


def format_duration(delta: timedelta) -> str:
    """``45 min``, ``2 h 5 min``, ``1 d 3 h``."""
    minutes = max(0, round(delta.total_seconds() / 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts[:2])


def relative(moment: datetime, now: datetime) -> str:
    """``in 12 min`` or ``overdue by 3 min`` (for due times)."""
    if moment >= now:
        return f"in {format_duration(moment - now)}"
    return f"overdue by {format_duration(now - moment)}"


_PROMISE = re.compile(
    r"(?:next|further)\s+update[^.\n]{0,40}?\b(?:by|at|around|before)\s+"
    r"([01]?\d|2[0-3]):([0-5]\d)",
    re.IGNORECASE,
)
_PROMISE_IN = re.compile(
    r"(?:next|further)\s+update\s+(?:with)?in\s+(\d{1,3})\s*(minutes|minute|mins|min|hours|hour|h)",
    re.IGNORECASE,
)


def promised_update(body: str, now: datetime) -> datetime | None:
    """The next-update time a statement promises ("next update by 14:30 UTC"), if any."""
    match = _PROMISE.search(body)
    if match:
        return When(clock=time(int(match.group(1)), int(match.group(2)))).at(now)
    match = _PROMISE_IN.search(body)
    if match:
        amount = int(match.group(1))
        unit = match.group(2).lower()
        return now + (
            timedelta(hours=amount) if unit.startswith("h") else timedelta(minutes=amount)
        )
    return None


def promise_from(body: str, stored: datetime | None, now: datetime) -> datetime | None:
    """The promise as it will read when published at ``now``: "next update in 30 minutes"
    counts from publication; a clock time means what it meant when it was written."""
    if _PROMISE.search(body) is None and (match := _PROMISE_IN.search(body)):
        return promised_update(match.group(0), now)
    return stored


def with_promise(body: str, at: datetime) -> str | None:
    """The body with its promised clock time replaced by ``at`` (None: it names no clock
    time to replace)."""
    match = _PROMISE.search(body)
    if match is None:
        return None
    start, end = match.span(1)[0], match.span(2)[1]
    return f"{body[:start]}{at.astimezone(UTC):%H:%M}{body[end:]}"
