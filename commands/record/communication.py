"""The communication record of an incident (CRISIS-COMMS.md practice 8): how well the
public was kept informed. Computed from stored rows only, by one pure function, so
`/incident status`, the postmortem, the status hub and `candor export` show the same
figures. The due time in force at each moment comes from ``commands.record.due_windows``.

Postmortems are written after the fact, so they are not "public updates": publishing
one changes none of these figures.

A *late update* has one definition here, and every surface counts it from
``PublicRecord.late_updates``: a time an update was due that passed before one was
published — whether the update finally came (late), never came (the incident was
resolved, or the cadence changed, first), or has not come yet (open, overdue now).
One per overdue stretch of the clock (``record_clock.overdue``), so the shaded
stretches of the hub's chart, the late updates and the lateness of each published
update are the same facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from commands.publishing.public_facts import FIRST_PUBLIC_STATE, public_facts
from commands.record.due_windows import DueWindow, Overdue, overdue, replay
from storage import (
    Delivery,
    DeliveryState,
    Incident,
    IncidentState,
    Reminder,
    Statement,
    TimelineEvent,
)

NOT_UPDATES = frozenset({"postmortem"})


@dataclass(frozen=True)
class PublicUpdate:
    number: int
    kind: str
    published_at: datetime
    # The due time it answered: the one in force when it went out (None: clock stopped),
    # or, when it came late, the first one the public waited past (``LateUpdate.due_at``).
    due_at: datetime | None
    late_by: timedelta | None  # how long after ``due_at`` it went out; None: on time


@dataclass(frozen=True)
class LateUpdate:
    """A time an update was due that passed before one was published. ``number`` is
    the update that finally came; None when none came before the wait ended
    (``ended_by``: "resolution", "new due time" — the cadence changed — or "now": the
    incident is open and the update is still overdue)."""

    due_at: datetime
    until: datetime  # when the wait ended: the late update, resolution, a cadence change, now
    ended_by: str  # "S3", "resolution", "new due time" or "now"
    number: int | None

    @property
    def late_by(self) -> timedelta:
        return self.until - self.due_at


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
    late_updates: tuple[LateUpdate, ...]  # the one count of late updates (module doc)
    overdue: tuple[Overdue, ...]  # the same stretches, from when each began: for the chart
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
    states: tuple[StateChange, ...]  # as the team moved it (the timeline), for the team
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
    # The public clock stops when the public is told it is resolved, not when the team
    # resolved it (DESIGN §4); until then updates stay due.
    resolved_at = told.resolved_at if (told := public_facts(published)) else None
    end = resolved_at or now
    windows, due_at_publication = replay(incident, published, resolved_at, events, reminders, end)
    stretches = overdue(windows)
    late = _late_updates(stretches, [s.number for s in published if _is_update(s)])
    came_late = {item.number: item for item in late if item.number is not None}
    updates = tuple(
        _update(s, due_at_publication.get(s.number), came_late.get(s.number))
        for s in published
        if _is_update(s)
    )
    current = late[-1] if late and late[-1].ended_by == "now" else None
    return PublicRecord(
        opened_at=incident.opened_at,
        resolved_at=resolved_at,
        as_of=now,
        updates=updates,
        update_count=len(updates),
        first_update_after=updates[0].published_at - incident.opened_at if updates else None,
        longest_silence=_longest_silence(incident, updates, end, resolved_at is not None),
        late_updates=late,
        overdue=stretches,
        overdue_now=current.late_by if current is not None else None,
        due_windows=tuple(windows),
        states=_states(incident, published),
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
        if d.attempts > 1
        or d.state == DeliveryState.FAILED
        or (d.state == DeliveryState.PENDING and d.last_error)
    )
    took = sorted(a.took for a in approvals)
    return CommunicationRecord(
        public=public_record(incident, statements, events, reminders, now),
        states=_team_states(incident, events),
        approvals=approvals,
        approval_median=_median(took),
        approval_max=took[-1] if took else None,
        deliveries=len(ours),
        deliveries_retried=sum(1 for d in ours if d.attempts > 1),
        deliveries_failed=sum(1 for d in ours if d.state == DeliveryState.FAILED),
        troubled=troubled,
    )


def _is_update(statement: Statement) -> bool:
    return statement.published_at is not None and statement.kind not in NOT_UPDATES


def _late_updates(stretches: Sequence[Overdue], numbers: Sequence[int]) -> tuple[LateUpdate, ...]:
    """One late update per overdue stretch: the update that ended it, if one did."""
    by_label = {f"S{number}": number for number in numbers}
    return tuple(
        LateUpdate(s.due_at, s.end, s.ended_by, by_label.get(s.ended_by)) for s in stretches
    )


def _update(statement: Statement, due_at: datetime | None, late: LateUpdate | None) -> PublicUpdate:
    assert statement.published_at is not None
    if late is not None:
        return PublicUpdate(
            statement.number, statement.kind, statement.published_at, late.due_at, late.late_by
        )
    return PublicUpdate(statement.number, statement.kind, statement.published_at, due_at, None)


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def _longest_silence(
    incident: Incident, updates: Sequence[PublicUpdate], end: datetime, resolved: bool
) -> Silence | None:
    points = [("open", incident.opened_at)]
    points += [(f"S{u.number}", u.published_at) for u in updates if u.published_at <= end]
    points.append(("resolution" if resolved else "now", end))
    gaps = [
        Silence(start, stop, after, until) for (after, start), (until, stop) in pairwise(points)
    ]
    return max(gaps, key=lambda gap: gap.length, default=None)


def _states(incident: Incident, published: Sequence[Statement]) -> tuple[StateChange, ...]:
    """Where the incident stood as the public was told it: the state each published
    statement carried, from the first one (shown from the opening)."""
    carried = [s for s in published if s.published_at is not None and s.public_state]
    first = carried[0].public_state if carried else None
    changes = [StateChange(incident.opened_at, first or FIRST_PUBLIC_STATE)]
    for statement in carried:
        assert statement.published_at is not None and statement.public_state is not None
        if statement.public_state != changes[-1].state:
            changes.append(StateChange(statement.published_at, statement.public_state))
    return tuple(changes)


def _team_states(incident: Incident, events: Sequence[TimelineEvent]) -> tuple[StateChange, ...]:
    """Where the team moved the incident, when (the state changes on its timeline)."""
    changes = [StateChange(incident.opened_at, FIRST_PUBLIC_STATE)]
    for event in events:
        after = event.data.get("after")
        if event.kind == "state" and isinstance(after, str):
            changes.append(StateChange(event.at, after))
        elif event.kind in ("resolved", "reopened"):
            changes.append(
                StateChange(
                    event.at,
                    IncidentState.RESOLVED if event.kind == "resolved" else FIRST_PUBLIC_STATE,
                )
            )
    return tuple(changes)
