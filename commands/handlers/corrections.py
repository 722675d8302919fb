"""correct: draft a correction of a statement the public has seen.

The correction is a statement of kind "correction" pointing at its original. It is
voted on like any draft; once approved, the outbox sends it where the original went
and marks the original corrected where the platform can edit it
(``commands.publishing.corrections``).
A statement has at most one live correction: a second would leave readers to guess
which one is right, so a correction is corrected in turn instead.
"""

from __future__ import annotations

from commands import effects
from commands.context import Ctx
from commands.domain import incident_ref, statement_ref
from commands.errors import InvalidTransition, NotFound
from commands.grammar import requests as rq
from commands.grammar.times import promised_update
from commands.handlers.statements import content_hash
from commands.ports import Reply, text
from commands.required import require
from storage import Incident, Statement, StatementState

NOT_PUBLIC = {
    "draft": (
        "is still a draft: the public has not seen it",
        "Reword it instead: `/incident edit {ref} <text>`.",
    ),
    "approved": (
        "is approved but not public yet",
        "Correct it once the channel hears it is public.",
    ),
    "rejected": (
        "was rejected: the public never saw it, so there is nothing to correct",
        "Draft a new statement instead: `/incident draft <text>`.",
    ),
    "superseded": (
        "was superseded before it went out: the public never saw it",
        "Draft a new statement instead: `/incident draft <text>`.",
    ),
}


async def _published(ctx: Ctx, incident: Incident, number: int) -> Statement:
    incident_id = require(incident.id, "incident id")
    found = await ctx.uow.statements.by_number(incident_id, number, for_update=True)
    if found is None:
        raise NotFound(
            f"{incident_ref(incident.number)} has no statement S{number}.",
            "`/incident timeline` shows the statements published so far.",
        )
    if found.state != StatementState.PUBLISHED:
        problem, fix = NOT_PUBLIC.get(found.state, (f"is {found.state}", ""))
        ref = statement_ref(number)
        raise InvalidTransition(f"{ref} {problem}.", fix.format(ref=ref) or None)
    return found


async def _refuse_second_correction(ctx: Ctx, incident: Incident, original: Statement) -> None:
    ref = statement_ref(original.number)
    for other in await ctx.uow.statements.of_incident(require(incident.id, "incident id")):
        if other.corrects_id != original.id or other.state == StatementState.REJECTED:
            continue
        other_ref = statement_ref(other.number)
        if other.state == StatementState.PUBLISHED:
            raise InvalidTransition(
                f"{ref} was already corrected by {other_ref}.",
                f"To correct it again, correct the correction: "
                f"`/incident correct {other_ref} <text>`.",
            )
        raise InvalidTransition(
            f"{ref} already has a correction waiting: {other_ref} ({other.state}).",
            f"Reword that one (`/incident edit {other_ref} <text>`) or reject it first.",
        )


async def _draft(ctx: Ctx, incident: Incident, original: Statement, body: str) -> Statement:
    """Store the correction as a draft (revision 1) and post it for votes after commit."""
    incident_id = require(incident.id, "incident id")
    number = await ctx.uow.statements.next_number(incident_id)
    statement = Statement(
        incident_id=incident_id,
        number=number,
        kind="correction",
        state=StatementState.DRAFT,
        author_id=ctx.actor.user_id,
        body=body,
        content_hash=content_hash(body),
        signer=ctx.actor.name or ctx.actor.user_id,
        created_at=ctx.now,
        promised_next_update_at=promised_update(body, ctx.now),
        corrects_id=require(original.id, "corrected statement id"),
    )
    await ctx.uow.statements.add(statement, ctx.actor.user_id)
    await ctx.note(
        incident,
        "statement_drafted",
        f"{statement_ref(number)} drafted (correction of {statement_ref(original.number)}) "
        f"by {ctx.actor.user_id}",
        statement=number,
        corrects=original.number,
    )
    statement_id = statement.id or 0
    ctx.later(lambda: effects.post_draft(ctx.deps, statement_id), "post correction draft")
    return statement


async def correct(ctx: Ctx, req: rq.CorrectStatement) -> Reply:
    incident = ctx.need_incident()
    original = await _published(ctx, incident, req.number)
    await _refuse_second_correction(ctx, incident, original)
    ref = statement_ref(original.number)
    if req.text == original.body:
        raise InvalidTransition(f"That is what {ref} already says.", "Write the corrected wording.")
    statement = await _draft(ctx, incident, original, req.text)
    return Reply(
        text(
            f"{statement_ref(statement.number)} drafted: a correction of {ref}. Once approvers "
            f"react ✅ on it in #{incident.channel_name}, it goes everywhere {ref} went, and "
            f"{ref} is marked corrected wherever it can be edited."
        ),
        ephemeral=True,
    )
