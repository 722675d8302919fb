"""rename, reopen: the team's facts change now; the public's with the next statement."""

from __future__ import annotations

from commands import effects
from commands.context import Ctx
from commands.domain import OPEN_STATES, incident_ref
from commands.errors import InvalidTransition
from commands.grammar import requests as rq
from commands.grammar.times import format_time
from commands.ports import Reply, Strong, text
from commands.timing import update_clock as clockrules
from storage import StatementState


async def rename(ctx: Ctx, req: rq.Rename) -> Reply:
    incident = ctx.need_incident()
    assert incident.id is not None
    if req.title == incident.title:
        raise InvalidTransition(f"That is already the title of {incident_ref(incident.number)}.")
    before, incident.title = incident.title, req.title
    await ctx.uow.incidents.save(incident)
    await ctx.uow.timeline.add(
        incident.id,
        ctx.now,
        "renamed",
        f"Title: “{before}” → “{req.title}”",
        actor_id=ctx.actor.user_id,
    )
    incident_id = incident.id
    ctx.later(lambda: effects.refresh_summary(ctx.deps, incident_id), "refresh summary")
    return Reply(
        text(
            f"{incident_ref(incident.number)} is now “{req.title}”. The public sees the new "
            "title with the next statement approved."
        ),
        ephemeral=True,
    )


async def reopen(ctx: Ctx, req: rq.Reopen) -> Reply:
    incident = ctx.need_incident()
    assert incident.id is not None
    ref = incident_ref(incident.number)
    if incident.state in OPEN_STATES:
        raise InvalidTransition(f"{ref} is open ({incident.state}).", "Nothing to reopen.")
    incident.state, incident.resolved_at, incident.resolution_summary = OPEN_STATES[0], None, None
    await ctx.uow.incidents.save(incident)
    # The public hears quickly that it is back: the first-update deadline applies again.
    await clockrules.start(ctx.uow, ctx.deps, incident, ctx.now)
    for statement in await ctx.uow.statements.of_incident(incident.id):
        if (
            statement.kind == "resolution"
            and statement.state == StatementState.DRAFT
            and statement.id
        ):
            await ctx.uow.statements.transition(
                statement.id, StatementState.DRAFT, StatementState.SUPERSEDED
            )
    await ctx.uow.timeline.add(
        incident.id,
        ctx.now,
        "reopened",
        f"Reopened{': ' + req.reason if req.reason else ''}",
        actor_id=ctx.actor.user_id,
    )
    incident_id = incident.id
    ctx.later(lambda: effects.refresh_summary(ctx.deps, incident_id), "refresh summary")
    due = incident.next_update_due_at
    assert due is not None
    return Reply(
        text(
            (Strong(f"{ref} is open again"), " (investigating)."),
            f"Tell the public by {format_time(due, ctx.now)}: `/incident draft investigating`.",
        )
    )
