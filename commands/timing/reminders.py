"""The reminder ladders. APScheduler is only the alarm clock; these rows are the truth.

Each reminder row is one rung. Firing claims the row atomically (so a rung fires
once however many timers race), skips rungs that are already stale after
downtime, sends the message for the rung that applies *now*, and inserts the next
rung. A reminder whose subject changed (update published, task done, ETA moved,
incident resolved) finds itself stale and does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from commands import effects
from commands.approval import quorum
from commands.context import Deps
from commands.domain import COMMANDER, COMMS, OPEN_STATES, incident_ref, is_system
from commands.grammar.times import format_duration, format_time
from commands.ports import ChannelPing, Line, Mention, Message, Segment
from storage import Incident, Reminder, Task, TimelineEvent, UnitOfWork

UPDATE, TASK, ETA = "update", "task", "eta"
_MIN = timedelta(minutes=1)


def rung_time(kind: str, due: datetime, step: int) -> datetime:
    """When rung ``step`` of a ladder fires, relative to the due time."""
    if kind == UPDATE:
        # nudge -5, due now 0, commander +5, channel +15, then the channel every 15 min.
        offsets = (-5, 0, 5, 15)
        minutes = offsets[step] if step < len(offsets) else 15 * (step - 2)
    elif kind == TASK:
        minutes = (-15, 0, 5)[step]  # owner -15 and at due, commander once overdue
    else:
        minutes = (-15, 0)[step]  # ETA: warn before it passes, and when it has
    return due + minutes * _MIN


def last_step(kind: str) -> int | None:
    return {UPDATE: None, TASK: 2, ETA: 1}[kind]


def _latest_step(kind: str, due: datetime, first: int, now: datetime) -> int:
    """The furthest rung (from ``first``) whose time has come: after downtime, skip ahead."""
    step, final = first, last_step(kind)
    while (final is None or step < final) and rung_time(kind, due, step + 1) <= now:
        step += 1
    return step


async def arm(
    uow: UnitOfWork,
    incident_id: int,
    kind: str,
    due: datetime,
    now: datetime,
    task_id: int | None = None,
) -> None:
    """Cancel the pending ladder of this subject and start a new one at the next rung.

    Rungs before the due time that have already passed are skipped (no "due in 5 min"
    for something due in 2). Once the due time itself has passed, the rung that applies
    now fires at once: a cadence change that makes an update overdue is said straight away.
    """
    await uow.reminders.cancel_pending(incident_id, now, kind=kind, task_id=task_id)
    step = 0
    if due <= now:
        step = _latest_step(kind, due, 0, now)
    while rung_time(kind, due, step) < due and rung_time(kind, due, step) < now:
        step += 1
    await uow.reminders.add(
        Reminder(
            incident_id=incident_id,
            task_id=task_id,
            kind=kind,
            step=step,
            due_at=due,
            fire_at=max(rung_time(kind, due, step), now),
        )
    )


def fires(kind: str, incident: Incident) -> bool:
    """Update reminders run while the public clock does — until the public is told the
    incident is resolved, not when the team resolves it; the others while it is open."""
    if kind == UPDATE:
        return incident.next_update_due_at is not None
    return incident.state in OPEN_STATES


async def arm_update_clock(uow: UnitOfWork, incident: Incident, now: datetime) -> None:
    assert incident.id is not None
    if incident.next_update_due_at is None:
        await uow.reminders.cancel_pending(incident.id, now, kind=UPDATE)
        return
    await arm(uow, incident.id, UPDATE, incident.next_update_due_at, now)


def _target(roles: dict[str, str], incident: Incident) -> str:
    return roles.get(COMMS) or roles.get(COMMANDER) or incident.opened_by


def _person(user_id: str, nobody: str) -> Segment:
    """A person is mentioned. An incident an alert opened has nobody in its roles until
    someone takes command: the fallback is the alert source, which has no account."""
    return nobody if is_system(user_id) else Mention(user_id)


TAKE_COMMAND = "Whoever takes command (`/incident assign commander @you`):"


def _update_message(
    step: int, incident: Incident, roles: dict[str, str], due: datetime, now: datetime
) -> tuple[Line, str]:
    ref = incident_ref(incident.number)
    owner = _target(roles, incident)
    commander = roles.get(COMMANDER) or incident.opened_by
    since = (
        f"since {format_time(incident.last_public_update_at, now)}"
        if incident.last_public_update_at
        else "at all yet"
    )
    if step == 0:
        return (
            (
                "⏰ ",
                _person(owner, TAKE_COMMAND),
                f" the next public update for {ref} is due at "
                f"{format_time(due, now)} (in {format_duration(due - now)}). "
                "Draft it now: `/incident draft holding` — “still working on it” is an update.",
            ),
            "update due soon",
        )
    if step == 1:
        return (
            (
                "⏰ ",
                _person(owner, TAKE_COMMAND),
                f" a public update for {ref} is due now. "
                "`/incident draft holding` gives you approved wording.",
            ),
            "update due now",
        )
    late = format_duration(now - due)
    if step == 2:
        return (
            (
                "⚠️ ",
                _person(commander, TAKE_COMMAND),
                f" the public update for {ref} is {late} overdue (comms: ",
                _person(owner, "unassigned"),
                "). The public has heard nothing ",
                since,
                ".",
            ),
            "update overdue: commander told",
        )
    return (
        (
            "🚨 ",
            ChannelPing(),
            f" {ref}'s public update is {late} overdue; the public has "
            f"heard nothing {since}. Anyone who can: `/incident draft holding` and approve it.",
        ),
        "update overdue: channel told",
    )


def _task_message(step: int, task: Task, roles: dict[str, str], now: datetime) -> tuple[Line, str]:
    if step == 0:
        return (
            (
                "⏰ ",
                Mention(task.owner_id),
                f" task T{task.number} “{task.title}” is due at {format_time(task.due_at, now)}.",
            ),
            "task due soon",
        )
    if step == 1:
        return (
            (
                "⏰ ",
                Mention(task.owner_id),
                f" task T{task.number} “{task.title}” is due now. "
                f"`/incident done {task.number}` when it is.",
            ),
            "task due now",
        )
    commander = roles.get(COMMANDER) or task.created_by
    return (
        (
            "⚠️ ",
            Mention(commander),
            f" task T{task.number} “{task.title}” (owner ",
            Mention(task.owner_id),
            f") is {format_duration(now - task.due_at)} overdue.",
        ),
        "task overdue: commander told",
    )


def _eta_message(step: int, incident: Incident, roles: dict[str, str], now: datetime) -> Line:
    assert incident.eta_at is not None
    owner, eta = _target(roles, incident), format_time(incident.eta_at, now)
    if step == 0:
        return (
            "⏳ ",
            Mention(owner),
            f" the fix time promised to the public ({eta}) passes in "
            f"{format_duration(incident.eta_at - now)}. If it will be missed, say so before "
            "it passes: draft an update with a new time, then `/incident eta <time>`.",
        )
    return (
        "⏳ ",
        Mention(owner),
        f" the promised fix time ({eta}) has passed. Tell the public "
        "where things stand and when to expect the next update.",
    )


@dataclass(frozen=True)
class Rung:
    """What firing one reminder comes to: the message (None: stale, nothing to say) and the
    rows to add (the next rung and a timeline event, or a snoozed rung put back)."""

    line: Line | None
    rows: tuple[Reminder | TimelineEvent, ...] = ()


async def fire(deps: Deps, reminder_id: int) -> bool:
    """Fire one due reminder if nobody else has; True when a message went out."""
    now = deps.clock.now()
    async with deps.store.unit_of_work() as uow:
        reminder = await uow.reminders.get(reminder_id)
        if reminder is None:
            return False
        # The incident is locked before the reminder is claimed, in the order commands take
        # them (incident, then its reminders), so a command and a firing rung cannot deadlock.
        incident = await uow.incidents.get(reminder.incident_id, for_update=True)
        if not await uow.reminders.claim(reminder_id, now):
            return False
        if incident is None or not fires(reminder.kind, incident):
            return False
        roles = await quorum.roles_of(uow, reminder.incident_id)
        task = await uow.tasks.get(reminder.task_id) if reminder.task_id else None
        rung = decide(reminder, incident, roles, task, now)
        uow.session.add_all(rung.rows)
        await uow.session.flush()
    deps.telemetry.reminder_fired(reminder.kind, now - reminder.fire_at)  # committed
    if rung.line is None:
        return False
    await effects.say(deps, incident.platform, incident.channel_id, Message(lines=(rung.line,)))
    return True


def _next(reminder: Reminder, step: int) -> list[Reminder]:
    final = last_step(reminder.kind)
    if final is not None and step >= final:
        return []
    return [
        Reminder(
            incident_id=reminder.incident_id,
            task_id=reminder.task_id,
            kind=reminder.kind,
            step=step + 1,
            due_at=reminder.due_at,
            fire_at=rung_time(reminder.kind, reminder.due_at, step + 1),
        )
    ]


def decide(
    reminder: Reminder,
    incident: Incident,
    roles: dict[str, str],
    task: Task | None,
    now: datetime,
) -> Rung:
    """What a claimed reminder says now (or that it is stale), and the next rung."""
    assert incident.id is not None
    step = _latest_step(reminder.kind, reminder.due_at, reminder.step, now)
    if reminder.kind == UPDATE:
        if incident.next_update_due_at != reminder.due_at:
            return Rung(None)
        if incident.snoozed_until and incident.snoozed_until > now:
            again = Reminder(
                incident_id=incident.id,
                kind=UPDATE,
                step=reminder.step,
                due_at=reminder.due_at,
                fire_at=incident.snoozed_until,
            )
            return Rung(None, (again,))
        line, what = _update_message(step, incident, roles, reminder.due_at, now)
    elif reminder.kind == TASK:
        if task is None or task.done_at is not None or task.due_at != reminder.due_at:
            return Rung(None)
        line, what = _task_message(step, task, roles, now)
    else:
        if incident.eta_at != reminder.due_at:
            return Rung(None)
        line, what = _eta_message(step, incident, roles, now), "ETA warning"
    event = TimelineEvent(
        incident_id=incident.id,
        at=now,
        kind="reminder",
        text=f"Reminder: {what}",
        data={"kind_of": reminder.kind, "step": step},
    )
    return Rung(line, (*_next(reminder, step), event))
