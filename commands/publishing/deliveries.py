"""The operator's view of the outbox (``candor deliveries list | retry``).

A delivery that ran out of attempts, or that a destination refused, stays
``failed`` until someone fixes the cause and asks for another try. A retry puts it
back in the queue with a fresh attempt budget; whoever runs the desk (this
process or the bot) sends it, and the incident channel hears the new outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from commands.context import Deps
from commands.domain import incident_ref, statement_ref
from commands.errors import InvalidTransition, NotFound
from commands.ports import Message, text
from commands.secrets import redact_urls
from storage import Delivery, DeliveryState, Incident, Statement

LIST_HINT = "`candor deliveries list --failed` shows the failed ones."


async def retry(deps: Deps, delivery_id: int, by: str) -> Message:
    """failed → pending; refuses (with the reason) an unknown or not-failed delivery."""
    now = deps.clock.now()
    async with deps.store.unit_of_work() as uow:
        delivery = await uow.deliveries.get(delivery_id)
        if delivery is None:
            raise NotFound(f"There is no delivery {delivery_id}.", LIST_HINT)
        statement = await uow.statements.get(delivery.statement_id)
        assert statement is not None
        # Incident, then statement, then delivery: the outbox's lock order.
        incident = await uow.incidents.get(statement.incident_id, for_update=True)
        statement = await uow.statements.get(delivery.statement_id, for_update=True)
        assert incident is not None and incident.id is not None and statement is not None
        if not await uow.deliveries.requeue_failed(delivery_id, now):
            await uow.session.refresh(delivery)
            raise _not_failed(delivery)
        statement.outcome_reported_at = None  # the channel hears how the retry went
        await uow.statements.save(statement)
        what = f"{statement_ref(statement.number)} to {deps.label(delivery.destination)}"
        await uow.timeline.add(
            incident.id,
            now,
            "delivery_retried",
            f"{what} queued again by {by}",
            actor_id=by,
            statement=statement.number,
            delivery=delivery_id,
        )
    return text(
        f"Delivery {delivery_id} ({incident_ref(incident.number)} {what}) is queued again.",
        "The running bot sends it within a minute; the incident channel hears how it went.",
    )


def _not_failed(delivery: Delivery) -> InvalidTransition:
    subject = f"Delivery {delivery.id} is {delivery.state}, not failed"
    if delivery.state == DeliveryState.SENT:
        when = f" at {delivery.sent_at:%Y-%m-%d %H:%M} UTC" if delivery.sent_at else ""
        return InvalidTransition(f"{subject}: it was delivered{when}.", "Nothing to retry.")
    return InvalidTransition(
        f"{subject}: it is still being tried (attempt {delivery.attempts}).",
        "Only a failed delivery can be retried; " + LIST_HINT,
    )


async def listing(deps: Deps, *, failed_only: bool = False, limit: int = 50) -> Message:
    """The latest deliveries, newest first, one line each."""
    async with deps.store.unit_of_work() as uow:
        rows = await uow.deliveries.listing(DeliveryState.FAILED if failed_only else None, limit)
    if not rows:
        return text("No failed deliveries." if failed_only else "No deliveries yet.")
    return Message(lines=tuple((line,) for line in _lines(deps, rows)))


def _lines(deps: Deps, rows: Sequence[tuple[Delivery, Statement, Incident]]) -> list[str]:
    lines = []
    for delivery, statement, incident in rows:
        line = (
            f"{delivery.id:>5}  {delivery.state:<7}  "
            f"{incident_ref(incident.number)} {statement_ref(statement.number)} → "
            f"{deps.label(delivery.destination)}  attempts {delivery.attempts}"
        )
        if delivery.state == DeliveryState.PENDING and delivery.next_attempt_at is not None:
            line += f"  next {_hhmm(delivery.next_attempt_at)}"
        if delivery.last_error and delivery.state != DeliveryState.SENT:
            line += f"  — {redact_urls(delivery.last_error)}"  # rows from before redaction
        lines.append(line)
    return lines


def _hhmm(moment: datetime) -> str:
    return f"{moment:%H:%M:%S} UTC"
