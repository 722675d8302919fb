"""draft, edit, approve, reject."""

from __future__ import annotations

import hashlib

from commands import effects
from commands.approval import votes as approvals
from commands.context import Ctx
from commands.domain import OPEN_STATES, incident_ref, is_system, statement_ref
from commands.errors import InvalidTransition
from commands.grammar import requests as rq
from commands.grammar.templates import render
from commands.grammar.times import format_time, promised_update
from commands.ports import Reply, text
from commands.publishing.public_facts import public_facts
from commands.required import require
from commands.timing.update_clock import cadence
from storage import Incident, Statement, StatementRevision, StatementState


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _from_template(
    ctx: Ctx, incident: Incident, name: str, title: str | None = None
) -> tuple[str, str, bool]:
    template = ctx.deps.templates[name]
    summary = incident.resolution_summary or ""
    body = render(
        template,
        title=title or incident.title,
        state=incident.state,
        next_update=format_time(ctx.now + cadence(incident), ctx.now),
        hub_link=ctx.deps.hub_url(incident) or "",
        signer=ctx.actor.name or ctx.actor.user_id,
        summary=f"{summary.rstrip('.')}. " if summary else "",
    )
    return body, template.kind, template.preapproved


def template_body(ctx: Ctx, incident: Incident, name: str) -> str:
    """A template's text as ``draft <name>`` would write it now (a form shows it to edit)."""
    return _from_template(ctx, incident, name)[0]


async def create_statement(
    ctx: Ctx,
    incident: Incident,
    *,
    template: str | None = None,
    body: str | None = None,
    kind: str | None = None,
    title: str | None = None,
) -> Statement:
    """Store a new draft (revision 1) and post it for votes after commit. Free text is an
    update while the incident is open, a resolution after, unless ``kind`` says otherwise.
    ``title`` words the template's ``{title}`` when the incident's own title is internal
    (an alert's summary)."""
    incident_id = require(incident.id, "incident id")
    if template is not None:
        body, kind, preapproved = _from_template(ctx, incident, template, title)
    else:
        body = require(body, "the text of a free-text statement")
        kind = kind or ("update" if incident.state in OPEN_STATES else "resolution")
        preapproved = False
    number = await ctx.uow.statements.next_number(incident_id)
    statement = Statement(
        incident_id=incident_id,
        number=number,
        kind=kind,
        template=template,
        preapproved=preapproved,
        state=StatementState.DRAFT,
        author_id=ctx.actor.user_id,
        revision=1,
        body=body,
        content_hash=content_hash(body),
        # Words an alert source drafted are signed by the person who approves them.
        signer=None if is_system(ctx.actor.user_id) else ctx.actor.name or ctx.actor.user_id,
        created_at=ctx.now,
        promised_next_update_at=promised_update(body, ctx.now),
    )
    await ctx.uow.statements.add(statement, ctx.actor.user_id)
    source = f"template {template}" if template else "free text"
    await ctx.note(
        incident,
        "statement_drafted",
        f"{statement_ref(number)} drafted ({kind}, {source}) by {ctx.actor.user_id}",
        statement=number,
    )
    statement_id = statement.id or 0
    ctx.later(lambda: effects.post_draft(ctx.deps, statement_id), "post draft")
    return statement


async def draft(ctx: Ctx, req: rq.DraftStatement) -> Reply:
    incident = ctx.need_incident()
    told = public_facts(await ctx.uow.statements.published_of(require(incident.id, "incident id")))
    if told is not None and told.is_resolved and incident.state not in OPEN_STATES:
        raise InvalidTransition(
            f"The public has been told {incident_ref(incident.number)} is resolved.",
            "Fix a published statement with `/incident correct S<n> <text>`, draft the "
            "summary with `/incident postmortem`, or `/incident reopen [reason]` if the "
            "problem is back.",
        )
    template = req.template
    if template is None and req.text and req.text.lower() in ctx.deps.templates:
        template = req.text.lower()  # a template added in CANDOR_CONFIG
    body = None if template else req.text
    statement = await create_statement(ctx, incident, template=template, body=body)
    return Reply(
        text(
            f"{statement_ref(statement.number)} drafted for "
            f"{incident_ref(incident.number)}: approvers react ✅ on it in "
            f"#{incident.channel_name}."
        ),
        ephemeral=True,
    )


async def edit(ctx: Ctx, req: rq.EditStatement) -> Reply:
    incident = ctx.need_incident()
    statement = await approvals.find_statement(ctx, incident, req.number)
    approvals.refuse_unless_draft(statement)
    statement_id = require(statement.id, "statement id")
    if req.text == statement.body:
        raise InvalidTransition(
            f"That is already the text of {statement_ref(statement.number)}.",
            "Change the wording, or approve it as it is with ✅.",
        )
    statement.revision += 1
    statement.body, statement.content_hash = req.text, content_hash(req.text)
    statement.signer = ctx.actor.name or ctx.actor.user_id  # who wrote the words signs them
    statement.state = StatementState.DRAFT
    statement.promised_next_update_at = promised_update(req.text, ctx.now)
    await ctx.uow.statements.save(statement)
    await ctx.uow.statements.add_revision(
        StatementRevision(
            statement_id=statement_id,
            revision=statement.revision,
            body=req.text,
            content_hash=statement.content_hash,
            edited_by=ctx.actor.user_id,
            created_at=ctx.now,
        )
    )
    ref = statement_ref(statement.number)
    await ctx.note(
        incident,
        "statement_edited",
        f"{ref} edited by {ctx.actor.user_id} (revision {statement.revision}); "
        "earlier approvals no longer count",
        statement=statement.number,
        revision=statement.revision,
    )
    ctx.later(lambda: effects.post_draft(ctx.deps, statement_id), "post revised draft")
    return Reply(
        text(f"{ref} is now at revision {statement.revision}; it needs fresh approval."),
        ephemeral=True,
    )


async def vote(ctx: Ctx, req: rq.Vote) -> Reply:
    incident = ctx.need_incident()
    statement = await approvals.find_statement(ctx, incident, req.number)
    if req.revision is not None and req.revision != statement.revision:
        raise InvalidTransition(
            f"{statement_ref(statement.number)} is at revision {statement.revision}, not "
            f"{req.revision}: the text changed since you read it.",
            "Read it again (`/incident status`), then approve the revision you read, e.g. "
            f"`/incident {req.decision} {statement_ref(statement.number)}r{statement.revision}`.",
        )
    revision = req.revision or statement.revision
    ballot = approvals.Ballot(statement, revision, req.decision, pinned=req.revision is not None)
    return await approvals.cast(ctx, incident, ballot)
