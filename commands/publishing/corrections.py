"""Corrections in the outbox: where a correction goes and how each destination is served.

A correction (a statement with ``corrects_id``) goes through the same approval as any
statement, then to every destination its original has a delivery row for (the hub has
one for every published statement), not to destinations added since: their readers
never saw the original.

At each destination the correction is posted first (``deliver``), then, where the
destination is ``Amendable`` and the original got there, the original's message is
edited to say it was corrected (its wording stays as it was: history is never
rewritten). Post first: an edit that fails must not hold back the correction. The
post's external id is recorded even when the edit fails, so a retry never posts the
correction again (and a crash before it was recorded is caught by the destination's
own duplicate check, e.g. Slack message metadata); it only edits again, which is
harmless. An edit still failing at the last attempt, or refused, leaves the delivery
``sent`` (the correction is out) with the reason, and the incident channel is told.

A correction waits at a destination while its original is still on its way there,
so that nobody reads a correction before what it corrects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from commands.context import Deps
from commands.domain import statement_ref
from commands.ports import (
    Amendable,
    CorrectedRef,
    Destination,
    Line,
    Message,
    Publication,
    Strong,
)
from commands.publishing.attempts import Outcome, attempt_timeout, guarded
from storage import Delivery, DeliveryState, Statement, UnitOfWork

IN_FLIGHT = (DeliveryState.PENDING, DeliveryState.SENDING)
WAIT_FOR_ORIGINAL = timedelta(seconds=30)
AMEND_FAILED = "posted, but the original message could not be marked corrected: "
QUOTE_MAX = 300


async def destination_keys(uow: UnitOfWork, deps: Deps, statement: Statement) -> list[str]:
    """Where an approved statement goes: every destination, or, for a correction, those
    its original went to, in the configured order (the hub first). One no longer
    configured still gets a row, so the team hears it could not be reached."""
    if statement.corrects_id is None:
        return list(deps.destinations)
    went = {row.destination for row in await uow.deliveries.of_statement(statement.corrects_id)}
    configured = [key for key in deps.destinations if key in went]
    return configured + sorted(went - set(configured))


async def _original_delivery(
    uow: UnitOfWork, statement: Statement, destination: str
) -> Delivery | None:
    assert statement.corrects_id is not None
    rows = await uow.deliveries.of_statement(statement.corrects_id)
    return next((row for row in rows if row.destination == destination), None)


async def hold_back(
    uow: UnitOfWork, statement: Statement, delivery: Delivery, now: datetime
) -> bool:
    """A correction claimed while its original is still on its way to the same place:
    give the claim back, to be tried once the original has had its turn."""
    if statement.corrects_id is None or delivery.id is None:
        return False
    original = await _original_delivery(uow, statement, delivery.destination)
    if original is None or original.state not in IN_FLIGHT:
        return False
    later = max(now + WAIT_FOR_ORIGINAL, original.next_attempt_at or now)
    await uow.deliveries.unclaim(delivery.id, later)
    return True


async def corrected_ref(
    uow: UnitOfWork, statement: Statement, destination: str
) -> CorrectedRef | None:
    """What a correction corrects, with the original's message at ``destination``."""
    if statement.corrects_id is None:
        return None
    original = await uow.statements.get(statement.corrects_id)
    assert original is not None
    delivery = await _original_delivery(uow, statement, destination)
    got_there = delivery is not None and delivery.state == DeliveryState.SENT
    return CorrectedRef(
        statement_ref=statement_ref(original.number),
        kind=original.kind,
        body=original.body,
        signer=original.signer,
        published_at=original.published_at or original.created_at,
        external_id=delivery.external_id if got_there and delivery is not None else None,
    )


async def attempt(
    destination: Destination, delivery: Delivery, publication: Publication
) -> Outcome:
    """Post the correction (unless an earlier attempt did), then mark the original."""
    assert publication.corrects is not None
    what = f"correction delivery {delivery.id} to {delivery.destination}"
    posted = delivery.external_id
    if posted is None:
        outcome = await guarded(
            what, lambda: destination.deliver(publication), attempt_timeout(destination)
        )
        if outcome.error is not None:
            return outcome
        posted = outcome.external_id
    original = publication.corrects.external_id
    if original is None or not isinstance(destination, Amendable):
        return Outcome(external_id=posted)

    async def amend() -> None:
        assert original is not None and isinstance(destination, Amendable)
        await destination.amend(publication, original)

    edited = await guarded(f"{what} (marking the original)", amend, attempt_timeout(destination))
    if edited.error is None:
        return Outcome(external_id=posted, amended=True)
    return replace(edited, external_id=posted, error=f"{AMEND_FAILED}{edited.error}")


async def on_published(
    uow: UnitOfWork, incident_id: int, statement: Statement, now: datetime
) -> None:
    """The timeline says which statement a newly public correction corrects."""
    if statement.corrects_id is None:
        return
    original = await uow.statements.get(statement.corrects_id)
    assert original is not None
    ref, corrected = statement_ref(statement.number), statement_ref(original.number)
    await uow.timeline.add(
        incident_id,
        now,
        "statement_corrected",
        f"{corrected} corrected by {ref}",
        statement=original.number,
        correction=statement.number,
    )


def report_lines(
    corrected: Statement, deliveries: Sequence[Delivery], label: Callable[[str], str]
) -> list[Line]:
    """For the incident channel: where the original now says it was corrected, and
    where it could not be marked (the correction itself went there all the same)."""
    ref = statement_ref(corrected.number)
    marked = [label(d.destination) for d in deliveries if d.amended_at is not None]
    lines: list[Line] = []
    if marked:
        lines.append((Strong(f"✏️ {ref} is marked corrected"), f" at {', '.join(marked)}."))
    for delivery in deliveries:
        if (
            delivery.state == DeliveryState.SENT
            and delivery.amended_at is None
            and delivery.last_error
        ):
            lines.append(
                (
                    Strong(f"⚠️ {ref} at {label(delivery.destination)}"),
                    f": {delivery.last_error} (the correction itself was posted there).",
                )
            )
    return lines


async def draft_note(uow: UnitOfWork, statement: Statement, message: Message) -> Message:
    """A correction's draft shows approvers what it corrects, word for word."""
    if statement.corrects_id is None:
        return message
    original = await uow.statements.get(statement.corrects_id)
    assert original is not None
    quoted = original.body if len(original.body) <= QUOTE_MAX else original.body[:QUOTE_MAX] + "…"
    when = original.published_at or original.created_at
    note: Line = (
        Strong(f"✏️ Corrects {statement_ref(original.number)}"),
        f" (published {when:%Y-%m-%d %H:%M} UTC), which said: “{quoted}”",
    )
    return replace(message, lines=(note, ("",), *message.lines))
