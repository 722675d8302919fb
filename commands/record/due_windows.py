"""The due time in force at every moment of an incident, replayed from stored rows with
the clock's own rules (``commands.timing.update_clock``): the first due time armed at open (the
first update reminder row); after each publication, the earlier of published +
cadence and the time the statement itself promised; after a cadence change, the last
publication + the new cadence; no due time once resolved. Reminder snoozes never
move it. Part of the communication record (``commands.record.communication``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import Incident, Reminder, Statement, TimelineEvent

_WAS_MINUTES = re.compile(r"\(was (\d+) min\)")


@dataclass(frozen=True)
class DueWindow:
    """From ``start`` to ``end`` the next public update was due at ``due_at``."""

    start: datetime
    end: datetime
    due_at: datetime
    ended_by: str  # "S3", "resolution", "new due time" (a cadence change) or "now"


@dataclass(frozen=True)
class Overdue(DueWindow):
    """An update was due (since ``due_at``) and none came from ``start`` to ``end``."""


@dataclass(frozen=True)
class _Change:
    """Something that moves the due time: a publication, a cadence change, resolution."""

    at: datetime
    order: int  # at the same instant: publications, then cadence changes, then resolution
    label: str
    statement: Statement | None = None
    minutes: int | None = None


def _initial_cadence(incident: Incident, events: Sequence[TimelineEvent]) -> int:
    """The cadence at open: what the first cadence change replaced, else today's."""
    for event in events:
        if event.kind == "cadence":
            before = event.data.get("before")
            if isinstance(before, int):
                return before
            match = _WAS_MINUTES.search(event.text)  # rows written before "before" was kept
            if match:
                return int(match.group(1))
    return incident.cadence_minutes


def _first_due(incident: Incident, reminders: Sequence[Reminder], cadence: int) -> datetime:
    """The first due time, as armed at open (the incident's first update reminder)."""
    armed = [r for r in reminders if r.kind == "update" and r.incident_id == incident.id]
    if armed:
        return min(armed, key=lambda r: r.id or 0).due_at
    return incident.opened_at + timedelta(minutes=cadence)


def _changes(
    published: Sequence[Statement], resolved_at: datetime | None, events: Sequence[TimelineEvent]
) -> list[_Change]:
    changes = [
        _Change(s.published_at, 0, f"S{s.number}", statement=s)
        for s in published
        if s.published_at is not None
    ]
    for event in events:
        minutes = event.data.get("minutes")
        if event.kind == "cadence" and isinstance(minutes, int):
            changes.append(_Change(event.at, 1, "new due time", minutes=minutes))
    if resolved_at is not None:
        changes.append(_Change(resolved_at, 2, "resolution"))
    return sorted(changes, key=lambda c: (c.at, c.order))


def _next_due(
    change: _Change, due: datetime | None, cadence: int, last: datetime | None
) -> datetime | None:
    """The due time after ``change`` (clockrules.next_due_after_publication, change_cadence)."""
    if due is None or change.label == "resolution":
        return None  # the clock has stopped
    if change.statement is not None:
        every = change.at + timedelta(minutes=cadence)
        promised = change.statement.promised_next_update_at
        return promised if promised is not None and change.at < promised < every else every
    if last is not None:
        return last + timedelta(minutes=cadence)
    return due  # before the first publication the first deadline stands


def replay(
    incident: Incident,
    published: Sequence[Statement],
    resolved_at: datetime | None,
    events: Sequence[TimelineEvent],
    reminders: Sequence[Reminder],
    end: datetime,
) -> tuple[list[DueWindow], dict[int, datetime | None]]:
    """Windows of constant due time, and the due time in force at each publication; the
    clock stops at ``resolved_at``, when the public was told it is resolved."""
    cadence = _initial_cadence(incident, events)
    due: datetime | None = _first_due(incident, reminders, cadence)
    start, last = incident.opened_at, None
    windows: list[DueWindow] = []
    at_publication: dict[int, datetime | None] = {}
    for change in _changes(published, resolved_at, events):
        if change.statement is not None:
            at_publication[change.statement.number] = due
        if change.minutes is not None:
            cadence = change.minutes
        new_due = _next_due(change, due, cadence, last)
        if change.statement is not None:
            last = change.at
        if new_due != due:
            if due is not None and change.at > start:
                windows.append(DueWindow(start, change.at, due, change.label))
            start, due = change.at, new_due
    if due is not None and end > start:
        windows.append(DueWindow(start, end, due, "now"))
    return windows, at_publication


def overdue(windows: Sequence[DueWindow]) -> tuple[Overdue, ...]:
    """Where the due time had passed with no update; back-to-back stretches merge."""
    stretches: list[Overdue] = []
    for window in windows:
        ended_by = window.ended_by
        if window.due_at >= window.end:
            continue
        start = max(window.start, window.due_at)
        if stretches and stretches[-1].end == start:
            previous = stretches.pop()
            stretches.append(Overdue(previous.start, window.end, previous.due_at, ended_by))
        else:
            stretches.append(Overdue(start, window.end, window.due_at, ended_by))
    return tuple(stretches)
