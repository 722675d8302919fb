"""The public-update clock (DESIGN §3): driven by what was actually published."""

from __future__ import annotations

from datetime import datetime, timedelta

from commands.context import Deps
from commands.domain import OPEN_STATES, RESOLVED
from commands.timing import reminders
from storage import Incident, Statement, UnitOfWork


def cadence(incident: Incident) -> timedelta:
    return timedelta(minutes=incident.cadence_minutes)


def next_due_after_publication(
    incident: Incident, published_at: datetime, promised: datetime | None
) -> datetime:
    """The earlier of published_at + cadence and the time the statement itself promised."""
    due = published_at + cadence(incident)
    if promised is not None and published_at < promised < due:
        return promised
    return due


async def start(uow: UnitOfWork, deps: Deps, incident: Incident, now: datetime) -> None:
    """At open: the first public update is due soon, by severity (practice 1)."""
    incident.next_update_due_at = now + deps.cadence.first[incident.severity]
    await uow.incidents.save(incident)
    await reminders.arm_update_clock(uow, incident, now)


async def public_update_published(
    uow: UnitOfWork, deps: Deps, incident: Incident, statement: Statement, now: datetime
) -> None:
    incident.last_public_update_at = now
    if statement.public_state == RESOLVED:  # the public knows it is over: the clock stops
        incident.next_update_due_at = None
    else:  # even if the team resolved it: until the public hears so, updates stay due
        incident.next_update_due_at = next_due_after_publication(
            incident, now, statement.promised_next_update_at
        )
    await uow.incidents.save(incident)
    await reminders.arm_update_clock(uow, incident, now)


async def change_cadence(
    uow: UnitOfWork, incident: Incident, every: timedelta, now: datetime
) -> None:
    """A new rhythm counts from the last public update; before the first one, the
    first-update deadline stands (acknowledging quickly matters more)."""
    incident.cadence_minutes = int(every.total_seconds() // 60)
    if incident.last_public_update_at is not None and incident.state in OPEN_STATES:
        incident.next_update_due_at = incident.last_public_update_at + every
    await uow.incidents.save(incident)
    await reminders.arm_update_clock(uow, incident, now)
