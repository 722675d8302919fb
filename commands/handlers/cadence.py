"""cadence, eta, snooze: the public-update clock and promises made to the public."""

from __future__ import annotations

from commands import effects
from commands.context import Ctx
from commands.domain import OPEN_STATES, incident_ref
from commands.errors import InvalidTransition
from commands.grammar import requests as rq
from commands.grammar.times import format_duration, format_time, relative
from commands.ports import Reply, text
from commands.required import require
from commands.timing import reminders
from commands.timing import update_clock as clockrules
from storage import Incident


def _open(ctx: Ctx) -> Incident:
    incident = ctx.need_incident()
    if incident.state not in OPEN_STATES:
        raise InvalidTransition(
            f"{incident_ref(incident.number)} is resolved; its clock stopped.",
            "If the problem is back, open a new incident: `/incident open <title>`.",
        )
    return incident


async def set_cadence(ctx: Ctx, req: rq.SetCadence) -> Reply:
    incident = _open(ctx)
    before = incident.cadence_minutes
    await clockrules.change_cadence(ctx.uow, incident, req.every, ctx.now)
    await ctx.note(
        incident,
        "cadence",
        f"Update cadence: every {format_duration(req.every)} (was {before} min)",
        minutes=incident.cadence_minutes,
        before=before,
    )
    effects.refresh_summary_later(ctx, incident)
    due = incident.next_update_due_at
    when = (
        f" Next update due {format_time(due, ctx.now)} ({relative(due, ctx.now)})." if due else ""
    )
    return Reply(text(f"Public updates every {format_duration(req.every)}.{when}"))


async def set_eta(ctx: Ctx, req: rq.SetEta) -> Reply:
    incident = _open(ctx)
    incident_id = require(incident.id, "incident id")
    if req.when is None:
        incident.eta_at = None
        await ctx.uow.reminders.cancel_pending(incident_id, ctx.now, kind=reminders.ETA)
        said = "ETA cleared."
    else:
        eta = req.when.at(ctx.now)
        if eta <= ctx.now:
            raise InvalidTransition("That time has already passed.", "Give a future time.")
        incident.eta_at = eta
        await reminders.arm(ctx.uow, incident_id, reminders.ETA, eta, ctx.now)
        said = f"ETA set to {format_time(eta, ctx.now)}. I'll warn 15 min before it passes."
    await ctx.uow.incidents.save(incident)
    await ctx.note(incident, "eta", said)
    effects.refresh_summary_later(ctx, incident)
    return Reply(text(said))


async def snooze(ctx: Ctx, req: rq.Snooze) -> Reply:
    incident = _open(ctx)
    incident.snoozed_until = ctx.now + req.duration
    await ctx.uow.incidents.save(incident)
    until = format_time(incident.snoozed_until, ctx.now)
    await ctx.note(incident, "snooze", f"Update reminders snoozed until {until}")
    return Reply(
        text(
            f"Update reminders snoozed until {until}. The public clock keeps "
            "running: the status still shows when an update is overdue."
        )
    )
