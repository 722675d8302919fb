"""The communication record of an incident (CRISIS-COMMS.md practice 8): how well the
public was kept informed. Computed from stored rows only, by one pure function, so
`/incident status`, the postmortem, the status hub and `candor export` show the same
figures. The due time in force at each moment comes from ``commands.record_clock``.

Postmortems are written after the fact, so they are not "public updates": publishing
one changes none of these figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from commands.record_clock import DueWindow, Overdue, overdue, replay
from storage import Delivery, Incident, Reminder, Statement, TimelineEvent

NOT_UPDATES = frozenset({"postmortem"})


@dataclass(frozen=True)
class PublicUpdate:
    number: int
    kind: str
    published_at: datetime
    due_at: datetime | None  # the due time in force when it went out; None: clock stopped
    late_by: timedelta | None  # how long after ``due_at`` it went out; None: on time


@dataclass(frozen=True)
class Silence:
    """The longest stretch the public heard nothing new."""

    start: datetime
    end: datetime
    after: str  # "open" or "S2"
    until: str  # "S3", "resolution" or "now"

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class StateChange:
    at: datetime
    state: str


@dataclass(frozen=True)
class PublicRecord:
    """Figures built only from what was published and when it was due: fit for the hub."""

    opened_at: datetime
    resolved_at: datetime | None
    as_of: datetime
    updates: tuple[PublicUpdate, ...]
    update_count: int
    first_update_after: timedelta | None
    longest_silence: Silence | None
    late_updates: tuple[PublicUpdate, ...]
    overdue: tuple[Overdue, ...]
    overdue_now: timedelta | None  # open and past due right now: by how much
    due_windows: tuple[DueWindow, ...]
    states: tuple[StateChange, ...]

    @property
    def end(self) -> datetime:
        """Where the record stops: the resolution, or now while the incident is open."""
        return self.resolved_at or self.as_of


@dataclass(frozen=True)
class Turnaround:
    number: int
    kind: str
    drafted_at: datetime
    approved_at: datetime
    took: timedelta


@dataclass(frozen=True)
class DeliveryTrouble:
    """A delivery that needed more than one attempt, or failed."""

    number: int  # the statement
    destination: str  # the destination key
    state: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class CommunicationRecord:
    public: PublicRecord
    approvals: tuple[Turnaround, ...]
    approval_median: timedelta | None
    approval_max: timedelta | None
    deliveries: int
    deliveries_retried: int
    deliveries_failed: int
    troubled: tuple[DeliveryTrouble, ...]


def public_record(
    incident: Incident,
    statements: Sequence[Statement],
    events: Sequence[TimelineEvent],
    reminders: Sequence[Reminder],
    now: datetime,
) -> PublicRecord:
    """The public half of the record (no approvals, no deliveries)."""
    published = sorted(
        (s for s in statements if s.published_at is not None),
        key=lambda s: (s.published_at, s.number),
    )
    end = incident.resolved_at or now
    windows, due_at_publication = replay(incident, published, events, reminders, end)
    updates = tuple(
        _update(s, due_at_publication.get(s.number)) for s in published if _is_update(s)
    )
    stretches = overdue(windows)
    current = stretches[-1] if stretches and incident.resolved_at is None else None
    return PublicRecord(
        opened_at=incident.opened_at,
        resolved_at=incident.resolved_at,
        as_of=now,
        updates=updates,
        update_count=len(updates),
        first_update_after=updates[0].published_at - incident.opened_at if updates else None,
        longest_silence=_longest_silence(incident, updates, end),
        late_updates=tuple(u for u in updates if u.late_by is not None),
        overdue=stretches,
        overdue_now=now - current.due_at if current and current.ended_by == "now" else None,
        due_windows=tuple(windows),
        states=_states(incident, events),
    )


def communication_record(
    incident: Incident,
    statements: Sequence[Statement],
    deliveries: Sequence[Delivery],
    events: Sequence[TimelineEvent],
    reminders: Sequence[Reminder],
    now: datetime,
) -> CommunicationRecord:
    """Every figure of the record, from the incident's stored rows."""
    counted = [s for s in statements if _is_update(s)]
    approvals = tuple(
        Turnaround(s.number, s.kind, s.created_at, s.approved_at, s.approved_at - s.created_at)
        for s in counted
        if s.approved_at is not None
    )
    numbers = {s.id: s.number for s in counted}
    ours = sorted(
        (d for d in deliveries if d.statement_id in numbers),
        key=lambda d: (numbers[d.statement_id], d.id or 0),
    )
    troubled = tuple(
        DeliveryTrouble(numbers[d.statement_id], d.destination, d.state, d.attempts, d.last_error)
        for d in ours
        if d.attempts > 1 or d.state == "failed" or (d.state == "pending" and d.last_error)
    )
    took = sorted(a.took for a in approvals)
    return CommunicationRecord(
        public=public_record(incident, statements, events, reminders, now),
        approvals=approvals,
        approval_median=_median(took),
        approval_max=took[-1] if took else None,
        deliveries=len(ours),
        deliveries_retried=sum(1 for d in ours if d.attempts > 1),
        deliveries_failed=sum(1 for d in ours if d.state == "failed"),
        troubled=troubled,
    )


def _is_update(statement: Statement) -> bool:
    return statement.published_at is not None and statement.kind not in NOT_UPDATES


def _update(statement: Statement, due_at: datetime | None) -> PublicUpdate:
    assert statement.published_at is not None
    late = statement.published_at - due_at if due_at and statement.published_at > due_at else None
    return PublicUpdate(statement.number, statement.kind, statement.published_at, due_at, late)


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def _longest_silence(
    incident: Incident, updates: Sequence[PublicUpdate], end: datetime
) -> Silence | None:
    points = [("open", incident.opened_at)]
    points += [(f"S{u.number}", u.published_at) for u in updates if u.published_at <= end]
    points.append(("resolution" if incident.resolved_at else "now", end))
    gaps = [
        Silence(start, stop, after, until) for (after, start), (until, stop) in pairwise(points)
    ]
    return max(gaps, key=lambda gap: gap.length, default=None)


def _states(incident: Incident, events: Sequence[TimelineEvent]) -> tuple[StateChange, ...]:
    changes = [StateChange(incident.opened_at, "investigating")]
    for event in events:
        after = event.data.get("after")
        if event.kind == "state" and isinstance(after, str):
            changes.append(StateChange(event.at, after))
    if incident.resolved_at is not None:
        changes.append(StateChange(incident.resolved_at, "resolved"))
    return tuple(changes)
