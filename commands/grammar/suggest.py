"""Suggestions while a person types an argument (Discord autocomplete): open incidents,
statements and tasks of the incident in question, best matches first.

Read-only and cheap: one read per keystroke, nothing locked, nothing written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from commands.domain import incident_ref
from commands.ports import ChannelRef
from storage import Incident, Statement, StatementState, Task, UnitOfWork

LIMIT = 25  # Discord shows at most 25 choices
LABEL_MAX = 100


class Topic(Enum):
    INCIDENT = "incident"
    DRAFT = "draft"  # statements still open to votes or edits
    REVISION = "revision"  # the same, as the exact wording shown (S5r3): what a vote pins
    PUBLISHED = "published"  # statements the public has seen (corrections)
    TASK = "task"  # tasks not yet done


@dataclass(frozen=True)
class Choice:
    label: str
    value: str


def _label(*parts: str) -> str:
    text = " · ".join(part for part in parts if part)
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _matches(typed: str, *fields: str) -> bool:
    needle = typed.strip().casefold()
    return not needle or any(needle in field.casefold() for field in fields)


async def _incident(
    uow: UnitOfWork, channel: ChannelRef, incident_number: int | None
) -> Incident | None:
    if incident_number is not None:
        return await uow.incidents.by_number(
            channel.platform, channel.workspace_id, incident_number
        )
    return await uow.incidents.by_channel(channel.platform, channel.channel_id)


def _incidents(found: Sequence[Incident], typed: str) -> list[Choice]:
    return [
        Choice(_label(incident_ref(i.number), i.severity.upper(), i.title), incident_ref(i.number))
        for i in found
        if _matches(typed, incident_ref(i.number), str(i.number), i.title)
    ]


def _statements(
    found: Sequence[Statement], typed: str, states: tuple[str, ...], pinned: bool = False
) -> list[Choice]:
    def value(s: Statement) -> str:
        return f"S{s.number}r{s.revision}" if pinned else f"S{s.number}"

    return [
        Choice(_label(value(s), s.state, s.body.splitlines()[0]), value(s))
        for s in reversed(found)  # newest first: usually the one being talked about
        if s.state in states and _matches(typed, f"S{s.number}", str(s.number), s.body)
    ]


def _tasks(found: Sequence[Task], typed: str) -> list[Choice]:
    return [
        Choice(_label(f"T{t.number}", t.title), str(t.number))
        for t in found
        if t.done_at is None and _matches(typed, f"T{t.number}", str(t.number), t.title)
    ]


async def suggest(
    uow: UnitOfWork,
    channel: ChannelRef,
    topic: Topic,
    typed: str,
    incident_number: int | None = None,
) -> list[Choice]:
    if topic is Topic.INCIDENT:
        found = await uow.incidents.open_in(channel.platform, channel.workspace_id)
        return _incidents(found, typed)[:LIMIT]
    incident = await _incident(uow, channel, incident_number)
    if incident is None or incident.id is None:
        return []
    if topic is Topic.TASK:
        return _tasks(await uow.tasks.of_incident(incident.id), typed)[:LIMIT]
    states = (StatementState.PUBLISHED,) if topic is Topic.PUBLISHED else (StatementState.DRAFT,)
    statements = await uow.statements.of_incident(incident.id)
    return _statements(statements, typed, states, topic is Topic.REVISION)[:LIMIT]
