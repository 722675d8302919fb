"""The outbox: deliver approved statements to every public destination, once each.

Rows are written in the transaction that approves a statement. ``deliver_due``
hands each due row to its destination's courier (``couriers``) and returns at once:
every destination has its own queue, its own concurrency and a deadline per attempt
(``attempts``), so a slow mail server or a webhook that never answers holds up
nobody else. A courier claims each row (pending → sending) so only one worker sends
it, sends it through its ``Destination``, and records the outcome. The first success
marks the statement published and resets the public-update clock.

The first configured destination (the status hub, in the runtime) is served
first: every other message links to a page that already shows the statement, so
the others get a statement once the first has had its attempt at it (whatever its
outcome). One destination gets one incident's deliveries one after another, oldest
first. A claim is a lease, renewed while the attempt runs (``lease``): a row still
``sending`` after ``STALE_SENDING`` belonged to a process that died between sending
and recording, and goes back to the queue. The retry carries
the same delivery id, so destinations that can (webhook-id, Slack metadata) make
sure the receiver sees it once. A correction is served by ``corrections``: it goes
where its original went, and marks the original corrected where it can be edited.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from commands.context import Deps
from commands.domain import incident_ref, statement_ref
from commands.ports import CorrectedRef, Publication
from commands.publishing import corrections, lease, settled
from commands.publishing.attempts import Outcome, attempt_timeout, concurrency, guarded
from commands.publishing.couriers import Couriers
from commands.required import require
from storage import Delivery, DeliveryState, Incident, Statement, UnitOfWork

log = logging.getLogger("candor.outbox")

MAX_ATTEMPTS = 5
STALE_SENDING = lease.LEASE  # renewed while the sender lives: only a dead one's lapses
BATCH = 100  # due deliveries looked at per round (besides those the couriers hold)
HORIZON = timedelta(days=3650)  # "any time": the next pending delivery, however far
MAX_RETRY_AFTER = timedelta(hours=1)


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with jitter: ~10 s, 20 s, 40 s, 80 s."""
    base = 10 * 2 ** max(0, attempt - 1)
    return timedelta(seconds=base * (0.8 + 0.4 * random.random()))


def retry_delay(attempt: int, retry_after: timedelta | None) -> timedelta:
    """The destination's own Retry-After when it gave one (within reason), else backoff."""
    if retry_after is None:
        return backoff(attempt)
    return min(max(retry_after, timedelta(seconds=1)), MAX_RETRY_AFTER)


async def enqueue(uow: UnitOfWork, deps: Deps, statement: Statement, now: datetime) -> list[str]:
    """Write one pending delivery per destination (same transaction as the approval)."""
    statement_id = require(statement.id, "statement id")
    keys = await corrections.destination_keys(uow, deps, statement)
    await uow.deliveries.add_all(
        [
            Delivery(
                statement_id=statement_id,
                destination=key,
                state=DeliveryState.PENDING,
                next_attempt_at=now,
                created_at=now,
            )
            for key in keys
        ]
    )
    return [deps.label(key) for key in keys]


async def deliver_due(deps: Deps, couriers: Couriers) -> int:
    """Hand every due delivery to its destination's courier; returns how many were
    handed now (not those a courier already holds). Does not wait for any of them."""
    now = deps.clock.now()
    async with deps.store.unit_of_work() as uow:
        released = await uow.deliveries.release_stale(now - STALE_SENDING)
    if released:
        log.warning("re-queued %d deliveries whose sender stopped mid-send", released)
    return await dispatch(deps, couriers)


async def dispatch(deps: Deps, couriers: Couriers) -> int:
    """Hand the due deliveries the couriers do not hold yet, each in its incident's lane."""
    now = deps.clock.now()
    held = couriers.held
    async with deps.store.reading() as uow:
        due = [d for d in await uow.deliveries.due(now, BATCH + len(held)) if d.id not in held]
        ready = await _ready(uow, deps, due)
    handed = 0
    for delivery, lane in ready:
        delivery_id = require(delivery.id, "delivery id")
        destination = deps.destinations.get(delivery.destination)
        handed += couriers.hand(delivery.destination, lane, delivery_id, concurrency(destination))
    return handed


def first_destination(deps: Deps) -> str | None:
    """The destination served before the others (the hub in the runtime)."""
    return next(iter(deps.destinations), None)


async def _ready(
    uow: UnitOfWork, deps: Deps, due: Sequence[Delivery]
) -> list[tuple[Delivery, int]]:
    """The due deliveries that may go now, each with its lane (its incident). A statement
    the first destination has still to try waits for it at every other destination."""
    first = first_destination(deps)
    incidents: dict[int, int] = {}
    waiting: set[int] = set()
    for sid in dict.fromkeys(d.statement_id for d in due):
        statement = await uow.statements.get(sid)
        if statement is None:
            continue
        incidents[sid] = statement.incident_id
        if any(d.destination != first for d in due if d.statement_id == sid):
            siblings = await uow.deliveries.of_statement(sid)
            if any(d.destination == first and _untried(d) for d in siblings):
                waiting.add(sid)
    return [
        (d, incidents[d.statement_id])
        for d in due
        if d.statement_id in incidents and (d.destination == first or d.statement_id not in waiting)
    ]


def _untried(delivery: Delivery) -> bool:
    return delivery.state == DeliveryState.SENDING or (
        delivery.state == DeliveryState.PENDING and delivery.attempts == 0
    )


async def next_unheld(uow: UnitOfWork, held: frozenset[int], now: datetime) -> datetime | None:
    """When the earliest pending delivery the couriers do not hold is due (they re-arm
    the timer themselves as each of theirs is settled)."""
    pending = await uow.deliveries.due(now + HORIZON, len(held) + 1)
    return next((d.next_attempt_at for d in pending if d.id not in held), None)


async def _claim(deps: Deps, delivery_id: int) -> tuple[Delivery, Publication] | None:
    now = deps.clock.now()
    async with deps.store.unit_of_work() as uow:
        if not await uow.deliveries.claim(delivery_id, now):
            return None
        delivery = require(await uow.deliveries.get(delivery_id), "delivery")
        statement = require(await uow.statements.get(delivery.statement_id), "statement")
        if await corrections.hold_back(uow, statement, delivery, now):
            return None
        incident = require(await uow.incidents.get(statement.incident_id), "incident")
        corrects = await corrections.corrected_ref(uow, statement, delivery.destination)
        return delivery, _publication(deps, delivery, statement, incident, corrects, now)


def _publication(
    deps: Deps,
    delivery: Delivery,
    statement: Statement,
    incident: Incident,
    corrects: CorrectedRef | None,
    now: datetime,
) -> Publication:
    return Publication(
        delivery_id=require(delivery.id, "delivery id"),
        incident_id=statement.incident_id,
        incident_ref=incident_ref(incident.number),
        # The facts the statement was approved with, never the incident's live ones.
        incident_title=statement.public_title or incident.title,
        severity=statement.public_severity or incident.severity,
        state=statement.public_state or incident.state,
        statement_ref=statement_ref(statement.number),
        kind=statement.kind,
        body=statement.body,
        signer=statement.signer,
        published_at=statement.published_at or now,
        hub_url=deps.hub_url(incident),
        attempt=delivery.attempts,
        queued_at=delivery.created_at,
        corrects=corrects,
    )


async def deliver(deps: Deps, delivery_id: int) -> int:
    claimed = await _claim(deps, delivery_id)
    if claimed is None:
        return 0
    delivery, publication = claimed
    async with lease.kept(deps, delivery_id, delivery.attempts):
        outcome = await _attempt(deps, delivery, publication)
    await _record(deps, delivery_id, outcome)
    return 1


async def _attempt(deps: Deps, delivery: Delivery, publication: Publication) -> Outcome:
    destination = deps.destinations.get(delivery.destination)
    if destination is None:
        return Outcome(error="this destination is no longer configured")
    if publication.corrects is not None:
        return await corrections.attempt(destination, delivery, publication)
    what = f"delivery {delivery.id} to {delivery.destination}"
    return await guarded(
        what, lambda: destination.deliver(publication), attempt_timeout(destination)
    )


async def _record(deps: Deps, delivery_id: int, outcome: Outcome) -> None:
    now = deps.clock.now()
    async with deps.store.unit_of_work() as uow:
        delivery = require(await uow.deliveries.get(delivery_id), "delivery")
        statement = require(await uow.statements.get(delivery.statement_id), "statement")
        # Incident, then statement, then delivery: the lock order of commands and reactions.
        # Holding them also makes the deliveries of one statement settle one at a time, so
        # exactly one of them sees the last one settle and reports (PostgreSQL).
        await uow.incidents.get(statement.incident_id, for_update=True)
        await uow.statements.get(delivery.statement_id, for_update=True)
        await uow.session.refresh(delivery)
        if delivery.state == DeliveryState.SENT:  # a slower twin (an expired lease) got there
            return
        _apply(delivery, outcome, now)
        await uow.deliveries.save(delivery)
        if outcome.external_id is not None:  # it got there (a correction: perhaps unedited)
            await settled.mark_published(uow, deps, delivery.statement_id, now)
        await settled.report_if_settled(uow, deps, delivery.statement_id, now)


def _apply(delivery: Delivery, outcome: Outcome, now: datetime) -> None:
    if outcome.external_id is not None:  # kept even when a correction's edit failed: a
        delivery.external_id = outcome.external_id  # retry then only edits, never reposts
    if outcome.error is None:
        delivery.state, delivery.sent_at, delivery.last_error = DeliveryState.SENT, now, None
        delivery.amended_at = now if outcome.amended else None
    elif outcome.retryable and delivery.attempts < MAX_ATTEMPTS:
        delivery.state, delivery.last_error = DeliveryState.PENDING, outcome.error[:500]
        delivery.next_attempt_at = now + retry_delay(delivery.attempts, outcome.retry_after)
    elif outcome.external_id is not None:  # the correction is out; only the edit failed
        delivery.state, delivery.sent_at = DeliveryState.SENT, now
        delivery.last_error = outcome.error[:500]
    else:
        delivery.state, delivery.last_error = DeliveryState.FAILED, outcome.error[:500]
