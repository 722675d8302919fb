"""The outbox: deliver approved statements to every public destination, once each.

Rows are written in the transaction that approves a statement. ``deliver_due``
claims each due row (pending → sending) so only one worker sends it, sends it
through its ``Destination``, and records the outcome. The first success marks the
statement published and resets the public-update clock.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from commands import clockrules, effects
from commands.context import Deps
from commands.domain import incident_ref, statement_ref
from commands.ports import DeliveryFailed, Line, Message, Publication, Strong
from storage import Delivery, Incident, Statement, UnitOfWork

log = logging.getLogger("candor.outbox")

MAX_ATTEMPTS = 5
STALE_SENDING = timedelta(minutes=2)


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with jitter: ~10 s, 20 s, 40 s, 80 s."""
    base = 10 * 2 ** max(0, attempt - 1)
    return timedelta(seconds=base * (0.8 + 0.4 * random.random()))


async def enqueue(uow: UnitOfWork, deps: Deps, statement: Statement, now: datetime) -> list[str]:
    """Write one pending delivery per destination (same transaction as the approval)."""
    assert statement.id is not None
    for key in deps.destinations:
        await uow.deliveries.add(
            Delivery(
                statement_id=statement.id,
                destination=key,
                state="pending",
                next_attempt_at=now,
                created_at=now,
            )
        )
    return [d.label for d in deps.destinations.values()]


async def deliver_due(deps: Deps) -> int:
    """Send every delivery that is due; returns how many were attempted here."""
    async with deps.store.unit_of_work() as uow:
        ids = await uow.deliveries.due_ids(deps.clock.now())
    attempted = 0
    for delivery_id in ids:
        attempted += await deliver(deps, delivery_id)
    return attempted


async def _claim(deps: Deps, delivery_id: int) -> tuple[Delivery, Publication] | None:
    now = deps.clock.now()
    async with deps.store.unit_of_work() as uow:
        if not await uow.deliveries.claim(delivery_id, now):
            return None
        delivery = await uow.deliveries.get(delivery_id)
        assert delivery is not None
        statement = await uow.statements.get(delivery.statement_id)
        assert statement is not None
        incident = await uow.incidents.get(statement.incident_id)
        assert incident is not None and delivery.id is not None
        return delivery, Publication(
            delivery_id=delivery.id,
            incident_id=statement.incident_id,
            incident_ref=incident_ref(incident.number),
            incident_title=incident.title,
            severity=incident.severity,
            state=incident.state,
            statement_ref=statement_ref(statement.number),
            kind=statement.kind,
            body=statement.body,
            signer=statement.signer,
            published_at=statement.published_at or now,
            hub_url=deps.hub_url(incident),
            attempt=delivery.attempts,
        )


async def deliver(deps: Deps, delivery_id: int) -> int:
    claimed = await _claim(deps, delivery_id)
    if claimed is None:
        return 0
    delivery, publication = claimed
    destination = deps.destinations.get(delivery.destination)
    external_id, error, retryable = None, None, False
    if destination is None:
        error = "this destination is no longer configured"
    else:
        try:
            external_id = await destination.deliver(publication)
        except DeliveryFailed as failure:
            error, retryable = failure.reason, failure.retryable
        except Exception as crash:  # a destination bug must not stop the others
            log.exception("delivery %s to %s crashed", delivery_id, delivery.destination)
            error, retryable = f"unexpected error ({type(crash).__name__})", True
    await _record(deps, delivery_id, external_id, error, retryable)
    return 1


async def _record(
    deps: Deps, delivery_id: int, external_id: str | None, error: str | None, retryable: bool
) -> None:
    now = deps.clock.now()
    async with deps.store.unit_of_work() as uow:
        delivery = await uow.deliveries.get(delivery_id)
        assert delivery is not None
        if error is None:
            delivery.state, delivery.external_id, delivery.sent_at = "sent", external_id, now
            delivery.last_error = None
        elif retryable and delivery.attempts < MAX_ATTEMPTS:
            delivery.state, delivery.last_error = "pending", error[:500]
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        else:
            delivery.state, delivery.last_error = "failed", error[:500]
        await uow.deliveries.save(delivery)
        if error is None:
            await _mark_published(uow, deps, delivery.statement_id, now)
        await _report_if_settled(uow, deps, delivery.statement_id, now)


async def _mark_published(uow: UnitOfWork, deps: Deps, statement_id: int, now: datetime) -> None:
    """The first successful delivery publishes the statement and resets the clock (once)."""
    statement = await uow.statements.get(statement_id)
    assert statement is not None
    # Incident first, then the statement: the lock order of commands and reactions.
    incident = await uow.incidents.get(statement.incident_id, for_update=True)
    assert incident is not None and incident.id is not None
    if not await uow.statements.transition(statement_id, "approved", "published", published_at=now):
        return
    statement = await uow.statements.get(statement_id, for_update=True)
    assert statement is not None
    await clockrules.public_update_published(uow, deps, incident, statement, now)
    await uow.timeline.add(
        incident.id,
        now,
        "statement_published",
        f"{statement_ref(statement.number)} published",
        statement=statement.number,
    )
    deps.later(uow, lambda: effects.refresh_draft(deps, statement_id), "refresh draft")


async def _report_if_settled(uow: UnitOfWork, deps: Deps, statement_id: int, now: datetime) -> None:
    """Once every delivery is sent or failed, tell the incident channel where it went."""
    deliveries = await uow.deliveries.of_statement(statement_id)
    if any(d.state in ("pending", "sending") for d in deliveries):
        return
    statement = await uow.statements.get(statement_id)
    assert statement is not None
    if statement.outcome_reported_at is not None:
        return
    statement.outcome_reported_at = now
    await uow.statements.save(statement)
    incident = await uow.incidents.get(statement.incident_id)
    assert incident is not None
    message = outcome_message(incident, statement, deliveries, deps)
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
) -> Message:
    ref = statement_ref(statement.number)
    labels = {key: dest.label for key, dest in deps.destinations.items()}
    sent = [labels.get(d.destination, d.destination) for d in deliveries if d.state == "sent"]
    failed = [d for d in deliveries if d.state == "failed"]
    lines: list[Line] = []
    if sent:
        lines.append((Strong(f"📣 {ref} is public"), f" — sent to {', '.join(sent)}."))
    for delivery in failed:
        label = labels.get(delivery.destination, delivery.destination)
        lines.append(
            (
                Strong(f"❗ {ref} did not reach {label}"),
                f": {delivery.last_error} (after {delivery.attempts} attempt"
                f"{'s' if delivery.attempts != 1 else ''}).",
            )
        )
    hub = deps.hub_url(incident)
    if hub and sent:
        lines.append((f"Status page: {hub}",))
    return Message(lines=tuple(lines))
