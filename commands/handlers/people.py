"""assign, task, tasks, done."""

from __future__ import annotations

from commands import effects, render
from commands.approval import quorum
from commands.context import Ctx
from commands.domain import COMMANDER, OPEN_STATES, incident_ref
from commands.errors import InvalidTransition, NotFound
from commands.grammar import requests as rq
from commands.grammar.times import format_time, relative
from commands.ports import Mention, Reply, Strong, text
from commands.required import require
from commands.timing import reminders
from storage import Task


async def assign(ctx: Ctx, req: rq.AssignRole) -> Reply:
    incident = ctx.need_incident()
    previous = await ctx.uow.roles.assign(
        require(incident.id, "incident id"), req.role, req.user_id, ctx.actor.user_id, ctx.now
    )
    if previous == req.user_id:
        raise InvalidTransition(
            f"{req.user_id} already is {req.role}.",
            "Nothing to change; `/incident status` shows every owner.",
        )
    await ctx.note(
        incident,
        "role",
        f"{req.role}: {req.user_id}" + (f" (was {previous})" if previous else ""),
        role=req.role,
        user=req.user_id,
        previous=previous,
    )
    chat, deps = ctx.chat, ctx.deps
    ctx.later(lambda: chat.invite(incident.channel_id, [req.user_id]), "invite owner")
    effects.refresh_summary_later(ctx, incident)
    ctx.later(
        lambda: effects.say(
            deps,
            incident.platform,
            incident.channel_id,
            text(
                (
                    Mention(req.user_id),
                    " is now ",
                    Strong(req.role),
                    f" for {incident_ref(incident.number)} (assigned by ",
                    Mention(ctx.actor.user_id),
                    ").",
                )
            ),
        ),
        "announce role",
    )
    gap = await quorum.gap_for_incident(ctx, incident)
    return Reply(text(f"{req.user_id} is now {req.role}.", *([gap] if gap else [])), ephemeral=True)


async def unassign(ctx: Ctx, req: rq.UnassignRole) -> Reply:
    incident = ctx.need_incident()
    if req.role == COMMANDER:
        raise InvalidTransition(
            "An incident always has a commander.",
            "Hand command over instead: `/incident assign commander @someone`.",
        )
    ended = await ctx.uow.roles.unassign(require(incident.id, "incident id"), req.role, ctx.now)
    if ended is None:
        raise InvalidTransition(
            f"Nobody is {req.role} on {incident_ref(incident.number)}.",
            "`/incident status` shows every owner.",
        )
    await ctx.note(
        incident, "role_ended", f"{req.role}: {ended} no longer", role=req.role, user=ended
    )
    effects.refresh_summary_later(ctx, incident)
    gap = await quorum.gap_for_incident(ctx, incident)
    return Reply(text(f"{ended} is no longer {req.role}.", *([gap] if gap else [])))


async def add_task(ctx: Ctx, req: rq.AddTask) -> Reply:
    incident = ctx.need_incident()
    incident_id = require(incident.id, "incident id")
    due = req.due.at(ctx.now)
    if due <= ctx.now:
        raise InvalidTransition(
            "That due time has already passed.", "Give a time in the future, e.g. 30m or 14:00."
        )
    task = await ctx.uow.tasks.add(
        Task(
            incident_id=incident_id,
            number=await ctx.uow.tasks.next_number(incident_id),
            title=req.title,
            owner_id=req.owner_id,
            created_by=ctx.actor.user_id,
            created_at=ctx.now,
            due_at=due,
        )
    )
    task_id = require(task.id, "task id")
    # A resolved incident's channel goes quiet: follow-up tasks are listed, not chased.
    is_open = incident.state in OPEN_STATES
    if is_open:
        await reminders.arm(ctx.uow, incident_id, reminders.TASK, due, ctx.now, task_id=task_id)
    await ctx.note(
        incident,
        "task",
        f"T{task.number} “{task.title}” for {req.owner_id}, due {format_time(due, ctx.now)}",
        task=task.number,
    )
    deps = ctx.deps
    ctx.later(lambda: ctx.chat.invite(incident.channel_id, [req.owner_id]), "invite owner")
    effects.refresh_summary_later(ctx, incident)
    ctx.later(
        lambda: effects.say(
            deps,
            incident.platform,
            incident.channel_id,
            text(
                (
                    "📋 ",
                    Strong(f"T{task.number}"),
                    f" {task.title} — ",
                    Mention(req.owner_id),
                    f", due {format_time(due, ctx.now)} ({relative(due, ctx.now)}).",
                )
            ),
        ),
        "announce task",
    )
    quiet = "" if is_open else f" {incident_ref(incident.number)} is resolved: no reminders."
    return Reply(text(f"T{task.number} added.{quiet}"), ephemeral=True)


async def list_tasks(ctx: Ctx, req: rq.ListTasks) -> Reply:
    incident = ctx.need_incident()
    tasks = await ctx.uow.tasks.of_incident(require(incident.id, "incident id"))
    return Reply(render.task_list(incident, tasks, ctx.now), ephemeral=True)


async def complete_task(ctx: Ctx, req: rq.CompleteTask) -> Reply:
    incident = ctx.need_incident()
    incident_id = require(incident.id, "incident id")
    task = await ctx.uow.tasks.by_number(incident_id, req.number)
    if task is None:
        raise NotFound(
            f"{incident_ref(incident.number)} has no task T{req.number}.",
            "`/incident tasks` lists them.",
        )
    if task.done_at is not None:
        raise InvalidTransition(
            f"T{task.number} is already done.", "`/incident tasks` shows what is still open."
        )
    task.done_at, task.done_by = ctx.now, ctx.actor.user_id
    await ctx.uow.tasks.save(task)
    await ctx.uow.reminders.cancel_pending(
        incident_id, ctx.now, kind=reminders.TASK, task_id=task.id
    )
    await ctx.note(incident, "task_done", f"T{task.number} “{task.title}” done", task=task.number)
    effects.refresh_summary_later(ctx, incident)
    return Reply(text(f"T{task.number} “{task.title}” is done. ✅"))
