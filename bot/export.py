"""``candor export INC-42``: an incident's whole record, read from the database, as JSON
or Markdown (``bot.export_md``).

The record: the incident, the history of its roles, its tasks, every statement with
its revisions, votes and deliveries, the timeline, and the communication record (the
same figures as `/incident status`). Destinations are named with any credentials in
their URL removed. The JSON is these dataclasses as pydantic writes them (times in
RFC 3339 UTC, durations in ISO 8601, e.g. ``PT3M30S``), and ``load`` reads it back to
equal objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from commands import CommunicationRecord, incident_ref, key_label, load_record, redact_urls
from storage import Incident, Statement, Store, UnitOfWork

FORMAT = 1
_INCIDENT = re.compile(r"^(?:inc-|#)?(\d{1,7})$", re.IGNORECASE)


class ExportError(Exception):
    """The incident cannot be exported as asked; the message says how to ask instead."""


@dataclass(frozen=True)
class IncidentFacts:
    id: int
    ref: str
    platform: str
    workspace_id: str
    number: int
    title: str
    description: str
    severity: str
    state: str
    channel_id: str
    channel_name: str
    opened_by: str
    opened_at: datetime
    resolved_at: datetime | None
    resolution_summary: str | None
    cadence_minutes: int
    last_public_update_at: datetime | None
    next_update_due_at: datetime | None
    eta_at: datetime | None


@dataclass(frozen=True)
class RoleEntry:
    role: str
    user_id: str
    assigned_by: str
    assigned_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class TaskEntry:
    number: int
    title: str
    owner_id: str
    created_by: str
    created_at: datetime
    due_at: datetime
    done_at: datetime | None
    done_by: str | None


@dataclass(frozen=True)
class RevisionEntry:
    revision: int
    body: str
    edited_by: str
    created_at: datetime


@dataclass(frozen=True)
class VoteEntry:
    revision: int
    user_id: str
    decision: str
    created_at: datetime


@dataclass(frozen=True)
class DeliveryEntry:
    id: int
    destination: str
    state: str
    attempts: int
    external_id: str | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class StatementEntry:
    number: int
    kind: str
    state: str
    template: str | None
    author_id: str
    signer: str | None
    revision: int
    body: str
    created_at: datetime
    approved_at: datetime | None
    published_at: datetime | None
    promised_next_update_at: datetime | None
    revisions: tuple[RevisionEntry, ...]
    votes: tuple[VoteEntry, ...]  # counted votes (withdrawn and ignored ones are on the timeline)
    deliveries: tuple[DeliveryEntry, ...]


@dataclass(frozen=True)
class EventEntry:
    at: datetime
    kind: str
    actor_id: str | None
    text: str
    data: dict[str, Any]


@dataclass(frozen=True)
class IncidentExport:
    format: int
    exported_at: datetime
    incident: IncidentFacts
    roles: tuple[RoleEntry, ...]
    tasks: tuple[TaskEntry, ...]
    statements: tuple[StatementEntry, ...]
    timeline: tuple[EventEntry, ...]
    communication: CommunicationRecord


_ADAPTER: TypeAdapter[IncidentExport] = TypeAdapter(IncidentExport)


def to_json(document: IncidentExport) -> str:
    return _ADAPTER.dump_json(document, indent=2).decode("utf-8") + "\n"


def load(text: str) -> IncidentExport:
    """An export read back from its JSON."""
    return _ADAPTER.validate_json(text)


def _incident_facts(row: Incident) -> IncidentFacts:
    assert row.id is not None
    copied = {
        name: getattr(row, name) for name in IncidentFacts.__dataclass_fields__ if name != "ref"
    }
    return IncidentFacts(**copied, ref=incident_ref(row.number))


async def _statement(uow: UnitOfWork, row: Statement) -> StatementEntry:
    assert row.id is not None
    revisions, votes = [], []
    for number in range(1, row.revision + 1):
        revision = await uow.statements.revision(row.id, number)
        if revision is not None:
            revisions.append(
                RevisionEntry(number, revision.body, revision.edited_by, revision.created_at)
            )
        votes += [
            VoteEntry(v.revision, v.user_id, v.decision, v.created_at)
            for v in await uow.statements.votes(row.id, number)
        ]
    deliveries = tuple(
        DeliveryEntry(
            d.id or 0,
            key_label(d.destination),
            d.state,
            d.attempts,
            d.external_id,
            redact_urls(d.last_error) if d.last_error else None,
            d.created_at,
            d.sent_at,
        )
        for d in await uow.deliveries.of_statement(row.id)
    )
    return StatementEntry(
        row.number,
        row.kind,
        row.state,
        row.template,
        row.author_id,
        row.signer,
        row.revision,
        row.body,
        row.created_at,
        row.approved_at,
        row.published_at,
        row.promised_next_update_at,
        tuple(revisions),
        tuple(sorted(votes, key=lambda v: (v.revision, v.created_at, v.user_id))),
        deliveries,
    )


def _without_credentials(record: CommunicationRecord) -> CommunicationRecord:
    troubled = tuple(
        replace(
            t,
            destination=key_label(t.destination),
            last_error=redact_urls(t.last_error) if t.last_error else None,
        )
        for t in record.troubled
    )
    return replace(record, troubled=troubled)


async def collect(uow: UnitOfWork, incident: Incident, now: datetime) -> IncidentExport:
    """Everything stored about one incident, as of ``now``."""
    assert incident.id is not None
    roles = await uow.roles.history(incident.id)
    tasks = await uow.tasks.of_incident(incident.id)
    events = await uow.timeline.of_incident(incident.id)
    return IncidentExport(
        format=FORMAT,
        exported_at=now,
        incident=_incident_facts(incident),
        roles=tuple(
            RoleEntry(r.role, r.user_id, r.assigned_by, r.assigned_at, r.ended_at) for r in roles
        ),
        tasks=tuple(
            TaskEntry(
                t.number,
                t.title,
                t.owner_id,
                t.created_by,
                t.created_at,
                t.due_at,
                t.done_at,
                t.done_by,
            )
            for t in tasks
        ),
        statements=tuple(
            [await _statement(uow, s) for s in await uow.statements.of_incident(incident.id)]
        ),
        timeline=tuple(EventEntry(e.at, e.kind, e.actor_id, e.text, dict(e.data)) for e in events),
        communication=_without_credentials(await load_record(uow, incident, now)),
    )


def parse_ref(text: str) -> int:
    match = _INCIDENT.match(text.strip())
    if match is None:
        raise ExportError(f"{text!r} is not an incident reference: give it like INC-42.")
    return int(match.group(1))


async def find(store: Store, ref: str, workspace: str | None) -> Incident:
    """The one incident called ``ref`` (in ``workspace``, given as ``T123`` or
    ``slack:T123``); numbers are per workspace, so several may match."""
    number = parse_ref(ref)
    async with store.reading() as uow:
        found = await uow.incidents.numbered(number)
    where = [f"{i.platform}:{i.workspace_id}" for i in found]
    if workspace is not None:
        found = [i for i, w in zip(found, where, strict=True) if workspace in (w, i.workspace_id)]
    if not found:
        scope = f" in workspace {workspace}" if workspace else ""
        known = f" It exists in {', '.join(where)}." if where else ""
        raise ExportError(f"There is no {incident_ref(number)}{scope}.{known}")
    if len(found) > 1:
        listed = ", ".join(f"{i.platform}:{i.workspace_id}" for i in found)
        raise ExportError(
            f"{incident_ref(number)} exists in {len(found)} workspaces: {listed}. "
            f"Name one with --workspace, e.g. --workspace {listed.split(', ')[0]}."
        )
    return found[0]


async def export(store: Store, ref: str, workspace: str | None, now: datetime) -> IncidentExport:
    incident = await find(store, ref, workspace)
    async with store.reading() as uow:
        return await collect(uow, incident, now)
