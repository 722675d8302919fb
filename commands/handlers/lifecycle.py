"""rename, reopen: the team's facts change now; the public's with the next statement."""

from __future__ import annotations

from commands import effects
from commands.context import Ctx
from commands.domain import OPEN_STATES, incident_ref
from commands.errors import InvalidTransition
from commands.grammar import requests as rq
from commands.grammar.times import format_time
from commands.ports import Reply, Strong, text
from commands.required import require
from commands.timing import update_clock as clockrules
from storage import StatementState


async def rename(ctx: Ctx, req: rq.Rename) -> Reply:
    incident = ctx.need_incident()
    if req.title == incident.title:
        raise InvalidTransition(f"That is already the title of {incident_ref(incident.number)}.")
    before, incident.title = incident.title, req.title
    await ctx.uow.incidents.save(incident)
    await ctx.note(incident, "renamed", f"Title: “{before}” → “{req.title}”")
    effects.refresh_summary_later(ctx, incident)
    return Reply(
        text(
            f"{incident_ref(incident.number)} is now “{req.title}”. The public sees the new "
            "title with the next statement approved."
        ),
        ephemeral=True,
    )


async def reopen(ctx: Ctx, req: rq.Reopen) -> Reply:
    incident = ctx.need_incident()
    incident_id = require(incident.id, "incident id")
    ref = incident_ref(incident.number)
    if incident.state in OPEN_STATES:
        raise InvalidTransition(f"{ref} is open ({incident.state}).", "Nothing to reopen.")
    incident.state, incident.resolved_at, incident.resolution_summary = OPEN_STATES[0], None, None
    await ctx.uow.incidents.save(incident)
    # The public hears quickly that it is back: the first-update deadline applies again.
    await clockrules.start(ctx.uow, ctx.deps, incident, ctx.now)
    for statement in await ctx.uow.statements.of_incident(incident_id):
        if (
            statement.kind == "resolution"
            and statement.state == StatementState.DRAFT
            and statement.id
        ):
            await ctx.uow.statements.transition(
                statement.id, StatementState.DRAFT, StatementState.SUPERSEDED
            )
    await ctx.note(incident, "reopened", f"Reopened{': ' + req.reason if req.reason else ''}")
    effects.refresh_summary_later(ctx, incident)
    due = require(incident.next_update_due_at, "next update due time")
    return Reply(
        text(
            (Strong(f"{ref} is open again"), " (investigating)."),
            f"Tell the public by {format_time(due, ctx.now)}: `/incident draft investigating`.",
        )
    )
