"""Loading the rows the communication record is computed from, in one unit of work."""

from __future__ import annotations

from datetime import datetime

from commands.record.communication import (
    CommunicationRecord,
    PublicRecord,
    communication_record,
    public_record,
)
from storage import Incident, UnitOfWork


async def load_record(uow: UnitOfWork, incident: Incident, now: datetime) -> CommunicationRecord:
    assert incident.id is not None
    return communication_record(
        incident,
        await uow.statements.of_incident(incident.id),
        await uow.deliveries.of_incident(incident.id),
        await uow.timeline.of_incident(incident.id),
        await uow.reminders.of_incident(incident.id, "update"),
        now,
    )


async def load_public_record(uow: UnitOfWork, incident: Incident, now: datetime) -> PublicRecord:
    """The public half only: approvals and deliveries are not even read."""
    assert incident.id is not None
    return public_record(
        incident,
        await uow.statements.of_incident(incident.id),
        await uow.timeline.of_incident(incident.id),
        await uow.reminders.of_incident(incident.id, "update"),
        now,
    )
