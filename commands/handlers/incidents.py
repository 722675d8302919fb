"""open, status, list, state, resolve, timeline (help is the verb table's own)."""

from __future__ import annotations

import logging

from commands import effects, render
from commands.approval import quorum
from commands.context import Ctx
from commands.domain import (
    COMMANDER,
    NEUTRAL_TITLE,
    OPEN_STATES,
    RESOLVED,
    incident_ref,
    is_system,
)
from commands.errors import InvalidTransition
from commands.grammar import requests as rq
from commands.grammar.times import format_time, relative
from commands.handlers.opening import Opening
from commands.handlers.statements import create_statement
from commands.ports import Line, Mention, Message, Reply, Segment, Strong, text
from commands.record.loading import load_record
from commands.record.wording import status_lines
from commands.required import require
from commands.timing import reminders
from commands.timing import update_clock as clockrules
from storage import DeliveryState, Incident, IncidentState, StatementState

log = logging.getLogger("candor.incidents")


async def open_incident(ctx: Ctx, req: rq.OpenIncident) -> Reply:
    """Write the incident whose number and channel ``opening.ChannelFirst`` prepared."""
    uow, now, actor = ctx.uow, ctx.now, ctx.actor
    opened: Opening = require(ctx.prepared, "the prepared channel")
    number, created = opened.number, opened.channel
    incident = await uow.incidents.add(
        Incident(
            platform=ctx.channel.platform,
            workspace_id=ctx.channel.workspace_id,
            number=number,
            title=req.title,
            description=req.description,
            severity=req.severity,
            state=IncidentState.INVESTIGATING,
            channel_id=created.channel_id,
            channel_name=created.name,
            opened_by=actor.user_id,
            opened_at=now,
            cadence_minutes=int(ctx.deps.cadence.every[req.severity].total_seconds() // 60),
        )
    )
    # An alert (a system actor) opens without a commander: the first person to take
    # command does (commands.authority.permit).
    commander = req.commander_id or (None if is_system(actor.user_id) else actor.user_id)
    if commander is not None:
        await uow.roles.assign(
            require(incident.id, "incident id"), COMMANDER, commander, actor.user_id, now
        )
    await ctx.note(
        incident,
        "opened",
        f"{incident_ref(number)} opened: {req.title} ({req.severity})",
        severity=req.severity,
    )
    await clockrules.start(uow, ctx.deps, incident, now)
    ctx.incident = incident
    _after_open(ctx, incident, commander)  # channel set up before the ack draft is posted
    # An alert's title is internal wording: its acknowledgement names no part of it.
    neutral = NEUTRAL_TITLE if is_system(actor.user_id) else None
    ack = await create_statement(ctx, incident, template="ack", title=neutral)
    due = require(incident.next_update_due_at, "next update due time")
    return Reply(
        text(
            (
                Strong(f"Opened {incident_ref(number)} · {req.title}"),
                f" ({req.severity.upper()}) in #{created.name}.",
            ),
            f"First public update due by {format_time(due, now)} ({relative(due, now)}). "
            f"An acknowledgement draft (S{ack.number}) is waiting for approval there.",
            *([gap] if (gap := await quorum.gap_for_incident(ctx, incident)) else []),
        )
    )


def _after_open(ctx: Ctx, incident: Incident, commander: str | None) -> None:
    deps, chat = ctx.deps, ctx.chat
    incident_id = require(incident.id, "incident id")
    people = [ctx.actor.user_id, commander]
    members = list(dict.fromkeys(p for p in people if p is not None and not is_system(p)))
    if members:
        ctx.later(lambda: chat.invite(incident.channel_id, members), "invite the team")
    ctx.later(lambda: effects.refresh_summary(deps, incident_id), "post summary")
    feed = deps.feeds.get(incident.platform)
    if feed:
        announcement = Message(
            lines=(
                (
                    "🚨 ",
                    Strong(f"{incident_ref(incident.number)} · {incident.title}"),
                    f" ({incident.severity.upper()}) opened by ",
                    _opener(ctx),
                    f" — join #{incident.channel_name}",
                ),
            )
        )
        ctx.later(
            lambda: effects.say(deps, incident.platform, feed, announcement), "announce in feed"
        )


def _opener(ctx: Ctx) -> Segment:
    """A person is mentioned; an alert source is named (it has no account to ping)."""
    if is_system(ctx.actor.user_id):
        return ctx.actor.name or "an alert"
    return Mention(ctx.actor.user_id)


async def show_status(ctx: Ctx, req: rq.ShowStatus) -> Reply:
    incident = ctx.need_incident()
    incident_id = require(incident.id, "incident id")
    roles = await quorum.roles_of(ctx.uow, incident_id)
    tasks = await ctx.uow.tasks.of_incident(incident_id)
    card = render.summary(incident, roles, tasks, ctx.now)
    lines = list(card.lines)
    statements = await ctx.uow.statements.of_incident(incident_id)
    deliveries = await ctx.uow.deliveries.of_incident(incident_id)  # one read, not one a statement
    for statement in statements:
        if statement.state in (StatementState.DRAFT, StatementState.APPROVED):
            lines.append((f"📝 S{statement.number} {statement.kind} — {statement.state}",))
        for delivery in (d for d in deliveries if d.statement_id == statement.id):
            where = ctx.deps.label(delivery.destination)
            if delivery.state == DeliveryState.FAILED:
                lines.append(
                    (
                        f"❗ S{statement.number} to {where} failed: {delivery.last_error} "
                        f"(`candor deliveries retry {delivery.id}` tries again)",
                    )
                )
            elif delivery.state == DeliveryState.PENDING and delivery.last_error:
                lines.append(
                    (
                        f"⏳ S{statement.number} to {where}: attempt {delivery.attempts} "
                        f"failed ({delivery.last_error}); retrying",
                    )
                )
        if statement.state == StatementState.DRAFT and (
            gap := await quorum.gap_for_statement(ctx.deps, ctx.uow, incident, statement, roles)
        ):
            lines.append((gap,))
    record = await load_record(ctx.uow, incident, ctx.now, (statements, deliveries))
    lines += status_lines(record, ctx.now)
    return Reply(Message(title=card.title, lines=tuple(lines)), ephemeral=True)


async def list_incidents(ctx: Ctx, req: rq.ListIncidents) -> Reply:
    incidents = await ctx.uow.incidents.open_in(ctx.channel.platform, ctx.channel.workspace_id)
    ids = [i.id for i in incidents if i.id is not None]
    commanders = await ctx.uow.roles.holders(ids, COMMANDER)  # one query for the whole list
    return Reply(render.incident_list(incidents, commanders, ctx.now), ephemeral=True)


def _require_open(incident: Incident) -> None:
    if incident.state not in OPEN_STATES:
        raise InvalidTransition(
            f"{incident_ref(incident.number)} is resolved.",
            "Open a new incident if the problem is back: `/incident open <title>`.",
        )


async def set_state(ctx: Ctx, req: rq.SetState) -> Reply:
    incident = ctx.need_incident()
    _require_open(incident)
    if incident.state == req.state:
        others = ", ".join(s for s in OPEN_STATES if s != req.state)
        raise InvalidTransition(
            f"{incident_ref(incident.number)} is already {req.state}.",
            f"Move it to {others}, or `/incident resolve` it.",
        )
    before, incident.state = incident.state, req.state
    await ctx.uow.incidents.save(incident)
    await ctx.note(
        incident, "state", f"State: {before} → {req.state}", before=before, after=req.state
    )
    effects.refresh_summary_later(ctx, incident)
    ctx.later(
        lambda: effects.say(
            ctx.deps,
            incident.platform,
            incident.channel_id,
            text(
                (
                    "State is now ",
                    Strong(req.state),
                    " (was ",
                    before,
                    "), set by ",
                    Mention(ctx.actor.user_id),
                    ".",
                )
            ),
        ),
        "announce state",
    )
    return Reply(
        text(
            f"{incident_ref(incident.number)} is now {req.state}. Tell the public: "
            f"`/incident draft {req.state}`."
        ),
        ephemeral=True,
    )


async def resolve(ctx: Ctx, req: rq.Resolve) -> Reply:
    incident = ctx.need_incident()
    _require_open(incident)
    incident_id = require(incident.id, "incident id")
    incident.state, incident.resolved_at = RESOLVED, ctx.now
    incident.resolution_summary = req.summary
    await ctx.uow.incidents.save(incident)
    # Tasks and the ETA stop being chased; the public clock runs on until the public is
    # told (clockrules.public_update_published), so the resolution is not forgotten.
    for kind in (reminders.TASK, reminders.ETA):
        await ctx.uow.reminders.cancel_pending(incident_id, ctx.now, kind=kind)
    await ctx.note(incident, "resolved", f"Resolved{': ' + req.summary if req.summary else ''}")
    draft = await create_statement(ctx, incident, template="resolved")
    effects.refresh_summary_later(ctx, incident)
    ctx.later(
        lambda: effects.say(
            ctx.deps,
            incident.platform,
            incident.channel_id,
            text(
                (
                    "✅ ",
                    Strong(f"{incident_ref(incident.number)} resolved"),
                    " by ",
                    Mention(ctx.actor.user_id),
                    f". Approve S{draft.number} to tell the public it is over: until then "
                    "the status page says it is not, and update reminders go on.",
                )
            ),
        ),
        "announce resolution",
    )
    return Reply(
        text(
            f"{incident_ref(incident.number)} resolved. The resolution statement "
            f"S{draft.number} is waiting for approval."
        ),
        ephemeral=True,
    )


async def show_timeline(ctx: Ctx, req: rq.ShowTimeline) -> Reply:
    incident = ctx.need_incident()
    events = await ctx.uow.timeline.of_incident(require(incident.id, "incident id"))
    lines: list[Line] = [
        (f"{format_time(event.at, ctx.now)}  ", event.text) for event in events[-60:]
    ]
    if len(events) > 60:
        lines.insert(0, (f"… {len(events) - 60} earlier events not shown",))
    return Reply(
        Message(title=f"Timeline of {incident_ref(incident.number)}", lines=tuple(lines)),
        ephemeral=True,
    )
