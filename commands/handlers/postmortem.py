"""postmortem: the post-incident summary, drafted from the record of a resolved incident.

Only once resolved: the summary says how it was fixed and how long it lasted, and the
communication record it quotes stops moving at resolution. One postmortem at a time:
while one is a draft, approved or published, asking again points to it (a rejected one
may be drafted afresh).
"""

from __future__ import annotations

from collections.abc import Sequence

from commands import effects
from commands.context import Ctx
from commands.domain import OPEN_STATES, incident_ref, statement_ref
from commands.errors import InvalidTransition
from commands.grammar import requests as rq
from commands.handlers.statements import create_statement
from commands.ports import Reply, text
from commands.record.loading import load_record
from commands.record.postmortem import compose, gather
from commands.record.postmortem_notes import team_notes
from commands.required import require
from storage import Incident, Statement, StatementState

KIND = "postmortem"


async def draft_postmortem(ctx: Ctx, req: rq.DraftPostmortem) -> Reply:
    incident = ctx.need_incident()
    _require_resolved(incident)
    statements = await ctx.uow.statements.of_incident(require(incident.id, "incident id"))
    _refuse_second(incident, statements)
    record = await load_record(ctx.uow, incident, ctx.now)
    facts = await gather(ctx.uow, incident, record)
    deps = ctx.deps
    body = compose(facts, deps.place)
    statement = await create_statement(ctx, incident, body=body, kind=KIND)
    notes = team_notes(facts, statement.number, deps.label, ctx.now)
    ctx.later(
        lambda: effects.say(deps, incident.platform, incident.channel_id, notes),
        "post the record behind the postmortem",
    )
    ref = statement_ref(statement.number)
    return Reply(
        text(
            f"{ref} is the post-incident summary draft for {incident_ref(incident.number)}, "
            f"filled from the record in #{incident.channel_name}.",
            f"Replace each [FILL IN …] (why, prevention, what customers get, a contact) with "
            f"`/incident edit {ref} <text>`; it cannot be approved until they are gone.",
        ),
        ephemeral=True,
    )


def _require_resolved(incident: Incident) -> None:
    if incident.state in OPEN_STATES:
        raise InvalidTransition(
            f"{incident_ref(incident.number)} is still {incident.state}; the post-incident "
            "summary says how it was fixed, so it comes after the fix.",
            "Resolve it first: `/incident resolve [summary]`, then `/incident postmortem`.",
        )


def _refuse_second(incident: Incident, statements: Sequence[Statement]) -> None:
    for statement in statements:
        if statement.kind != KIND or statement.state == StatementState.REJECTED:
            continue
        ref = statement_ref(statement.number)
        if statement.state == StatementState.DRAFT:
            hint = (
                f"Edit it with `/incident edit {ref} <text>`, or reject it (❌) and ask again "
                "for a fresh draft from the record."
            )
        else:
            hint = f"To change what it says, draft a correction of {ref}."
        raise InvalidTransition(
            f"{incident_ref(incident.number)} already has a post-incident summary: "
            f"{ref} ({statement.state}).",
            hint,
        )
