"""The internal record behind a postmortem draft, posted to the incident channel for
the people who finish the draft: who held which role, each task and how it ended,
every statement and where it went, and the full communication record. Never
published. People are named by id as plain text, so a long list pings nobody."""

from __future__ import annotations

from datetime import datetime

from commands.domain import statement_ref
from commands.grammar.times import format_time
from commands.ports import Line, Message, Strong
from commands.record.postmortem import Facts
from commands.record.wording import Label, status_lines, trouble_lines
from storage import DeliveryState

MAX_ROWS = 15  # per list; `candor export` has them all


def team_notes(facts: Facts, number: int, label: Label, now: datetime) -> Message:
    ref = statement_ref(number)
    lines: list[Line] = [
        (Strong("Roles"),),
        *_capped([_role(a.role, a.user_id, a.assigned_at, a.ended_at, now) for a in facts.roles]),
        (Strong("Tasks"),),
        *_capped([_task(facts, t.number, now) for t in facts.tasks] or ["none"]),
        (Strong("Statements"),),
        *_capped([_statement(facts, s.number, label, now) for s in facts.statements]),
        *status_lines(facts.record, now),
        *((line,) for line in trouble_lines(facts.record, label)),
        (
            f"Replace each [FILL IN …] in {ref} with `/incident edit {ref} <the whole text>`; "
            "it cannot be approved while one is left. `candor export` writes the whole record.",
        ),
    ]
    return Message(
        title=f"📋 The record behind {ref} (for the team; not published)", lines=tuple(lines)
    )


def _capped(rows: list[str]) -> list[Line]:
    shown: list[Line] = [(f"• {row}",) for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        shown.append((f"• … and {len(rows) - MAX_ROWS} more",))
    return shown


def _role(role: str, user: str, since: datetime, until: datetime | None, now: datetime) -> str:
    end = format_time(until, now) if until else "the end"
    return f"{role}: {user} ({format_time(since, now)} to {end})"


def _task(facts: Facts, number: int, now: datetime) -> str:
    task = next(t for t in facts.tasks if t.number == number)
    if task.done_at is not None:
        outcome = f"done {format_time(task.done_at, now)}" + (
            " (late)" if task.done_at > task.due_at else ""
        )
    else:
        outcome = "not done (a follow-up?)"
    return (
        f"T{task.number} “{task.title}” — {task.owner_id}, due "
        f"{format_time(task.due_at, now)}, {outcome}"
    )


def _statement(facts: Facts, number: int, label: Label, now: datetime) -> str:
    statement = next(s for s in facts.statements if s.number == number)
    text = f"S{statement.number} {statement.kind} by {statement.author_id}: {statement.state}"
    if statement.published_at is not None:
        text += f" {format_time(statement.published_at, now)}"
    sent = [
        label(d.destination) + ("" if d.state == DeliveryState.SENT else f" ({d.state})")
        for d in facts.deliveries
        if d.statement_id == statement.id
    ]
    return text + (f" → {', '.join(sent)}" if sent else "")
