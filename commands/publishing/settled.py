"""What a recorded delivery means for its statement: the first success publishes it and
resets the public-update clock (once); when every delivery has settled, the incident
channel is told where the statement went, and how to send it again where it failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from commands import effects
from commands.context import Deps
from commands.domain import statement_ref
from commands.ports import Line, Message, Strong
from commands.publishing import corrections
from commands.required import require
from commands.timing import update_clock as clockrules
from storage import Delivery, DeliveryState, Incident, Statement, StatementState, UnitOfWork


async def mark_published(uow: UnitOfWork, deps: Deps, statement_id: int, now: datetime) -> None:
    """The first successful delivery publishes the statement and resets the clock (once)."""
    statement = require(await uow.statements.get(statement_id), "statement")
    # Incident first, then the statement: the lock order of commands and reactions.
    incident = require(await uow.incidents.get(statement.incident_id, for_update=True), "incident")
    incident_id = require(incident.id, "incident id")
    if not await uow.statements.transition(
        statement_id, StatementState.APPROVED, StatementState.PUBLISHED, published_at=now
    ):
        return
    statement = require(await uow.statements.get(statement_id, for_update=True), "statement")
    await clockrules.public_update_published(uow, deps, incident, statement, now)
    await uow.timeline.add(
        incident_id,
        now,
        "statement_published",
        f"{statement_ref(statement.number)} published",
        statement=statement.number,
    )
    await corrections.on_published(uow, incident_id, statement, now)
    deps.later(uow, lambda: effects.refresh_draft(deps, statement_id), "refresh draft")
    # The pinned summary shows the public clock, which just moved.
    deps.later(uow, lambda: effects.refresh_summary(deps, incident_id), "refresh summary")


async def report_if_settled(uow: UnitOfWork, deps: Deps, statement_id: int, now: datetime) -> None:
    """Once every delivery is sent or failed, tell the incident channel where it went."""
    deliveries = await uow.deliveries.of_statement(statement_id)
    if any(d.state in (DeliveryState.PENDING, DeliveryState.SENDING) for d in deliveries):
        return
    statement = require(await uow.statements.get(statement_id), "statement")
    if statement.outcome_reported_at is not None:
        return
    statement.outcome_reported_at = now
    await uow.statements.save(statement)
    incident = require(await uow.incidents.get(statement.incident_id), "incident")
    corrected = await uow.statements.get(statement.corrects_id) if statement.corrects_id else None
    message = outcome_message(incident, statement, deliveries, deps, corrected)
    deps.later(
        uow,
        lambda: effects.say(deps, incident.platform, incident.channel_id, message),
        "report deliveries",
    )


def outcome_message(
    incident: Incident,
    statement: Statement,
    deliveries: Sequence[Delivery],
    deps: Deps,
    corrected: Statement | None = None,
) -> Message:
    ref = statement_ref(statement.number)
    sent = [deps.label(d.destination) for d in deliveries if d.state == DeliveryState.SENT]
    failed = [d for d in deliveries if d.state == DeliveryState.FAILED]
    lines: list[Line] = []
    if sent:
        lines.append((Strong(f"📣 {ref} is public"), f" — sent to {', '.join(sent)}."))
    for delivery in failed:
        lines.append(
            (
                Strong(f"❗ {ref} did not reach {deps.label(delivery.destination)}"),
                f": {delivery.last_error} (after {delivery.attempts} attempt"
                f"{'s' if delivery.attempts != 1 else ''}; an operator can send it again "
                f"with `candor deliveries retry {delivery.id}`).",
            )
        )
    if corrected is not None:
        lines.extend(corrections.report_lines(corrected, deliveries, deps.label))
    hub = deps.hub_url(incident)
    if hub and sent:
        lines.append((f"Status page: {hub}",))
    return Message(lines=tuple(lines))
