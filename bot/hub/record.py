"""What the public may see, read from the database: the one gate of the status hub.

Only published statements, with the name they were signed with, and the few
incident facts every publication already carries (reference, title, severity,
state, update times). Nothing else of an incident — its channel, description,
roles, tasks, votes, timeline, who opened it — is ever loaded into these views.
The one exception is read, not shown: the public half of the communication record
(``commands.record.communication.PublicRecord``) is computed from the timeline and the update
reminders, and keeps only when updates were published, when they were due, and the
incident's states.

A correction and the statement it corrects are both shown, each linking to the
other: the original keeps its words, marked corrected, so the record stays whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from commands import (
    KIND_LABELS,
    OPEN_STATES,
    SEVERITIES,
    PublicRecord,
    incident_ref,
    load_public_record,
    public_facts,
    statement_ref,
)
from storage import Incident, Statement, Store

RECENT = timedelta(days=7)  # resolved incidents stay on the front page this long
FEED_SIZE = 50


class _Numbered:
    """A published statement's name (S3) and its anchor on the incident page (#s3)."""

    number: int

    @property
    def ref(self) -> str:
        return statement_ref(self.number)

    @property
    def anchor(self) -> str:
        return f"s{self.number}"


@dataclass(frozen=True)
class StatementLink(_Numbered):
    """The other end of a correction: a statement published on the same page."""

    number: int
    published_at: datetime


@dataclass(frozen=True)
class PublicStatement(_Numbered):
    number: int
    kind: str
    body: str
    signer: str | None
    published_at: datetime
    corrects: StatementLink | None = None  # this is a correction of that statement
    corrected_by: StatementLink | None = None  # a correction of this one was published

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.capitalize())


@dataclass(frozen=True)
class PublicIncident:
    id: int
    number: int
    title: str
    severity: str
    state: str
    last_update_at: datetime | None
    next_update_due_at: datetime | None
    resolved_at: datetime | None
    statements: tuple[PublicStatement, ...]  # newest first
    record: PublicRecord | None = None  # how well the public was kept informed

    @property
    def ref(self) -> str:
        return incident_ref(self.number)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def next_update_by(self) -> datetime | None:
        return self.next_update_due_at if self.is_open else None

    @property
    def latest(self) -> PublicStatement | None:
        return self.statements[0] if self.statements else None

    @property
    def path(self) -> str:
        return f"/status/incidents/{self.id}"


@dataclass(frozen=True)
class FrontPage:
    open: tuple[PublicIncident, ...]
    resolved: tuple[PublicIncident, ...]

    @property
    def incidents(self) -> tuple[PublicIncident, ...]:
        return self.open + self.resolved


Links = dict[int, StatementLink]


def _link(row: Statement) -> StatementLink:
    assert row.published_at is not None
    return StatementLink(row.number, row.published_at)


def _corrections(published: Iterable[Statement]) -> tuple[Links, Links]:
    """Among published statements: each one's link by id, and each corrected
    statement's id → its (latest) published correction."""
    ordered = sorted(published, key=lambda s: (s.published_at is None, s.published_at, s.id))
    by_id = {row.id: _link(row) for row in ordered if row.id is not None}
    corrected_by = {row.corrects_id: _link(row) for row in ordered if row.corrects_id in by_id}
    return by_id, {key: link for key, link in corrected_by.items() if key is not None}


def _statement(row: Statement, links: tuple[Links, Links] = ({}, {})) -> PublicStatement:
    assert row.published_at is not None
    by_id, corrected_by = links
    return PublicStatement(
        row.number,
        row.kind,
        row.body,
        row.signer,
        row.published_at,
        corrects=by_id.get(row.corrects_id) if row.corrects_id is not None else None,
        corrected_by=corrected_by.get(row.id) if row.id is not None else None,
    )


def _incident(row: Incident, statements: list[Statement]) -> PublicIncident:
    """The incident as its published ``statements`` told it: title, severity, state and
    resolution come from the latest of them, never from the row's live values."""
    assert row.id is not None
    links = _corrections(statements)
    told = public_facts(statements)
    assert told is not None, "only incidents with a published statement are public"
    return PublicIncident(
        id=row.id,
        number=row.number,
        title=told.title,
        severity=told.severity,
        state=told.state,
        last_update_at=row.last_public_update_at,
        next_update_due_at=row.next_update_due_at,
        resolved_at=told.resolved_at,
        statements=tuple(_statement(s, links) for s in statements),
    )


def _severity_rank(incident: PublicIncident) -> int:
    return SEVERITIES.index(incident.severity) if incident.severity in SEVERITIES else 99


async def front_page(store: Store, now: datetime) -> FrontPage:
    """Open incidents (most severe first) and those resolved in the last ``RECENT``."""
    async with store.reading() as uow:
        rows = await uow.incidents.recent_public(now - RECENT)
        ids = [row.id for row in rows if row.id is not None]
        by_incident: dict[int, list[Statement]] = defaultdict(list)
        for statement in await uow.statements.published_in(ids):
            by_incident[statement.incident_id].append(statement)
        records = [await load_public_record(uow, row, now) for row in rows]
    incidents = [
        replace(_incident(row, by_incident[row.id or 0]), record=kept)
        for row, kept in zip(rows, records, strict=True)
    ]
    incidents = [i for i in incidents if i.is_open or (i.resolved_at or now) >= now - RECENT]
    open_ = sorted((i for i in incidents if i.is_open), key=_severity_rank)  # stable: latest first
    resolved = sorted(
        (i for i in incidents if not i.is_open),
        key=lambda i: i.resolved_at or now,
        reverse=True,
    )
    return FrontPage(tuple(open_), tuple(resolved))


async def incident(
    store: Store, incident_id: int, now: datetime | None = None
) -> PublicIncident | None:
    """One incident and every statement published about it; None if it was never public.
    Given ``now``, with its communication record as of then."""
    async with store.reading() as uow:
        row = await uow.incidents.public(incident_id)
        if row is None:
            return None
        statements = await uow.statements.published_of(incident_id)
        kept = await load_public_record(uow, row, now) if now is not None else None
    return replace(_incident(row, list(statements)), record=kept)


async def latest_statements(store: Store) -> list[tuple[PublicIncident, PublicStatement]]:
    """The newest published statements across incidents, for the feed."""
    async with store.reading() as uow:
        rows = await uow.statements.published_recent(FEED_SIZE)
        incident_ids = sorted({s.incident_id for s, _ in rows})
        links = _corrections(await uow.statements.published_in(incident_ids))
    # Each entry tells the incident as that statement did when it went out.
    return [(_incident(i, [s]), _statement(s, links)) for s, i in rows]
