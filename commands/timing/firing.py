"""Due reminders, fired a batch at a time.

One transaction claims up to ``BATCH`` due rungs (their incidents locked; one a command
holds right now waits for the next round), decides what each says, and records the
next rungs and timeline events; then the messages go out, channels in parallel and
each channel's messages in order. Thousands of reminders due in the same minute cost
a few statements per batch instead of a transaction each.

A batch that fails (a bug in one rung must not hold back the others) is fired again
one reminder at a time, each in its own transaction (``reminders.fire``).
"""

from __future__ import annotations

import asyncio
import logging

from commands import effects
from commands.context import Deps
from commands.ports import Message
from commands.timing import reminders

log = logging.getLogger("candor.reminders")

BATCH = 200
MAX_PARALLEL = 8  # channels posted to at once

Said = tuple[str, str, Message]  # platform, channel, message


async def fire_due(deps: Deps) -> int:
    """Fire every reminder due now; how many were claimed (or tried one by one)."""
    total = 0
    while True:
        try:
            claimed, said = await _batch(deps)
        except Exception:
            log.exception("a batch of reminders failed; firing them one at a time")
            return total + await _one_by_one(deps)
        await _say_all(deps, said)
        total += claimed
        if claimed < BATCH:
            return total


async def _batch(deps: Deps) -> tuple[int, list[Said]]:
    now = deps.clock.now()
    said: list[Said] = []
    async with deps.store.unit_of_work() as uow:
        claimed, incidents = await uow.timers.claim_due(now, BATCH)
        if not claimed:
            return 0, said
        roles = await uow.timers.roles_of(list(incidents))
        tasks = await uow.timers.tasks([r.task_id for r in claimed if r.task_id is not None])
        for reminder in claimed:
            incident = incidents[reminder.incident_id]
            if not reminders.fires(reminder.kind, incident):
                continue
            task = tasks.get(reminder.task_id) if reminder.task_id is not None else None
            roles_here = roles.get(reminder.incident_id, {})
            rung = reminders.decide(reminder, incident, roles_here, task, now)
            uow.session.add_all(rung.rows)
            if rung.line is not None:
                message = Message(lines=(rung.line,))
                said.append((incident.platform, incident.channel_id, message))
        await uow.session.flush()
    for reminder in claimed:  # committed: each was taken up now, however late
        deps.telemetry.reminder_fired(reminder.kind, now - reminder.fire_at)
    return len(claimed), said


async def _one_by_one(deps: Deps) -> int:
    async with deps.store.reading() as uow:
        due = [r.id for r in await uow.reminders.due(deps.clock.now(), BATCH)]
    handled = 0
    for reminder_id in due:
        try:
            await reminders.fire(deps, reminder_id or 0)
            handled += 1
        except Exception:
            log.exception("reminder %s failed", reminder_id)
    return handled


async def _say_all(deps: Deps, said: list[Said]) -> None:
    by_channel: dict[tuple[str, str], list[Message]] = {}
    for platform, channel, message in said:
        by_channel.setdefault((platform, channel), []).append(message)
    gate = asyncio.Semaphore(MAX_PARALLEL)

    async def post(platform: str, channel: str, messages: list[Message]) -> None:
        async with gate:
            for message in messages:
                try:
                    await effects.say(deps, platform, channel, message)
                except Exception:  # claimed and recorded; the chat refused this one
                    log.exception("could not post a reminder to %s:%s", platform, channel)

    await asyncio.gather(*(post(p, c, m) for (p, c), m in by_channel.items()))
