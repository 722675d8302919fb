"""Loading the rows the communication record is computed from, in one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from commands.record.communication import (
    CommunicationRecord,
    PublicRecord,
    communication_record,
    public_record,
)
from storage import Delivery, Incident, Statement, UnitOfWork


async def load_record(
    uow: UnitOfWork,
    incident: Incident,
    now: datetime,
    loaded: tuple[Sequence[Statement], Sequence[Delivery]] | None = None,
) -> CommunicationRecord:
    """``loaded``: the incident's statements and deliveries, when the caller has just
    read them in this unit of work (they are not read again)."""
    assert incident.id is not None
    statements, deliveries = loaded or (
        await uow.statements.of_incident(incident.id),
        await uow.deliveries.of_incident(incident.id),
    )
    return communication_record(
        incident,
        statements,
        deliveries,
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
