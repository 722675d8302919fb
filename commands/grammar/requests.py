"""Typed requests: what a user asked for, already parsed and validated for shape."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from commands.grammar.times import When


@dataclass(frozen=True)
class OpenIncident:
    title: str
    severity: str
    description: str = ""
    commander_id: str | None = None


@dataclass(frozen=True)
class ShowStatus:
    pass


@dataclass(frozen=True)
class ListIncidents:
    pass


@dataclass(frozen=True)
class ShowHelp:
    topic: str | None = None


@dataclass(frozen=True)
class AssignRole:
    role: str
    user_id: str


@dataclass(frozen=True)
class UnassignRole:
    role: str


@dataclass(frozen=True)
class AddTask:
    owner_id: str
    due: When
    title: str


@dataclass(frozen=True)
class ListTasks:
    pass


@dataclass(frozen=True)
class CompleteTask:
    number: int


@dataclass(frozen=True)
class SetState:
    state: str


@dataclass(frozen=True)
class SetCadence:
    every: timedelta


@dataclass(frozen=True)
class SetEta:
    when: When | None  # None clears the ETA


@dataclass(frozen=True)
class Snooze:
    duration: timedelta


@dataclass(frozen=True)
class DraftStatement:
    template: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class EditStatement:
    number: int
    text: str


@dataclass(frozen=True)
class CorrectStatement:
    number: int
    text: str


@dataclass(frozen=True)
class Vote:
    number: int
    decision: str  # "approve" | "reject"
    revision: int | None = None  # `approve S5r3`: exactly that wording; None: the current one


@dataclass(frozen=True)
class Rename:
    title: str


@dataclass(frozen=True)
class Reopen:
    reason: str | None = None


@dataclass(frozen=True)
class Resolve:
    summary: str | None = None


@dataclass(frozen=True)
class ShowTimeline:
    pass


@dataclass(frozen=True)
class DraftPostmortem:
    pass


Request = (
    OpenIncident
    | ShowStatus
    | ListIncidents
    | ShowHelp
    | AssignRole
    | UnassignRole
    | AddTask
    | ListTasks
    | CompleteTask
    | SetState
    | SetCadence
    | SetEta
    | Snooze
    | DraftStatement
    | EditStatement
    | CorrectStatement
    | Vote
    | Resolve
    | Reopen
    | Rename
    | ShowTimeline
    | DraftPostmortem
)


@dataclass(frozen=True)
class Command:
    """A parsed command line: the request, plus an explicit ``INC-<n>`` if one was typed."""

    request: Request
    incident_number: int | None = None
